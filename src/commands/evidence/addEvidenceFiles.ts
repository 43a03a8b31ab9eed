// Adds received evidence files to a case. The lifecycle of one upload (the route runs this inside the
// upload's lease, see storage/uploadLeases.ts), all in ONE transaction:
//   1. lock the case, ask the policy and the case's limits again against the locked case (two uploads
//      may race for the last place), insert the rows with what was received (name, sniffed type, real
//      size, SHA-256), an audit row per file
//   2. take the evidence-placement lock SHARED (storage/backupLock.ts), then move each temporary file
//      into place under its UUID name, then commit. From the first rename to the commit the lock is
//      held, so a backup (which takes it exclusively while it copies the uploads and takes its database
//      snapshot) never sees an upload half done, and the orphan sweep never mistakes a placed file whose
//      row is about to commit for an orphan.
// A failure before the commit rolls the rows back and removes the files already placed. A failed COMMIT
// may still have committed (the connection can drop after the server did): the files are removed only
// when the rows are seen to be absent. A crash leaves at most placed files without rows, which the sweep
// removes. There is never a committed row without its file.
import { randomUUID } from "node:crypto";
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Config } from "../../config.js";
import type { Database } from "../../db.js";
import { ERASED_CASE_MESSAGE } from "../../domain/caseMessages.js";
import { CASE_STATE_LABELS, type CaseState } from "../../domain/caseStates.js";
import { formatBytes } from "../../domain/fileSize.js";
import { conflict } from "../../errors.js";
import type { Logger } from "../../logger.js";
import { isOpenCase } from "../../policies/cases.js";
import { canAddEvidence, canApplicantAddEvidence } from "../../policies/evidence.js";
import { type Actor, authorize } from "../../policies/staff.js";
import { lockCaseForCommand } from "../../queries/cases.js";
import { type EvidenceUsage, findEvidenceUsage } from "../../queries/evidence.js";
import {
  EvidenceUploadRefused,
  type ReceivedEvidenceFile,
} from "../../routes/evidence/receiveEvidenceUpload.js";
import { EVIDENCE_PLACEMENT_LOCK_KEY } from "../../storage/backupLock.js";
import type { EvidenceStore, PreparedEvidenceFile } from "../../storage/evidenceStore.js";
import { notifyStaff } from "../notifications/notifyStaff.js";

/** Who adds the files: the case's applicant (their session) or a staff member. */
export type TEvidenceUploader = { kind: "APPLICANT" } | { kind: "STAFF"; actor: Actor };

const NOTHING_KEPT = "Nothing was kept.";

const PLACEMENT_TRANSACTION_TIMEOUT_MS = 20_000;

/** A catalog id: the applicant's page (and the upload script's JSON) says it in its language. */
export const APPLICANT_EVIDENCE_CLOSED_MESSAGE = "evidence.refused.closed";

/** Said on the upload page of a case that no longer takes files (and, with "Nothing was kept.", on a refusal). */
export function caseClosedForEvidenceMessage(state: CaseState): string {
  return `This case is ${CASE_STATE_LABELS[state].toLowerCase()}, so no more evidence can be added.`;
}

/** The refusal of an upload by staff to a case that no longer takes files. */
export function caseClosedForUploadMessage(state: CaseState): string {
  return `${caseClosedForEvidenceMessage(state)} ${NOTHING_KEPT}`;
}

type CaseLimits = Pick<Config["evidence"], "maxFilesPerCase" | "maxCaseBytes">;

/**
 * Why the case cannot take these files (its limit on files or bytes), or null when it can. Without
 * `adding`: whether it can take anything at all.
 */
export function evidenceBudgetProblem(
  limits: CaseLimits,
  usage: EvidenceUsage,
  adding: { fileCount: number; totalBytes: number } = { fileCount: 1, totalBytes: 1 },
): string | null {
  const filesLeft = limits.maxFilesPerCase - usage.fileCount;
  const bytesLeft = limits.maxCaseBytes - usage.totalBytes;
  const holds = `${usage.fileCount} of ${limits.maxFilesPerCase} files, ${formatBytes(usage.totalBytes)} of ${formatBytes(limits.maxCaseBytes)}`;
  if (filesLeft <= 0 || bytesLeft <= 0)
    return `This case already holds all the evidence it can take (${holds}). Delete a file before adding another. ${NOTHING_KEPT}`;
  if (adding.fileCount > filesLeft)
    return `This case can take ${filesLeft} more ${filesLeft === 1 ? "file" : "files"} (it holds ${holds}). Choose fewer files. ${NOTHING_KEPT}`;
  if (adding.totalBytes > bytesLeft)
    return `This case can take ${formatBytes(bytesLeft)} more (it holds ${holds}). Choose smaller files. ${NOTHING_KEPT}`;
  return null;
}

export interface AddedEvidenceFile {
  id: string;
  displayName: string;
  mediaType: string;
  sizeBytes: number;
}

