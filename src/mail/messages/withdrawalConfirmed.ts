// The applicant withdrew their application; nothing more will happen with it.
import { z } from "zod";
import { defineMessageKind, ZCaseNumber, ZDisplayName } from "./kind.js";

export const withdrawalConfirmed = defineMessageKind({
  name: "withdrawal_confirmed",
  audience: "applicant",
  payloadSchema: z.strictObject({ applicantName: ZDisplayName, caseNumber: ZCaseNumber }),
  subject: (payload, context) =>
    context.t("emails.withdrawalConfirmed.subject", { caseNumber: payload.caseNumber }),
  template: "withdrawal-confirmed",
});
