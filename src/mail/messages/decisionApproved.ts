// The applicant was admitted. (The Matrix registration link joins this email with its own feature.)
import { z } from "zod";
import { defineMessageKind, ZCaseNumber, ZDisplayName } from "./kind.js";

export const decisionApproved = defineMessageKind({
  name: "decision_approved",
  payloadSchema: z.strictObject({ applicantName: ZDisplayName, caseNumber: ZCaseNumber }),
  subject: (payload, context) => `Your application ${payload.caseNumber} was approved — ${context.siteName}`,
  template: "decision-approved",
});
