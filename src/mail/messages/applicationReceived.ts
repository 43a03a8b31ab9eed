// Sent when an applicant submits: the application is in the queue, and what happens next.
import { z } from "zod";
import { defineMessageKind, ZCaseNumber, ZDisplayName } from "./kind.js";

export const applicationReceived = defineMessageKind({
  name: "application_received",
  audience: "applicant",
  payloadSchema: z.strictObject({ applicantName: ZDisplayName, caseNumber: ZCaseNumber }),
  subject: (payload, context) =>
    context.t("emails.applicationReceived.subject", { caseNumber: payload.caseNumber }),
  template: "application-received",
});
