// The daily digest of newly submitted cases to agents, when NEW_CASE_NOTIFICATIONS=digest. `scheduledFor`
// is the cron tick the job is for (graphile-worker's `_cron.ts`): the digest covers the cases first
// submitted in the 24 hours before it that still wait for a decision (submitted or in review), so a late
// or repeated run of the same tick covers the same cases.
//
// Safe to re-run: the tick is stored in each digest's payload (`periodEnd`), and a recipient who already
// has a digest for this tick in the outbox gets no second one. The check and the new rows share one
// transaction holding an advisory lock for the tick, so even two runs at once send each digest once.
import { newCaseRecipients } from "../commands/cases/notifyAgentsOfNewCase.js";
import { formatCaseNumber } from "../domain/caseNumber.js";
import { enqueueEmail } from "../mail/outbox.js";
import type { JobDependencies } from "./dependencies.js";

const DIGEST_PERIOD_MS = 24 * 3_600_000;
/** The most cases one digest lists (the message kind's limit); the queue has the rest. */
const MAX_CASES_PER_DIGEST = 500;

export async function sendNewCaseDigest(
  deps: Pick<JobDependencies, "config" | "db" | "logger">,
  scheduledFor: Date,
): Promise<{ caseCount: number; digestsQueued: number }> {
  if (deps.config.cases.newCaseNotifications !== "digest") {
    // The cron line exists only in digest mode; a job left over from before a change of mode does nothing.
    return { caseCount: 0, digestsQueued: 0 };
  }
  const periodEnd = scheduledFor.toISOString();
  const periodStart = new Date(scheduledFor.getTime() - DIGEST_PERIOD_MS);
  const cases = await deps.db.vettingCase.findMany({
    where: {
      submittedAt: { gte: periodStart, lt: scheduledFor },
      state: { in: ["SUBMITTED", "IN_REVIEW"] },
      erasedAt: null,
    },
    select: { id: true, number: true },
    orderBy: { number: "asc" },
    take: MAX_CASES_PER_DIGEST,
  });
  if (cases.length === 0) {
    deps.logger.info({ periodEnd }, "no new cases for the digest");
    return { caseCount: 0, digestsQueued: 0 };
  }
  const listed = cases.map((row) => ({ caseNumber: formatCaseNumber(row.number), caseId: row.id }));
  const digestsQueued = await deps.db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`new_cases_digest:${periodEnd}`}))`;
    const alreadyQueued = await tx.outboxMessage.findMany({
      where: { kind: "new_cases_digest", payload: { path: ["periodEnd"], equals: periodEnd } },
      select: { recipient: true },
    });
    const hasDigest = new Set(alreadyQueued.map((row) => row.recipient));
    let queued = 0;
    for (const recipient of await newCaseRecipients(tx)) {
      if (hasDigest.has(recipient.email)) continue;
      await enqueueEmail(tx, {
        kind: "new_cases_digest",
        recipient: recipient.email,
        payload: { agentName: recipient.name, cases: listed, periodEnd },
      });
      queued += 1;
    }
    return queued;
  });
  deps.logger.info({ periodEnd, caseCount: cases.length, digestsQueued }, "new-case digest queued");
  return { caseCount: cases.length, digestsQueued };
}
