// Evidence files as the pages show them: name, type, size (rounded and exact), the full SHA-256, who
// uploaded the file and when, its note, the addresses to download, preview and delete it, and what the
// viewer may do (policies decide). Plus the upload form's view model, which the upload partial and its
// script read (types and limits from one place: the server decides, the browser checks early), and the
// upload section both evidence pages show (presentEvidenceUploadSection).
import type { Config } from "../config.js";
import { EVIDENCE_TYPES, evidenceTypeOf } from "../domain/evidenceTypes.js";
import { formatBytes } from "../domain/fileSize.js";
import { FORMAT_LOCALES } from "../i18n/languages.js";
import { englishTranslator, type Translator } from "../i18n/translator.js";
import type { CaseFacts } from "../policies/cases.js";
import { canApplicantDeleteEvidence, canDeleteEvidence, canPreviewEvidence } from "../policies/evidence.js";
import type { Actor } from "../policies/staff.js";
import type { EvidenceFileRow, EvidenceUsage } from "../queries/evidence.js";
import { evidenceBudgetOf } from "../queries/evidence.js";
import type { EvidenceFileProblem } from "../routes/evidence/receiveEvidenceUpload.js";
import { PDF_ACTIVE_CONTENT_LABELS, type PdfActiveContent } from "../storage/pdfActiveContent.js";
import { urls } from "../urls.js";
import { formatDateTime, isoDateTime } from "./staff.js";

/** The longest note kept with a file. */
export const EVIDENCE_NOTE_MAX_LENGTH = 1000;

const exactNumber = new Intl.NumberFormat("en-GB");

/** "1,468,006 bytes": the real size, exactly. */
export function formatExactBytes(bytes: number): string {
  return bytes === 1 ? "1 byte" : `${exactNumber.format(bytes)} bytes`;
}

/** Who looks at the list: the applicant (their own uploads only) or a staff member. */
export type EvidenceViewer =
  | { kind: "applicant" }
  /** `translator`: the staff page's language, for what only staff are told (English by default). */
  | { kind: "staff"; actor: Actor; translator?: Translator };

/** What a flagged PDF carries, said in the staff page's language ("JavaScript and embedded files"). */
function activeContentWarningOf(translator: Translator, found: readonly PdfActiveContent[]): string {
  const kinds = new Intl.ListFormat(FORMAT_LOCALES[translator.language], { type: "conjunction" }).format(
    found.map((kind) => translator.t(`staff.cases.evidence.activeContentKind.${kind}`)),
  );
  return translator.t("staff.cases.evidence.activeContentWarning", { kinds });
}

export function presentEvidenceFiles(
  rows: readonly EvidenceFileRow[],
  viewer: EvidenceViewer,
  /** Staff pages pass the case's facts whole (the conflicts too); the applicant's page its state. */
  vettingCase: Pick<CaseFacts, "state" | "erasedAt"> & Partial<Pick<CaseFacts, "conflictedStaffIds">>,
) {
  return rows.map((row) => {
    const type = evidenceTypeOf(row.mediaType);
    const isStaffViewer = viewer.kind === "staff";
    const activeContent = row.activeContent.filter((kind): kind is PdfActiveContent =>
      Object.hasOwn(PDF_ACTIVE_CONTENT_LABELS, kind),
    );
    const canDelete = isStaffViewer
      ? canDeleteEvidence(
          viewer.actor,
          { ...vettingCase, conflictedStaffIds: vettingCase.conflictedStaffIds ?? [] },
          row,
        )
      : canApplicantDeleteEvidence(vettingCase, row);
    return {
      id: row.id,
      anchor: `evidence-${row.id}`,
      displayName: row.displayName,
      mediaType: row.mediaType,
      typeLabel: type?.label ?? row.mediaType,
      isImage: type?.isImage ?? false,
      isPdf: row.mediaType === "application/pdf",
      sizeBytes: row.sizeBytes,
      sizeLabel: formatBytes(row.sizeBytes),
      sizeExact: formatExactBytes(row.sizeBytes),
      sha256: row.sha256,
      uploader:
        row.uploaderKind === "APPLICANT"
          ? isStaffViewer
            ? "staff.cases.theApplicant"
            : "evidenceList.you"
          : (row.uploadedBy?.name ?? "A staff member"),
      uploadedAt: formatDateTime(row.createdAt),
      uploadedAtIso: isoDateTime(row.createdAt),
      note: row.note ?? "",
      urls: isStaffViewer
        ? {
            download: urls.staffCaseEvidenceFile(row.caseId, row.id),
            // A PDF that could run something is never shown inside the portal (routes/staff/caseEvidence.ts).
            preview: canPreviewEvidence(row) ? urls.staffCaseEvidencePreview(row.caseId, row.id) : null,
            // A PDF's first page drawn as an image (browsers refuse PDFs in sandboxed frames).
            firstPage:
              canPreviewEvidence(row) && row.mediaType === "application/pdf"
                ? urls.staffCaseEvidencePage(row.caseId, row.id, 1)
                : null,
            // The viewer page (an image or PDF beside the case's details), for what can be previewed.
            view:
              canPreviewEvidence(row) && (type?.isImage || row.mediaType === "application/pdf")
                ? urls.staffCaseEvidenceView(row.caseId, row.id)
                : null,
            delete: urls.staffCaseEvidenceDelete(row.caseId, row.id),
          }
        : {
            download: urls.applicantEvidenceFile(row.id),
            preview: null,
            firstPage: null,
            view: null,
            delete: urls.applicantEvidenceDelete(row.id),
          },
      /** Staff only: what the PDF carries that a viewer could run or open (EVIDENCE_PDF_ACTIVE=flag). */
      activeContentWarning:
        viewer.kind === "staff" && activeContent.length > 0
          ? activeContentWarningOf(viewer.translator ?? englishTranslator(), activeContent)
          : null,
      can: { delete: canDelete },
    };
  });
}

