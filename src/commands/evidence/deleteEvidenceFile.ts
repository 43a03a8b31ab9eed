// Deletes one evidence file, after its confirmation page: before a decision, by its uploader or an admin
// (policies/evidence.ts). The row goes in one transaction with its audit row, under the case's lock (a
// decision being written meanwhile waits, or is waited for); the file goes after the commit. A file
// that cannot be unlinked then has no row: it is logged, and the sweep removes it.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Database } from "../../db.js";
import { ERASED_CASE_MESSAGE } from "../../domain/caseMessages.js";
import { CASE_STATE_LABELS } from "../../domain/caseStates.js";
import { conflict, notFound } from "../../errors.js";
import type { Logger } from "../../logger.js";
import { canApplicantEdit, isOpenCase } from "../../policies/cases.js";
import {
  canApplicantDeleteEvidence,
  canApplicantViewEvidence,
  canDeleteEvidence,
} from "../../policies/evidence.js";
import { type Actor, authorize } from "../../policies/staff.js";
import { lockCaseForCommand } from "../../queries/cases.js";
import { findEvidenceFile } from "../../queries/evidence.js";
import type { EvidenceStore } from "../../storage/evidenceStore.js";

/** A catalog id: the applicant's page says it in its language. */
export const APPLICANT_EVIDENCE_LOCKED_MESSAGE = "evidence.refused.locked";

export const NOT_UPLOADER_MESSAGE =
  "Only the person who added this file, or an admin, may delete it. Nothing was deleted.";

/** Who deletes: the case's applicant (their session) or a staff member. */
export type TEvidenceDeleter = { kind: "APPLICANT" } | { kind: "STAFF"; actor: Actor };

export function evidenceLockedMessage(stateLabel: string): string {
  return `This case is ${stateLabel.toLowerCase()}, so its evidence can no longer be deleted. Nothing was deleted.`;
}

export async function deleteEvidenceFile(
  deps: { db: Database; store: EvidenceStore; logger: Logger },
  options: { caseId: string; fileId: string; deleter: TEvidenceDeleter; audit: AuditActor },
): Promise<void> {
  const storageKey = await deps.db.$transaction(async (tx) => {
    const { facts } = await lockCaseForCommand(tx, options.caseId, ERASED_CASE_MESSAGE);
    const file = await findEvidenceFile(tx, { caseId: options.caseId, fileId: options.fileId });
    if (!file) throw notFound();
    if (options.deleter.kind === "APPLICANT") {
      // A staff upload is not the applicant's to see, let alone delete.
      if (!canApplicantViewEvidence(facts, file)) throw notFound();
      if (!canApplicantEdit(facts)) throw conflict(APPLICANT_EVIDENCE_LOCKED_MESSAGE);
      authorize(canApplicantDeleteEvidence(facts, file));
    } else {
      if (!isOpenCase(facts)) throw conflict(evidenceLockedMessage(CASE_STATE_LABELS[facts.state]));
      authorize(canDeleteEvidence(options.deleter.actor, facts, file), NOT_UPLOADER_MESSAGE);
    }
    await tx.evidenceFile.delete({ where: { id: file.id } });
    await recordAudit(
      tx,
      options.audit,
      "evidence.deleted",
      { type: "vetting_case", id: options.caseId },
      { evidenceFileId: file.id, mediaType: file.mediaType, sizeBytes: file.sizeBytes },
    );
    return file.storageKey;
  });
  try {
    await deps.store.remove(storageKey);
  } catch (error) {
    deps.logger.error(
      { category: "evidence", err: error, evidenceFileId: options.fileId },
      "a deleted evidence file could not be removed from disk; the sweep will remove it",
    );
  }
}
