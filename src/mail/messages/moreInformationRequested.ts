// An admin needs more from the applicant: the reason, and a link back to the workspace to add it.
import { z } from "zod";
import { urls } from "../../urls.js";
import { defineMessageKind, HOUR_MS, ZCaseNumber, ZDisplayName, ZReason } from "./kind.js";

export const moreInformationRequested = defineMessageKind({
  name: "more_information_requested",
  audience: "applicant",
  payloadSchema: z.strictObject({ applicantName: ZDisplayName, caseNumber: ZCaseNumber, reason: ZReason }),
  link: { purpose: "sign_in", lifetimeMs: 72 * HOUR_MS, path: urls.applicantSignIn },
  subject: (payload, context) =>
    context.t("emails.moreInformationRequested.subject", { caseNumber: payload.caseNumber }),
  template: "more-information-requested",
});
