// An agent opened a case on the person's behalf: the link opens their workspace to add details and
// evidence, accept the privacy notice and submit.
import { z } from "zod";
import { urls } from "../../urls.js";
import { DAY_MS, defineMessageKind, ZCaseNumber, ZDisplayName } from "./kind.js";

export const caseInvitation = defineMessageKind({
  name: "case_invitation",
  audience: "applicant",
  payloadSchema: z.strictObject({
    applicantName: ZDisplayName,
    agentName: ZDisplayName,
    caseNumber: ZCaseNumber,
  }),
  link: { purpose: "case_invitation", lifetimeMs: 7 * DAY_MS, path: urls.caseInvitation },
  subject: (_payload, context) => context.t("emails.caseInvitation.subject"),
  template: "case-invitation",
});
