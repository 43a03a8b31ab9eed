// Reads of a case's evidence files: the list a page shows, one file by its id within its case, and what
// the case holds (for its limits). Explicit selects only; the file's content lives on the uploads volume.
import type { Database, Transaction } from "../db.js";
import type { EvidenceUploaderKind, Prisma } from "../generated/prisma/client.js";

export const evidenceFileSelect = {
  id: true,
  caseId: true,
  storageKey: true,
  displayName: true,
  mediaType: true,
  sizeBytes: true,
  sha256: true,
  encryptionKeyId: true,
  wrappedDataKey: true,
  note: true,
  activeContent: true,
  uploaderKind: true,
  uploadedById: true,
  uploadedBy: { select: { name: true } },
  createdAt: true,
} satisfies Prisma.EvidenceFileSelect;

export type EvidenceFileRow = Prisma.EvidenceFileGetPayload<{ select: typeof evidenceFileSelect }>;

/** The case's files, oldest first; only those of one uploader kind when asked (the applicant's own). */
export function findEvidenceFiles(
  db: Database | Transaction,
  caseId: string,
  options: { uploaderKind?: EvidenceUploaderKind } = {},
): Promise<EvidenceFileRow[]> {
  return db.evidenceFile.findMany({
    where: { caseId, ...(options.uploaderKind ? { uploaderKind: options.uploaderKind } : {}) },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    select: evidenceFileSelect,
  });
}

/** One file, only within the case named: a file of another case is no file here (null, so a 404). */
export function findEvidenceFile(
  db: Database | Transaction,
  where: { caseId: string; fileId: string },
): Promise<EvidenceFileRow | null> {
  return db.evidenceFile.findFirst({
    where: { id: where.fileId, caseId: where.caseId },
    select: evidenceFileSelect,
  });
}

/** What the case holds now, for its limits (files per case, bytes per case). */
export interface EvidenceUsage {
  fileCount: number;
  totalBytes: number;
}

export async function findEvidenceUsage(db: Database | Transaction, caseId: string): Promise<EvidenceUsage> {
  const usage = await db.evidenceFile.aggregate({
    where: { caseId },
    _count: { _all: true },
    _sum: { sizeBytes: true },
  });
  return { fileCount: usage._count._all, totalBytes: usage._sum.sizeBytes ?? 0 };
}

/** What the case may still take: its limits minus what it holds (never below zero). */
export function evidenceBudgetOf(
  limits: { maxFilesPerCase: number; maxCaseBytes: number },
  usage: EvidenceUsage,
): { filesLeft: number; bytesLeft: number } {
  return {
    filesLeft: Math.max(0, limits.maxFilesPerCase - usage.fileCount),
    bytesLeft: Math.max(0, limits.maxCaseBytes - usage.totalBytes),
  };
}

/**
 * What the evidence viewer shows of a case beside a document: the facts an agent compares it with
 * (name, contact details, statement, dates) and who has the case.
 */
export function findCaseDetailsForEvidenceViewer(db: Database | Transaction, caseId: string) {
  return db.vettingCase.findUnique({
    where: { id: caseId },
    select: {
      statement: true,
      submittedAt: true,
      assignedTo: { select: { name: true } },
    },
  });
}