export async function addEvidenceFiles(
  deps: { db: Database; store: EvidenceStore; logger: Logger },
  options: {
    caseId: string;
    uploader: TEvidenceUploader;
    files: readonly ReceivedEvidenceFile[];
    note: string | null;
    limits: CaseLimits;
    audit: AuditActor;
  },
): Promise<AddedEvidenceFile[]> {
  const subject = { type: "vetting_case", id: options.caseId };
  // Encrypted (when the portal encrypts) before the transaction, most often while the file was received:
  // the lock below is then held for the renames only, however large the files. A refusal afterwards
  // leaves the prepared files in the lease folder, which the lease removes.
  const rows: (ReceivedEvidenceFile & { id: string; prepared: PreparedEvidenceFile })[] = [];
  for (const file of options.files) {
    rows.push({
      id: randomUUID(),
      ...file,
      prepared: file.prepared ?? (await deps.store.prepare(file.tempPath, file.storageKey)),
    });
  }

  // Keys renamed into place so far, to remove if the rows do not commit.
  const placedKeys: string[] = [];
  let isCommitting = false;
  try {
    await deps.db.$transaction(
      async (tx) => {
        const { facts } = await lockCaseForCommand(tx, options.caseId, ERASED_CASE_MESSAGE);
        if (options.uploader.kind === "APPLICANT") {
          if (!canApplicantAddEvidence(facts)) throw conflict(APPLICANT_EVIDENCE_CLOSED_MESSAGE);
        } else {
          if (!isOpenCase(facts)) throw conflict(caseClosedForUploadMessage(facts.state));
          authorize(canAddEvidence(options.uploader.actor, facts));
        }
        const usage = await findEvidenceUsage(tx, options.caseId);
        const problem = evidenceBudgetProblem(options.limits, usage, {
          fileCount: rows.length,
          totalBytes: rows.reduce((sum, row) => sum + row.sizeBytes, 0),
        });
        if (problem) throw new EvidenceUploadRefused(413, problem);

        await tx.evidenceFile.createMany({
          data: rows.map((row) => ({
            id: row.id,
            caseId: options.caseId,
            storageKey: row.storageKey,
            displayName: row.displayName,
            mediaType: row.mediaType,
            sizeBytes: row.sizeBytes,
            sha256: row.sha256,
            encryptionKeyId: row.prepared.encryption?.encryptionKeyId ?? null,
            wrappedDataKey: row.prepared.encryption?.wrappedDataKey ?? null,
            note: options.note,
            activeContent: row.activeContent ?? [],
            uploaderKind: options.uploader.kind,
            uploadedById: options.uploader.kind === "STAFF" ? options.uploader.actor.id : null,
          })),
        });
        for (const row of rows) {
          await recordAudit(tx, options.audit, "evidence.uploaded", subject, {
            evidenceFileId: row.id,
            mediaType: row.mediaType,
            sizeBytes: row.sizeBytes,
          });
        }

        await notifyStaff(tx, {
          notification: {
            kind: "new_evidence",
            caseId: options.caseId,
            fileCount: rows.length,
            addedByStaffId: options.uploader.kind === "STAFF" ? options.uploader.actor.id : null,
          },
        });

        // Last, so the lock is held only from the first rename to the commit (milliseconds).
        await tx.$executeRaw`SELECT pg_advisory_xact_lock_shared(${EVIDENCE_PLACEMENT_LOCK_KEY})`;
        for (const row of rows) {
          await deps.store.place(row.prepared);
          placedKeys.push(row.storageKey);
        }
        isCommitting = true;
      },
      // The shared lock waits while a backup hard-links the evidence folder (seconds at most for a
      // large volume): more than Prisma's default of 5 s, within the statement timeout.
      { timeout: PLACEMENT_TRANSACTION_TIMEOUT_MS },
    );
  } catch (error) {
    if (placedKeys.length > 0) {
      deps.logger.error(
        { category: "evidence", err: error, caseId: options.caseId },
        "evidence files were placed but their rows did not commit; the upload was undone",
      );
      await removeUncommittedFiles(deps, { rows, placedKeys, isCommitUncertain: isCommitting });
    }
    throw error;
  }

  return rows.map((row) => ({
    id: row.id,
    displayName: row.displayName,
    mediaType: row.mediaType,
    sizeBytes: row.sizeBytes,
  }));
}

/**
 * Removes the files of an upload whose rows did not commit. After a failed COMMIT the rows may have
 * committed all the same: then (or when that cannot be told) the files stay, since a row must never lose
 * its file; a file left without a row is an orphan that the sweep removes.
 */
async function removeUncommittedFiles(
  deps: { db: Database; store: EvidenceStore; logger: Logger },
  undo: { rows: readonly { id: string }[]; placedKeys: readonly string[]; isCommitUncertain: boolean },
): Promise<void> {
  if (undo.isCommitUncertain) {
    const committed = await deps.db.evidenceFile
      .count({ where: { id: { in: undo.rows.map((row) => row.id) } } })
      .catch(() => undefined);
    if (committed !== 0) {
      deps.logger.warn(
        { category: "evidence", committedRows: committed ?? "unknown" },
        "the upload's commit failed but may have happened: its placed files were kept",
      );
      return;
    }
  }
  for (const key of undo.placedKeys) {
    // A file left behind has no row: the sweep removes it.
    await deps.store.remove(key).catch((error: unknown) => {
      deps.logger.error(
        { category: "evidence", err: error, storageKey: key },
        "a placed evidence file of an undone upload could not be removed",
      );
    });
  }
}
