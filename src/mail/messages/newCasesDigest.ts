// To agents, once a day (NEW_CASE_NOTIFICATIONS=digest): the cases first submitted in the day before
// `periodEnd`, the scheduled tick of the digest job. The tick is stored so that a re-run of the same tick
// finds the digest already queued and sends nothing twice. No personal data, only case numbers.
import { z } from "zod";
import { defineMessageKind, ZCaseNumber, ZDisplayName } from "./kind.js";

export const newCasesDigest = defineMessageKind({
  name: "new_cases_digest",
  audience: "staff",
  payloadSchema: z.strictObject({
    agentName: ZDisplayName,
    cases: z
      .array(z.strictObject({ caseNumber: ZCaseNumber, caseId: z.uuid() }))
      .min(1)
      .max(500),
    /** The end of the period covered (exclusive), ISO 8601 in UTC. */
    periodEnd: z.iso.datetime(),
  }),
  subject: (payload, context) => context.t("emails.newCasesDigest.subject", { count: payload.cases.length }),
  template: "new-cases-digest",
});
