// The applicant withdrew their application; nothing more will happen with it.
import { z } from "zod";
import { defineMessageKind, ZCaseNumber, ZDisplayName } from "./kind.js";

export const withdrawalConfirmed = defineMessageKind({
  name: "withdrawal_confirmed",
  payloadSchema: z.strictObject({ applicantName: ZDisplayName, caseNumber: ZCaseNumber }),
  subject: (payload, context) => `Your application ${payload.caseNumber} was withdrawn — ${context.siteName}`,
  template: "withdrawal-confirmed",
});
