// The applicant was not admitted; the reason only when the deciding admin chose to share it.
import { z } from "zod";
import { defineMessageKind, ZCaseNumber, ZDisplayName, ZReason } from "./kind.js";

export const decisionRejected = defineMessageKind({
  name: "decision_rejected",
  audience: "applicant",
  payloadSchema: z.strictObject({
    applicantName: ZDisplayName,
    caseNumber: ZCaseNumber,
    reason: ZReason.nullable(),
  }),
  subject: (payload, context) =>
    context.t("emails.decisionRejected.subject", { caseNumber: payload.caseNumber }),
  template: "decision-rejected",
});
