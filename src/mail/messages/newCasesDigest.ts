// To agents, once a day (NEW_CASE_NOTIFICATIONS=digest): the cases submitted since the last digest.
import { z } from "zod";
import { defineMessageKind, ZCaseNumber, ZDisplayName } from "./kind.js";

export const newCasesDigest = defineMessageKind({
  name: "new_cases_digest",
  payloadSchema: z.strictObject({
    agentName: ZDisplayName,
    cases: z
      .array(z.strictObject({ caseNumber: ZCaseNumber, caseId: z.uuid() }))
      .min(1)
      .max(500),
  }),
  subject: (payload, context) =>
    `${payload.cases.length} new ${payload.cases.length === 1 ? "case" : "cases"} waiting — ${context.siteName}`,
  template: "new-cases-digest",
});
