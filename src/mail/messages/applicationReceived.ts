// Sent when an applicant submits: the application is in the queue, and what happens next.
import { z } from "zod";
import { defineMessageKind, ZCaseNumber, ZDisplayName } from "./kind.js";

export const applicationReceived = defineMessageKind({
  name: "application_received",
  payloadSchema: z.strictObject({ applicantName: ZDisplayName, caseNumber: ZCaseNumber }),
  subject: (payload, context) => `We received your application ${payload.caseNumber} — ${context.siteName}`,
  template: "application-received",
});
