// To the assigned agent: the applicant answered a request for more information; the case is back in review.
import { z } from "zod";
import { defineMessageKind, ZCaseNumber, ZDisplayName } from "./kind.js";

export const resubmissionReceived = defineMessageKind({
  name: "resubmission_received",
  audience: "staff",
  payloadSchema: z.strictObject({ agentName: ZDisplayName, caseNumber: ZCaseNumber, caseId: z.uuid() }),
  subject: (payload, context) =>
    context.t("emails.resubmissionReceived.subject", { caseNumber: payload.caseNumber }),
  template: "resubmission-received",
});