export type EvidenceFileView = ReturnType<typeof presentEvidenceFiles>[number];

/** "3 of 10 files, 4.1 MB of 100 MB": what the case holds against its limits. */
export function presentEvidenceUsage(limits: Config["evidence"], usage: EvidenceUsage) {
  const budget = evidenceBudgetOf(limits, usage);
  const files = `${usage.fileCount} of ${limits.maxFilesPerCase} ${limits.maxFilesPerCase === 1 ? "file" : "files"}`;
  return {
    fileCount: usage.fileCount,
    maxFiles: limits.maxFilesPerCase,
    totalBytes: usage.totalBytes,
    maxBytes: limits.maxCaseBytes,
    bytesLabel: formatBytes(usage.totalBytes),
    maxBytesLabel: formatBytes(limits.maxCaseBytes),
    summary: `${files}, ${formatBytes(usage.totalBytes)} of ${formatBytes(limits.maxCaseBytes)}`,
    isFull: budget.filesLeft === 0 || budget.bytesLeft === 0,
  };
}

export type EvidenceUsageView = ReturnType<typeof presentEvidenceUsage>;

/** The upload form's view model (views/partials/evidence-upload.njk and static/js/evidence-upload.js). */
export interface EvidenceUploadView {
  /** POST address (urls.applicantEvidence() or urls.staffCaseEvidence(id)). */
  action: string;
  /** Where the script navigates once every file is uploaded. */
  doneUrl: string;
  /** The file input's accept attribute: extensions and media types. */
  accept: string;
  /** ".pdf .png .jpg .jpeg .gif .webp" (for a data attribute). */
  allowedExtensions: string;
  /** "application/pdf image/png image/jpeg image/gif image/webp". */
  allowedTypes: string;
  /** ["PDF", "PNG", …]: the page joins them in its language ("PDF, PNG oder JPEG"). */
  typeLabels: string[];
  maxFileBytes: number;
  maxFilesPerUpload: number;
  /** What the case may still take. */
  filesLeft: number;
  bytesLeft: number;
  noteMaxLength: number;
  /** Re-filled after a refusal. */
  note: string;
  /** The refusal's message (plain form). */
  error: string | null;
  fileProblems: EvidenceFileProblem[];
}

/** What an evidence page shows after a refused upload (or a refused deletion: message only). */
export interface EvidenceUploadRefusal {
  status: number;
  message: string;
  fileProblems: EvidenceFileProblem[];
  /** The note as typed, when the body was read far enough to have it. */
  note: string;
}

/** A refusal that is about the case, not about the files sent (it closed, it was erased, it moved on). */
export function caseRefusal(status: number, message: string): EvidenceUploadRefusal {
  return { status, message, fileProblems: [], note: "" };
}

export function presentEvidenceUpload(options: {
  action: string;
  doneUrl: string;
  limits: Config["evidence"];
  usage: EvidenceUsage;
  /** A refused upload: its message, the files at fault and the note as typed, to fill the form again. */
  refusal?: EvidenceUploadRefusal | null;
}): EvidenceUploadView {
  const extensions = EVIDENCE_TYPES.flatMap((type) => type.extensions);
  const mediaTypes = EVIDENCE_TYPES.map((type) => type.mediaType);
  const budget = evidenceBudgetOf(options.limits, options.usage);
  return {
    action: options.action,
    doneUrl: options.doneUrl,
    accept: [...extensions, ...mediaTypes].join(","),
    allowedExtensions: extensions.join(" "),
    allowedTypes: mediaTypes.join(" "),
    typeLabels: EVIDENCE_TYPES.map((type) => type.label),
    maxFileBytes: options.limits.maxFileBytes,
    maxFilesPerUpload: options.limits.maxFilesPerUpload,
    filesLeft: budget.filesLeft,
    bytesLeft: budget.bytesLeft,
    noteMaxLength: EVIDENCE_NOTE_MAX_LENGTH,
    note: options.refusal?.note ?? "",
    error: options.refusal?.message ?? null,
    fileProblems: options.refusal?.fileProblems ?? [],
  };
}

/**
 * The upload part of both evidence pages (the applicant's and a case's for staff): the form while the
 * case takes files, filled again after a refusal; once it takes none, no form, and a refusal is said at
 * the top of the page instead (`conflict`).
 */
export function presentEvidenceUploadSection(options: {
  canAdd: boolean;
  action: string;
  doneUrl: string;
  limits: Config["evidence"];
  usage: EvidenceUsage;
  refusal: EvidenceUploadRefusal | null;
}) {
  const { canAdd, refusal } = options;
  return {
    upload: canAdd ? presentEvidenceUpload(options) : null,
    conflict: !canAdd && refusal ? refusal.message : null,
  };
}

/** What an accepted upload did to the files on the way, for the page that says it was done. */
export interface EvidenceUploadOutcome {
  /** Location and camera data were removed from at least one image. */
  wasMetadataRemoved: boolean;
}
