// Daily (03:30, worker.ts): the retention purge. Cases decided more than CASE_RETENTION_DAYS ago, and
// cases withdrawn or closed without a decision that long ago, lose their personal data and evidence files (eraseCase(), audited
// "case.purged" by "system" with reason "retention"); the decision and the audit trail stay. Registration
// tokens issued from the standalone form (no case) lose the person's name, email and note, their emails
// and their reveal links once they expired that long ago ("matrix_token.purged"), and the request they
// were approved on with them; standalone token requests rejected or withdrawn that long ago lose the
// person's name, email and both notes, and the approvers' emails ("matrix_token.request_purged").
//
// In batches, one transaction each, so a large backlog (the first run after enabling the job, or after
// lowering the retention) never holds one long transaction. The batch's rows are locked with SKIP
// LOCKED: a case being erased by hand at that moment is left to that erasure, and a second worker
// running the job at once takes other cases. Safe to re-run: erased cases are never selected again.

import { recordAudit } from "../audit.js";
import { ERASED_RECIPIENT, eraseCase, removeErasedEvidenceFiles } from "../commands/cases/eraseCase.js";
import { TOKEN_REQUEST_SUBJECT } from "../commands/registrationTokens/requestStandaloneRegistrationToken.js";
import type { Transaction } from "../db.js";
import { DECIDED_STATES } from "../domain/caseStates.js";
import { evidenceStore } from "../storage/evidenceStore.js";
import type { JobDependencies } from "./dependencies.js";

const DAY_MS = 24 * 60 * 60 * 1000;
export const PURGE_BATCH_SIZE = 100;

export async function purgeDecidedCases(
  deps: Pick<JobDependencies, "db" | "config" | "logger">,
  now = new Date(),
  batchSize = PURGE_BATCH_SIZE,
): Promise<void> {
  const cutoff = new Date(now.getTime() - deps.config.privacy.retentionDays * DAY_MS);
  const store = evidenceStore(deps.config.uploadsDir, deps.config.evidence.encryption);
  let purged = 0;
  for (;;) {
    const { count, evidenceStorageKeys } = await deps.db.$transaction(
      async (tx) => {
        const batch = await tx.$queryRaw<{ id: string }[]>`
          SELECT id FROM vetting_cases
           WHERE "erasedAt" IS NULL
             AND ((state::text = ANY(${[...DECIDED_STATES]}) AND "decidedAt" < ${cutoff})
                  OR (state = 'WITHDRAWN' AND "withdrawnAt" < ${cutoff})
                  OR (state = 'CLOSED' AND "closedAt" < ${cutoff}))
           ORDER BY number
           LIMIT ${batchSize}
           FOR UPDATE SKIP LOCKED`;
        const keys: string[] = [];
        for (const { id } of batch) {
          const erased = await eraseCase(tx, {
            caseId: id,
            audit: { label: "system" },
            reason: "retention",
            now,
          });
          keys.push(...erased.evidenceStorageKeys);
        }
        return { count: batch.length, evidenceStorageKeys: keys };
      },
      { timeout: 60_000 },
    );
    // The batch committed: its evidence files go now (eraseCase deleted their rows).
    await removeErasedEvidenceFiles(store, evidenceStorageKeys, deps.logger);
    purged += count;
    if (count > 0) deps.logger.debug({ count }, "purged a batch of cases past retention");
    if (count < batchSize) break;
  }
  const purgedTokens = await purgeStandaloneRegistrationTokens(deps, cutoff, batchSize, now);
  if (purgedTokens > 0) {
    deps.logger.info(
      { count: purgedTokens },
      "purged personal data of expired standalone registration tokens",
    );
  }
  const purgedRequests = await purgeClosedTokenRequests(deps, cutoff, batchSize, now);
  if (purgedRequests > 0) {
    deps.logger.info(
      { count: purgedRequests },
      "purged personal data of rejected and withdrawn registration token requests",
    );
  }
  if (purged > 0)
    deps.logger.info(
      { count: purged, retentionDays: deps.config.privacy.retentionDays },
      "purged personal data of decided and withdrawn cases",
    );
  else
    deps.logger.debug(
      { retentionDays: deps.config.privacy.retentionDays },
      "no decided or withdrawn cases past retention",
    );
}

/** Standalone tokens (no case) that expired before the cutoff, in batches; returns how many. */
async function purgeStandaloneRegistrationTokens(
  deps: Pick<JobDependencies, "db">,
  cutoff: Date,
  batchSize: number,
  now: Date,
): Promise<number> {
  return purgeInBatches(deps.db, batchSize, async (tx) => {
    const batch = await tx.$queryRaw<{ id: string }[]>`
      SELECT id FROM registration_tokens
       WHERE "caseId" IS NULL AND "personEmail" <> '' AND "expiresAt" < ${cutoff}
       ORDER BY "createdAt"
       LIMIT ${batchSize}
       FOR UPDATE SKIP LOCKED`;
    const ids = batch.map((row) => row.id);
    if (ids.length > 0) await eraseStandaloneTokens(tx, ids, now);
    return ids.length;
  });
}

