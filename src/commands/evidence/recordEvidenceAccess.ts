// Every look at an evidence file is audited before a byte of it leaves: a preview ("evidence.viewed")
// and a download ("evidence.downloaded"). A file whose content no longer matches its stored SHA-256 (or
// that is missing) is not sent at all: "evidence.integrity_failed" in the audit log, and an error line
// for the operator (category "integrity") with what was expected and found. The audit details hold
// ids, type and size only; hashes belong in the log, never in the append-only audit trail.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Database } from "../../db.js";
import type { Logger } from "../../logger.js";

export interface AccessedEvidenceFile {
  id: string;
  caseId: string;
  mediaType: string;
  sizeBytes: number;
}

const detailsOf = (file: AccessedEvidenceFile) => ({
  evidenceFileId: file.id,
  mediaType: file.mediaType,
  sizeBytes: file.sizeBytes,
});

export async function recordEvidenceAccess(
  db: Database,
  options: { file: AccessedEvidenceFile; access: "viewed" | "downloaded"; audit: AuditActor },
): Promise<void> {
  await db.$transaction((tx) =>
    recordAudit(
      tx,
      options.audit,
      options.access === "viewed" ? "evidence.viewed" : "evidence.downloaded",
      { type: "vetting_case", id: options.file.caseId },
      detailsOf(options.file),
    ),
  );
}

export async function recordEvidenceIntegrityFailure(
  deps: { db: Database; logger: Logger },
  options: {
    file: AccessedEvidenceFile & { storageKey: string; sha256: string };
    /** What is on disk now; null when the file is missing. */
    found: { sha256: string; sizeBytes: number } | null;
    /** Why an encrypted file did not open (then `found` is null though the file is there). */
    decryptionProblem?: string | undefined;
    audit: AuditActor;
  },
): Promise<void> {
  deps.logger.error(
    {
      category: "integrity",
      evidenceFileId: options.file.id,
      caseId: options.file.caseId,
      storageKey: options.file.storageKey,
      expectedSha256: options.file.sha256,
      expectedSizeBytes: options.file.sizeBytes,
      foundSha256: options.found?.sha256 ?? null,
      foundSizeBytes: options.found?.sizeBytes ?? null,
      decryptionProblem: options.decryptionProblem ?? null,
      requestId: options.audit.requestId,
    },
    options.decryptionProblem
      ? "evidence file failed its integrity check: its encrypted content does not open; it was not sent"
      : options.found
        ? "evidence file failed its integrity check: its content does not match the stored SHA-256; it was not sent"
        : "evidence file is missing from the uploads volume; it was not sent",
  );
  await deps.db.$transaction((tx) =>
    recordAudit(
      tx,
      options.audit,
      "evidence.integrity_failed",
      { type: "vetting_case", id: options.file.caseId },
      detailsOf(options.file),
    ),
  );
}
