// Daily (worker.ts): applications that never became cases for the vetting team. A draft whose address was
// never confirmed (anyone can type anyone's address) is erased UNCONFIRMED_RETENTION_DAYS after it was
// started; any other draft never submitted is erased DRAFT_RETENTION_DAYS after it was started, with its
// evidence files (ID scans, above all, must not stay for ever). Erasure is eraseCase's, exactly as for the
// retention purge: the personal data and the files go, the case number and its audit trail stay (audited
// "case.purged" by "system" with the reason), so what happened stays accountable without the person.
//
// In batches of rows locked with SKIP LOCKED, one transaction each, like purgeDecidedCases.ts: a second
// worker takes other drafts, and erased drafts are never selected again. A draft submitted meanwhile is
// no longer a draft when its row is locked (the state is read under the lock).
import { eraseCase, removeErasedEvidenceFiles } from "../commands/cases/eraseCase.js";
import { evidenceStore } from "../storage/evidenceStore.js";
import type { JobDependencies } from "./dependencies.js";
import { PURGE_BATCH_SIZE } from "./purgeDecidedCases.js";

const DAY_MS = 24 * 60 * 60 * 1000;

export async function purgeAbandonedDrafts(
  deps: Pick<JobDependencies, "db" | "config" | "logger">,
  now = new Date(),
  batchSize = PURGE_BATCH_SIZE,
): Promise<{ unconfirmed: number; abandoned: number }> {
  const unconfirmedBefore = new Date(now.getTime() - deps.config.privacy.unconfirmedRetentionDays * DAY_MS);
  const draftsBefore = new Date(now.getTime() - deps.config.privacy.draftRetentionDays * DAY_MS);
  const store = evidenceStore(deps.config.uploadsDir);
  const counts = { unconfirmed: 0, abandoned: 0 };
  for (;;) {
    const { erased, evidenceStorageKeys } = await deps.db.$transaction(
      async (tx) => {
        const batch = await tx.$queryRaw<{ id: string; isUnconfirmed: boolean }[]>`
          SELECT id, "emailConfirmedAt" IS NULL AS "isUnconfirmed" FROM vetting_cases
           WHERE "erasedAt" IS NULL AND state = 'DRAFT'
             AND (("emailConfirmedAt" IS NULL AND "createdAt" < ${unconfirmedBefore})
                  OR "createdAt" < ${draftsBefore})
           ORDER BY number
           LIMIT ${batchSize}
           FOR UPDATE SKIP LOCKED`;
        const keys: string[] = [];
        for (const draft of batch) {
          const summary = await eraseCase(tx, {
            caseId: draft.id,
            audit: { label: "system" },
            reason: draft.isUnconfirmed ? "unconfirmed" : "abandoned_draft",
            now,
          });
          keys.push(...summary.evidenceStorageKeys);
          counts[draft.isUnconfirmed ? "unconfirmed" : "abandoned"] += 1;
        }
        return { erased: batch.length, evidenceStorageKeys: keys };
      },
      { timeout: 60_000 },
    );
    await removeErasedEvidenceFiles(store, evidenceStorageKeys, deps.logger);
    if (erased < batchSize) break;
  }
  if (counts.unconfirmed + counts.abandoned > 0)
    deps.logger.info({ category: "jobs", ...counts }, "erased drafts never confirmed or never submitted");
  return counts;
}
