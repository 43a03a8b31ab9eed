// The one way to decide whether a received file may be kept, and to make it fit to keep. Every path
// that brings evidence in (the upload form, the upload script, an import) calls this on the file while
// it is still in its temporary place, before any row refers to it and before anyone can see it:
//   1. the content checks (inspectEvidenceFile.ts): type from the bytes, complete, not too many pixels,
//      name and declared type agree;
//   2. malware: clamd scans the bytes as received (scanForMalware.ts), unless EVIDENCE_SCAN=off; no
//      verdict (clamd down or silent) throws MalwareScannerUnavailable, so that the caller answers 503
//      and keeps nothing (fail closed). An upload hands over the session it streamed to clamd while the
//      file arrived, whose verdict is then mostly ready; when that session's connection was lost
//      without an answer (the upload paused for longer than clamd waits for data, or clamd restarted),
//      the file is scanned again from disk, so that a slow upload is not refused for it;
//   3. a PDF's active content (pdfActiveContent.ts): refused, or with EVIDENCE_PDF_ACTIVE=flag kept and
//      reported, so that staff are warned and it is never previewed inline;
//   4. image metadata (stripImageMetadata.ts): removed in place from JPEG, PNG and WebP, unless
//      EVIDENCE_STRIP_METADATA=off; the digest and size returned are then the cleaned file's.
// The cheap checks come first; the scan sees the bytes exactly as they were sent. Known malware never
// reaches qpdf or ExifTool: they run only once clamd has said the file is clean.
import type { Config } from "../config.js";
import type { EvidenceMediaType } from "../domain/evidenceTypes.js";
import { type EvidenceFileToInspect, inspectEvidenceFile } from "./inspectEvidenceFile.js";
import { describePdfActiveContent, findPdfActiveContent, type PdfActiveContent } from "./pdfActiveContent.js";
import {
  createMalwareScanner,
  type MalwareScanner,
  type MalwareScanStream,
  type MalwareScanVerdict,
} from "./scanForMalware.js";
import { hasStrippableMetadata, stripImageMetadata } from "./stripImageMetadata.js";

export interface EvidenceFileToCheck extends EvidenceFileToInspect {
  /** SHA-256 (hex) of the file as received. */
  sha256: string;
  /** clamd's session fed while the file arrived (ended); without it, the file is scanned from disk. */
  streamedScan?: MalwareScanStream;
}

export interface EvidenceFileChecks {
  limits: Pick<Config["evidence"], "maxImagePixels" | "pdfActiveContent" | "isMetadataStripped">;
  /** null: EVIDENCE_SCAN=off. */
  scanner: MalwareScanner | null;
}

/** The checks as configured (EVIDENCE_SCAN, CLAMAV_*, EVIDENCE_PDF_ACTIVE, EVIDENCE_STRIP_METADATA). */
export function evidenceFileChecks(evidence: Config["evidence"]): EvidenceFileChecks {
  const scan = evidence.malwareScan;
  return {
    limits: evidence,
    scanner: scan ? createMalwareScanner(scan.clamd, { timeoutMs: scan.timeoutMs }) : null,
  };
}

export type EvidenceFileCheck =
  | {
      ok: true;
      mediaType: EvidenceMediaType;
      /** Of the file as it is now (after metadata removal). */
      sha256: string;
      sizeBytes: number;
      /** A PDF's active content, kept because EVIDENCE_PDF_ACTIVE=flag; empty for every other file. */
      activeContent: PdfActiveContent[];
      /** Location and camera data were removed from the image. */
      wasMetadataRemoved: boolean;
    }
  | { ok: false; reason: "content" | "active_content"; message: string }
  | { ok: false; reason: "malware"; message: string; signature: string };

export const MALWARE_FOUND_MESSAGE =
  "The virus scanner found malware in the file, so it was not kept. If you did not expect that, scan your device and send a fresh copy of the document.";

export async function checkEvidenceFile(
  file: EvidenceFileToCheck,
  checks: EvidenceFileChecks,
): Promise<EvidenceFileCheck> {
  const inspection = await inspectEvidenceFile(file, { maxImagePixels: checks.limits.maxImagePixels });
  if (!inspection.ok) return { ok: false, reason: "content", message: inspection.message };
  const { mediaType } = inspection;

  if (checks.scanner) {
    const verdict = await malwareVerdict(file, checks.scanner);
    if (verdict.isInfected) {
      return { ok: false, reason: "malware", message: MALWARE_FOUND_MESSAGE, signature: verdict.signature };
    }
  }

  let activeContent: PdfActiveContent[] = [];
  if (mediaType === "application/pdf") {
    const pdf = await findPdfActiveContent(file.path);
    if (!pdf.isReadable) return { ok: false, reason: "content", message: pdf.message };
    if (pdf.found.length > 0 && checks.limits.pdfActiveContent === "refuse") {
      return {
        ok: false,
        reason: "active_content",
        message: `The PDF contains ${describePdfActiveContent(pdf.found)}, which a PDF viewer could run or open on its own, so it was not kept. Print it to a new PDF (or scan the paper) and upload that.`,
      };
    }
    activeContent = pdf.found;
  }

  let { sha256, sizeBytes } = file;
  let wasMetadataRemoved = false;
  if (checks.limits.isMetadataStripped && hasStrippableMetadata(mediaType)) {
    const stripped = await stripImageMetadata(file.path, mediaType, file.sha256);
    if ("isUnreadable" in stripped) {
      return {
        ok: false,
        reason: "content",
        message: "The image's metadata cannot be read, so it may be damaged. Save it again and upload that.",
      };
    }
    if (stripped.isChanged) {
      ({ sha256, sizeBytes } = stripped);
      wasMetadataRemoved = true;
    }
  }
  return { ok: true, mediaType, sha256, sizeBytes, activeContent, wasMetadataRemoved };
}

async function malwareVerdict(
  file: EvidenceFileToCheck,
  scanner: MalwareScanner,
): Promise<MalwareScanVerdict> {
  const streamed = file.streamedScan;
  if (streamed) {
    try {
      return await streamed.verdict();
    } catch (error) {
      // clamd answered with an error, or outlasted the deadline for its answer: its failure, 503.
      if (!streamed.hasBrokenOff) throw error;
    }
  }
  return scanner.scanFile(file.path);
}
