// The applicant was not admitted; the reason only when the deciding admin chose to share it.
import { z } from "zod";
import { defineMessageKind, ZCaseNumber, ZDisplayName, ZReason } from "./kind.js";

export const decisionRejected = defineMessageKind({
  name: "decision_rejected",
  payloadSchema: z.strictObject({
    applicantName: ZDisplayName,
    caseNumber: ZCaseNumber,
    reason: ZReason.nullable(),
  }),
  subject: (payload, context) => `A decision on your application ${payload.caseNumber} — ${context.siteName}`,
  template: "decision-rejected",
});