async function eraseStandaloneTokens(tx: Transaction, ids: string[], now: Date): Promise<void> {
  const addresses = (
    await tx.registrationToken.findMany({ where: { id: { in: ids } }, select: { personEmail: true } })
  ).map((token) => token.personEmail.toLowerCase());
  await tx.linkToken.deleteMany({ where: { subjectType: "registration_token", subjectId: { in: ids } } });
  // Their emails, blanked (and cancelled if still unsent): the reveal links (linked to the token) and the
  // revocation notices (no link; found by kind and address).
  await tx.$executeRaw`
    UPDATE outbox_messages
       SET recipient = ${ERASED_RECIPIENT}, payload = '{}'::jsonb, "updatedAt" = now(),
           status = CASE WHEN status IN ('QUEUED', 'SENDING') THEN 'CANCELLED'::"OutboxStatus" ELSE status END
     WHERE ("linkSubjectType" = 'registration_token' AND "linkSubjectId" = ANY(${ids}::text[]))
        OR (kind = 'registration_token_revoked' AND "linkSubjectId" IS NULL
            AND lower(recipient) = ANY(${addresses}::text[]))`;
  await tx.registrationToken.updateMany({
    where: { id: { in: ids } },
    data: { personName: "", personEmail: "", note: null },
  });
  for (const id of ids) {
    await recordAudit(
      tx,
      { label: "system" },
      "matrix_token.purged",
      { type: "registration_token", id },
      {
        reason: "retention",
      },
    );
  }
  // The requests these tokens were approved on hold the same person's data: they go with the token.
  const requests = await tx.registrationTokenRequest.findMany({
    where: { registrationTokenId: { in: ids }, purgedAt: null },
    select: { id: true },
  });
  if (requests.length > 0)
    await eraseTokenRequests(
      tx,
      requests.map((request) => request.id),
      now,
    );
}

/** Requests rejected or withdrawn before the cutoff (pending ones wait; approved ones go with their token). */
async function purgeClosedTokenRequests(
  deps: Pick<JobDependencies, "db">,
  cutoff: Date,
  batchSize: number,
  now: Date,
): Promise<number> {
  return purgeInBatches(deps.db, batchSize, async (tx) => {
    const batch = await tx.$queryRaw<{ id: string }[]>`
      SELECT id FROM registration_token_requests
       WHERE status IN ('REJECTED', 'CANCELLED') AND "purgedAt" IS NULL AND "decidedAt" < ${cutoff}
       ORDER BY "decidedAt"
       LIMIT ${batchSize}
       FOR UPDATE SKIP LOCKED`;
    const ids = batch.map((row) => row.id);
    if (ids.length > 0) await eraseTokenRequests(tx, ids, now);
    return ids.length;
  });
}

/**
 * Runs `purgeBatch` (one transaction each, which erases up to `batchSize` rows it locked with SKIP
 * LOCKED and says how many) until a batch comes back short; returns the total. Short transactions
 * keep locks brief, and two workers running the purge at once share the rows instead of waiting.
 */
async function purgeInBatches(
  db: JobDependencies["db"],
  batchSize: number,
  purgeBatch: (tx: Transaction) => Promise<number>,
): Promise<number> {
  let purged = 0;
  for (;;) {
    const count = await db.$transaction(purgeBatch);
    purged += count;
    if (count < batchSize) return purged;
  }
}

/**
 * Blanks the person's name, email and the notes of these requests, and the approvers' emails about them
 * (which name the person; cancelled if still unsent), and audits each ("matrix_token.request_purged").
 */
async function eraseTokenRequests(tx: Transaction, ids: string[], now: Date): Promise<void> {
  await tx.$executeRaw`
    UPDATE outbox_messages
       SET recipient = ${ERASED_RECIPIENT}, payload = '{}'::jsonb, "updatedAt" = now(),
           status = CASE WHEN status IN ('QUEUED', 'SENDING') THEN 'CANCELLED'::"OutboxStatus" ELSE status END
     WHERE "linkSubjectType" = ${TOKEN_REQUEST_SUBJECT} AND "linkSubjectId" = ANY(${ids}::text[])`;
  await tx.registrationTokenRequest.updateMany({
    where: { id: { in: ids } },
    data: { personName: "", personEmail: "", note: null, decisionNote: null, purgedAt: now },
  });
  for (const id of ids) {
    await recordAudit(
      tx,
      { label: "system" },
      "matrix_token.request_purged",
      { type: TOKEN_REQUEST_SUBJECT, id },
      { reason: "retention" },
    );
  }
}
