// Daily (worker.ts): the one reminder each.
//   - To the applicant of a draft not submitted DRAFT_REMINDER_DAYS after it was started, when their
//     address is confirmed (an unconfirmed address may not be theirs; such drafts are simply erased).
//   - To the applicant of a request for more information unanswered MORE_INFORMATION_REMINDER_DAYS after
//     it was made: once per request (a later request gets its own reminder).
//   - To the admins (notifyStaff, as each chose) of a case waiting for a decision DECISION_REMINDER_DAYS
//     after it was last submitted: once per submission.
// Each reminder is marked on the case in the transaction that queues it, under the row's lock (SKIP
// LOCKED), so a second run or a second worker finds it sent.
import { notifyStaff } from "../commands/notifications/notifyStaff.js";
import type { Transaction } from "../db.js";
import { ZDisplayName } from "../mail/messages/kind.js";
import { enqueueEmail } from "../mail/outbox.js";
import type { JobDependencies } from "./dependencies.js";

const DAY_MS = 24 * 60 * 60 * 1000;
const BATCH_SIZE = 100;

export async function sendReminders(
  deps: Pick<JobDependencies, "db" | "config" | "logger">,
  now = new Date(),
): Promise<{ drafts: number; moreInformation: number; decisions: number }> {
  const { reminders, privacy } = deps.config;
  const daysAgo = (days: number) => new Date(now.getTime() - days * DAY_MS);

  const drafts = await inBatches(deps, async (tx) => {
    const batch = await tx.$queryRaw<
      { id: string; email: string; fullName: string; language: string; createdAt: Date }[]
    >`
      SELECT id, email, "fullName", language, "createdAt" FROM vetting_cases
       WHERE state = 'DRAFT' AND "erasedAt" IS NULL AND "emailConfirmedAt" IS NOT NULL
         AND "draftReminderSentAt" IS NULL AND "createdAt" < ${daysAgo(reminders.draftDays)}
       ORDER BY number LIMIT ${BATCH_SIZE} FOR UPDATE SKIP LOCKED`;
    for (const draft of batch) {
      const deletionAt = new Date(draft.createdAt.getTime() + privacy.draftRetentionDays * DAY_MS);
      await enqueueEmail(tx, {
        kind: "applicant_reminder",
        recipient: draft.email,
        payload: {
          reminder: "draft",
          ...greeting(draft.fullName),
          ...(deletionAt > now ? { deletionAt: deletionAt.toISOString() } : {}),
        },
        linkSubject: { type: "vetting_case", id: draft.id },
        language: draft.language,
      });
      await tx.vettingCase.update({ where: { id: draft.id }, data: { draftReminderSentAt: now } });
    }
    return batch.length;
  });

  const moreInformation = await inBatches(deps, async (tx) => {
    // The request is the latest "more information" decision; a reminder sent before it was for an earlier one.
    const batch = await tx.$queryRaw<
      { id: string; email: string; fullName: string; language: string; confirmed: boolean }[]
    >`
      SELECT c.id, c.email, c."fullName", c.language, c."emailConfirmedAt" IS NOT NULL AS confirmed
        FROM vetting_cases c
        JOIN LATERAL (SELECT max(d."decidedAt") AS "askedAt" FROM case_decisions d
                       WHERE d."caseId" = c.id AND d.kind = 'REQUEST_MORE_INFORMATION') r ON true
       WHERE c.state = 'MORE_INFORMATION_REQUESTED' AND c."erasedAt" IS NULL
         AND r."askedAt" < ${daysAgo(reminders.moreInformationDays)}
         AND (c."moreInformationReminderSentAt" IS NULL OR c."moreInformationReminderSentAt" < r."askedAt")
       ORDER BY c.number LIMIT ${BATCH_SIZE} FOR UPDATE OF c SKIP LOCKED`;
    for (const request of batch) {
      await enqueueEmail(tx, {
        kind: "applicant_reminder",
        recipient: request.email,
        payload: {
          reminder: "more_information",
          ...(request.confirmed ? greeting(request.fullName) : {}),
        },
        linkSubject: { type: "vetting_case", id: request.id },
        language: request.language,
      });
      await tx.vettingCase.update({
        where: { id: request.id },
        data: { moreInformationReminderSentAt: now },
      });
    }
    return batch.length;
  });

  const decisions = await inBatches(deps, async (tx) => {
    const batch = await tx.$queryRaw<{ id: string; lastSubmittedAt: Date }[]>`
      SELECT id, "lastSubmittedAt" FROM vetting_cases
       WHERE state IN ('SUBMITTED', 'IN_REVIEW') AND "erasedAt" IS NULL
         AND "lastSubmittedAt" < ${daysAgo(reminders.decisionDays)}
         AND ("decisionReminderSentAt" IS NULL OR "decisionReminderSentAt" < "lastSubmittedAt")
       ORDER BY number LIMIT ${BATCH_SIZE} FOR UPDATE SKIP LOCKED`;
    for (const waiting of batch) {
      await notifyStaff(tx, {
        notification: {
          kind: "decision_overdue",
          caseId: waiting.id,
          waitingDays: Math.floor((now.getTime() - waiting.lastSubmittedAt.getTime()) / DAY_MS),
        },
      });
      await tx.vettingCase.update({ where: { id: waiting.id }, data: { decisionReminderSentAt: now } });
    }
    return batch.length;
  });

  if (drafts + moreInformation + decisions > 0)
    deps.logger.info({ category: "jobs", drafts, moreInformation, decisions }, "reminders queued");
  return { drafts, moreInformation, decisions };
}

/** The name, when it can greet (a draft may not have one yet); a reminder is never held up by it. */
function greeting(fullName: string): { applicantName?: string } {
  const name = ZDisplayName.safeParse(fullName);
  return name.success ? { applicantName: name.data } : {};
}

async function inBatches(
  deps: Pick<JobDependencies, "db">,
  runBatch: (tx: Transaction) => Promise<number>,
): Promise<number> {
  let total = 0;
  for (;;) {
    const count = await deps.db.$transaction(runBatch);
    total += count;
    if (count < BATCH_SIZE) return total;
  }
}
