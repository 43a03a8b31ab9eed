// To agents, at once: a case was submitted and waits in the queue. No personal data, only its number.
import { z } from "zod";
import { defineMessageKind, ZCaseNumber, ZDisplayName } from "./kind.js";

export const newCaseWaiting = defineMessageKind({
  name: "new_case_waiting",
  audience: "staff",
  payloadSchema: z.strictObject({ agentName: ZDisplayName, caseNumber: ZCaseNumber, caseId: z.uuid() }),
  subject: (payload, context) =>
    context.t("emails.newCaseWaiting.subject", { caseNumber: payload.caseNumber }),
  template: "new-case-waiting",
});
