// Staff changed the address of a person's application: the new address is asked to confirm itself by a
// link before anything is sent there again, and the old address is told of the change.
import { z } from "zod";
import { urls } from "../../urls.js";
import { DAY_MS, defineMessageKind, ZCaseNumber, ZDisplayName } from "./kind.js";

export const caseEmailChangeConfirmation = defineMessageKind({
  name: "case_email_change_confirmation",
  audience: "applicant",
  payloadSchema: z.strictObject({ applicantName: ZDisplayName, caseNumber: ZCaseNumber }),
  link: { purpose: "case_email_change", lifetimeMs: 3 * DAY_MS, path: urls.caseEmailChange },
  subject: (payload, context) =>
    context.t("emails.caseEmailChangeConfirmation.subject", { caseNumber: payload.caseNumber }),
  template: "case-email-change-confirmation",
});

export const caseEmailChangedNotice = defineMessageKind({
  name: "case_email_changed_notice",
  audience: "applicant",
  payloadSchema: z.strictObject({ applicantName: ZDisplayName, caseNumber: ZCaseNumber }),
  subject: (payload, context) =>
    context.t("emails.caseEmailChangedNotice.subject", { caseNumber: payload.caseNumber }),
  template: "case-email-changed-notice",
});
