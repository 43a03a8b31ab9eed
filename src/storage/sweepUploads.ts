// The sweep, run at start and every 15 minutes (job sweep_uploads): removes the temporary folders of
// leases that ended or expired (a crash mid-upload leaves at most these), completing the placement of
// any file whose row was committed without it (left by versions that placed files after the commit);
// deletes expired lease rows; deletes stored files that no row refers to. It looks only in
// uploads/.incoming and uploads/evidence: a backup's staging folder (uploads/.backup) is not its business.
//
// Safe beside uploads in progress, on any number of instances at once: a live lease's folder is never
// touched (its row is inserted before its folder is made); an upload renames its files into place and
// commits their rows while holding the evidence-placement lock shared (storage/backupLock.ts), and the
// sweep looks up and removes orphans while holding it exclusively, so a file whose row is about to
// commit is never taken for an orphan; every removal tolerates the thing being gone already.
//
// Orphans removed are audited ("evidence.orphans_removed", how many), in the transaction that decided
// them: evidence leaving the volume is worth a trail, and the count reaches /metrics from any process
// (the sweep runs in the worker, which serves no /metrics), for the alert in deploy/prometheus.
import { opendir, readdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import { recordAudit } from "../audit.js";
import type { Database } from "../db.js";
import type { Logger } from "../logger.js";
import { EVIDENCE_PLACEMENT_LOCK_KEY } from "./backupLock.js";
import { digestFile, type EvidenceStore, isMissing, isStorageKey } from "./evidenceStore.js";

export interface SweepOutcome {
  removedIncomingFolders: number;
  removedTemporaryFiles: number;
  completedPlacements: number;
  removedOrphanFiles: number;
}

/** How many stored file names are looked up in one query. */
const ORPHAN_BATCH_SIZE = 500;
const SHARD_PATTERN = /^[0-9a-f]{2}$/;
/** A batch waits for the lock while a backup hard-links the evidence folder (seconds at most). */
const ORPHAN_BATCH_TIMEOUT_MS = 20_000;

export async function sweepUploads(deps: {
  db: Database;
  store: EvidenceStore;
  logger: Logger;
}): Promise<SweepOutcome> {
  const outcome: SweepOutcome = {
    removedIncomingFolders: 0,
    removedTemporaryFiles: 0,
    completedPlacements: 0,
    removedOrphanFiles: 0,
  };
  await sweepIncoming(deps, outcome);
  await deps.db.uploadLease.deleteMany({ where: { expiresAt: { lte: new Date() } } });
  await sweepOrphans(deps, outcome);

  const total = Object.values(outcome).reduce((sum, count) => sum + count, 0);
  if (total > 0) deps.logger.info(outcome, "swept the uploads volume");
  return outcome;
}

/** Every folder in uploads/.incoming whose lease is not live any more, and anything else found there. */
async function sweepIncoming(
  deps: { db: Database; store: EvidenceStore; logger: Logger },
  outcome: SweepOutcome,
): Promise<void> {
  const entries = await listOrNothing(deps.store.incomingRoot);
  const leaseIds = entries
    .filter((entry) => entry.isDirectory() && isStorageKey(entry.name))
    .map((entry) => entry.name);
  const liveLeases = new Set(
    (
      await deps.db.uploadLease.findMany({
        where: { id: { in: leaseIds }, expiresAt: { gt: new Date() } },
        select: { id: true },
      })
    ).map((lease) => lease.id),
  );

  for (const entry of entries) {
    const entryPath = path.join(deps.store.incomingRoot, entry.name);
    if (liveLeases.has(entry.name)) continue;
    if (!entry.isDirectory() || !isStorageKey(entry.name)) {
      // Nothing but lease folders belongs here.
      await rm(entryPath, { recursive: true, force: true });
      if (entry.isDirectory()) outcome.removedIncomingFolders += 1;
      else outcome.removedTemporaryFiles += 1;
      continue;
    }
    await sweepLeaseFolder(deps, entryPath, outcome);
    await rm(entryPath, { recursive: true, force: true });
    outcome.removedIncomingFolders += 1;
  }
}

/**
 * The temporary files of an upload that ended without its lease cleaning up. A file whose row exists
 * but whose stored file does not was committed just before a crash by a version that placed files
 * after the commit (uploads now place them before): it is put in place (when it is still the file the
 * row describes). Everything else goes.
 */
async function sweepLeaseFolder(
  deps: { db: Database; store: EvidenceStore; logger: Logger },
  folder: string,
  outcome: SweepOutcome,
): Promise<void> {
  const files = await listOrNothing(folder);
  const keys = files.filter((file) => file.isFile() && isStorageKey(file.name)).map((file) => file.name);
  const committed = await deps.db.evidenceFile.findMany({
    where: { storageKey: { in: keys } },
    select: { id: true, storageKey: true, sha256: true, sizeBytes: true, wrappedDataKey: true },
  });
  const rowsByKey = new Map(committed.map((row) => [row.storageKey, row]));

  for (const file of files) {
    const filePath = path.join(folder, file.name);
    const row = rowsByKey.get(file.name);
    // Those versions stored every file in the clear: a row with a wrapped key was never placed that way.
    if (row && row.wrappedDataKey === null && !(await exists(deps.store.pathOf(row.storageKey)))) {
      const content = await digestFile(filePath);
      if (content?.sha256 === row.sha256 && content.sizeBytes === row.sizeBytes) {
        await deps.store.place({ storageKey: row.storageKey, stagedPath: filePath, encryption: null });
        outcome.completedPlacements += 1;
        deps.logger.warn(
          { evidenceFileId: row.id },
          "completed the placement of an evidence file that a crash interrupted",
        );
        continue;
      }
      deps.logger.error(
        { evidenceFileId: row.id },
        "an interrupted evidence file differs from its row; it was not placed",
      );
    }
    await rm(filePath, { recursive: true, force: true });
    outcome.removedTemporaryFiles += 1;
  }
}

/** Stored files that no row refers to: an unlink that failed after a deletion committed, for one. */
async function sweepOrphans(
  deps: { db: Database; store: EvidenceStore; logger: Logger },
  outcome: SweepOutcome,
): Promise<void> {
  for (const shard of await listOrNothing(deps.store.evidenceRoot)) {
    if (!shard.isDirectory() || !SHARD_PATTERN.test(shard.name)) {
      deps.logger.warn({ entry: shard.name }, "an unexpected entry in the evidence folder was left alone");
      continue;
    }
    const shardPath = path.join(deps.store.evidenceRoot, shard.name);
    let batch: string[] = [];
    const sweepBatch = async () => {
      // Decided and removed under the exclusive lock: no upload is then between renaming a file into
      // place and committing its row, so a file without a committed row is an orphan for good.
      await deps.db.$transaction(
        async (tx) => {
          await tx.$executeRaw`SELECT pg_advisory_xact_lock(${EVIDENCE_PLACEMENT_LOCK_KEY})`;
          const referenced = new Set(
            (
              await tx.evidenceFile.findMany({
                where: { storageKey: { in: batch.filter(isStorageKey) } },
                select: { storageKey: true },
              })
            ).map((row) => row.storageKey),
          );
          let removed = 0;
          for (const name of batch) {
            if (referenced.has(name)) continue;
            await rm(path.join(shardPath, name), { recursive: true, force: true });
            removed += 1;
          }
          if (removed > 0) {
            await recordAudit(tx, { label: "system" }, "evidence.orphans_removed", null, { files: removed });
          }
          outcome.removedOrphanFiles += removed;
        },
        { timeout: ORPHAN_BATCH_TIMEOUT_MS },
      );
      batch = [];
    };
    // A shard may hold many files: read it as a stream, look them up a batch at a time.
    for await (const entry of await opendir(shardPath)) {
      batch.push(entry.name);
      if (batch.length >= ORPHAN_BATCH_SIZE) await sweepBatch();
    }
    if (batch.length > 0) await sweepBatch();
  }
}

async function listOrNothing(folder: string) {
  try {
    return await readdir(folder, { withFileTypes: true });
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
}

async function exists(filePath: string): Promise<boolean> {
  try {
    await stat(filePath);
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}
