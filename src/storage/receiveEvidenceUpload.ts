// CONTRACT STUB (lead) — helper A implements.
//
// Reads one evidence upload (multipart/form-data) with koa-body/formidable into the lease's folder:
// every limit explicit, SHA-256 while streaming, then the CSRF token (a body field) checked, then each
// file inspected (inspectEvidenceFile). Field names: `files` (one or more files), `note` (text, optional),
// `_csrf`. Nothing is placed or written to the database here; on refusal the temporary files stay in the
// lease folder, which the lease removes.
import type { Context } from "koa";
import type { Config } from "../config.js";
import type { EvidenceMediaType } from "../domain/evidenceTypes.js";
import { HttpError } from "../errors.js";

export interface ReceivedEvidenceFile {
  /** The temporary file inside the lease folder. */
  tempPath: string;
  /** A fresh random UUID: the name the file will have once placed. */
  storageKey: string;
  /** The browser's file name, cleaned for display (cleanDisplayName). */
  displayName: string;
  /** The sniffed type; the name's extension and the declared type agreed with it. */
  mediaType: EvidenceMediaType;
  sizeBytes: number;
  /** Hex. */
  sha256: string;
}

export interface ReceivedEvidenceUpload {
  /** The text fields other than _csrf (e.g. note), as sent (validate them with zod in the route). */
  fields: Record<string, string>;
  files: ReceivedEvidenceFile[];
}

/** What the case may still take: limits per case minus what it holds now. */
export interface EvidenceBudget {
  filesLeft: number;
  bytesLeft: number;
}

/** One refused file, named as the person chose it (cleaned), with what to do about it. */
export interface EvidenceFileProblem {
  fileName: string;
  message: string;
}

/**
 * A refused upload: 400 (malformed, empty, nothing chosen, a file that is not what it claims), 413 (a
 * limit), 415 (not multipart). `message` says what to fix; `fileProblems` names the files at fault.
 * Extends HttpError, so unhandled it still becomes the right error page or JSON.
 */
export class EvidenceUploadRefused extends HttpError {
  constructor(
    status: 400 | 413 | 415,
    message: string,
    readonly fileProblems: EvidenceFileProblem[] = [],
  ) {
    super(
      status,
      status === 413 ? "payload_too_large" : status === 415 ? "unsupported_media_type" : "bad_request",
      message,
      status === 413 ? { Connection: "close" } : {},
    );
  }
}

export async function receiveEvidenceUpload(
  _ctx: Context,
  _options: { directory: string; limits: Config["evidence"]; budget: EvidenceBudget },
): Promise<ReceivedEvidenceUpload> {
  throw new Error("not implemented yet (helper A)");
}
