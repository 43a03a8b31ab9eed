// Reads one evidence upload (multipart/form-data) with koa-body/formidable into the lease's folder:
// every limit explicit, SHA-256 while streaming, then the CSRF token (a body field) checked, then each
// file checked (storage/checkEvidenceFile.ts: content, malware, a PDF's active content, a photo's
// metadata removed in place). Field names: `files` (one or more files), `note` (text, optional),
// `_csrf`. Nothing is placed or written to the database here; on refusal the temporary files stay in the
// lease folder, which the lease removes.
//
// The request is never held in memory: each file part streams, as it arrives, to its own temporary file
// (named by a fresh UUID, opened exclusively, 0600), to its stored form beside it when evidence is
// encrypted, and to clamd when scanning is on (storage/incomingEvidenceFile.ts), through a writer that
// stops it the moment it passes the per-file limit (formidable itself checks a file's size only once the
// part has ended). The upload thus costs about one pass over the file: once the last byte is in, only
// clamd's scan and the checks that need the whole file are left. Whatever ends the upload early (a
// limit, a malformed body, the client going away, the deadline), every temporary file is closed and
// every clamd session ended before this function settles, so the lease can remove its folder cleanly.
import { randomUUID } from "node:crypto";
import { unlink } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { Writable } from "node:stream";
import type { Context } from "koa";
import { type ExtendedFormidableOptions, HttpMethodEnum, koaBody } from "koa-body";
import type { Config } from "../../config.js";
import type { EvidenceMediaType } from "../../domain/evidenceTypes.js";
import { formatBytes } from "../../domain/fileSize.js";
import { HttpError } from "../../errors.js";
import { assertDeferredCsrfToken } from "../../middleware/csrf.js";
import { handOverBodyDeadline } from "../../server.js";
import { checkEvidenceFile, type EvidenceFileChecks } from "../../storage/checkEvidenceFile.js";
import { cleanDisplayName } from "../../storage/displayName.js";
import type { EvidenceStore, PreparedEvidenceFile } from "../../storage/evidenceStore.js";
import { IncomingEvidenceFile } from "../../storage/incomingEvidenceFile.js";
import type { PdfActiveContent } from "../../storage/pdfActiveContent.js";
import { type MalwareScanner, MalwareScannerUnavailable } from "../../storage/scanForMalware.js";

export interface ReceivedEvidenceFile {
  /** The plaintext temporary file inside the lease folder; already deleted when `prepared` is set. */
  tempPath: string;
  /**
   * The file's stored form, encrypted while it was received, ready for place(); null when the store
   * keeps files in the clear or the file was rewritten after it arrived (store.prepare() then makes it).
   */
  prepared?: PreparedEvidenceFile | null;
  /** A fresh random UUID: the name the file will have once placed. */
  storageKey: string;
  /** The browser's file name, cleaned for display (cleanDisplayName). */
  displayName: string;
  /** The sniffed type; the name's extension and the declared type agreed with it. */
  mediaType: EvidenceMediaType;
  /** Of the file as it will be kept (after metadata removal). */
  sizeBytes: number;
  /** Hex, of the file as it will be kept. */
  sha256: string;
  /** A PDF's active content, kept because EVIDENCE_PDF_ACTIVE=flag (absent or empty: none). */
  activeContent?: PdfActiveContent[];
  /** Location and camera data were removed from the image. */
  wasMetadataRemoved?: boolean;
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
 * limit), 415 (not multipart), 507 (the uploads volume is full: not the person's doing, but they still
 * get the upload page saying so, not a bare 500). `message` says what to fix; `fileProblems` names the
 * files at fault. Extends HttpError, so unhandled it still becomes the right error page or JSON.
 */
export class EvidenceUploadRefused extends HttpError {
  constructor(
    status: 400 | 413 | 415 | 503 | 507,
    message: string,
    readonly fileProblems: EvidenceFileProblem[] = [],
  ) {
    super(
      status,
      status === 413
        ? "payload_too_large"
        : status === 415
          ? "unsupported_media_type"
          : status === 503
            ? "service_unavailable"
            : status === 507
              ? "insufficient_storage"
              : "bad_request",
      message,
      status === 413 ? { Connection: "close" } : status === 503 ? { "Retry-After": "120" } : {},
    );
  }
}

/** A refusal because the scanner found malware: audited and told to the admins (acceptEvidenceUpload). */
export class MalwareFoundRefusal extends EvidenceUploadRefused {
  constructor(
    message: string,
    fileProblems: EvidenceFileProblem[],
    /** What clamd named, one per infected file. */
    readonly signatures: string[],
  ) {
    super(400, message, fileProblems);
  }
}

export const SCANNER_UNAVAILABLE_MESSAGE =
  "The virus scanner is not answering at the moment, so nothing was kept. Try again in a few minutes.";

/** clamd gave no verdict: 503 with Retry-After, keeping clamd's reason for the operator's log line. */
export function scannerUnavailable(error: MalwareScannerUnavailable): EvidenceUploadRefused {
  const refusal = new EvidenceUploadRefused(503, SCANNER_UNAVAILABLE_MESSAGE);
  refusal.cause = error;
  return refusal;
}

export const UPLOADS_VOLUME_FULL_MESSAGE =
  "There is no room left to store files at the moment, so nothing was kept. Try again later; if it keeps happening, tell the people who run this portal.";

/**
 * The uploads volume is full (ENOSPC) or the portal's quota on it is used up (EDQUOT), wherever that
 * struck: a temporary file while streaming, the lease folder, the folder a file is placed in.
 */
export function isUploadsVolumeFull(error: unknown): boolean {
  for (let cause = error, depth = 0; cause && depth < 5; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (code === "ENOSPC" || code === "EDQUOT") return true;
    cause = (cause as { cause?: unknown }).cause;
  }
  return false;
}

/** The 507 refusal for a full volume, keeping the system error for the operator's log line. */
export function uploadsVolumeFull(error: unknown): EvidenceUploadRefused {
  const refusal = new EvidenceUploadRefused(507, UPLOADS_VOLUME_FULL_MESSAGE);
  refusal.cause = error;
  return refusal;
}

/** The form's file field; any other file field is refused. */
export const EVIDENCE_FILES_FIELD = "files";
/** _csrf and note, with room to spare; a form that sends more is not ours. */
const MAX_FIELDS = 4;
/** The note is at most 1000 characters (4000 bytes of UTF-8); the token is 43. */
const MAX_FIELDS_BYTES = 16 * 1024;
/** Multipart framing around the files and fields: part headers and boundaries. */
const FRAMING_ALLOWANCE_BYTES = 64 * 1024;

// formidable's error codes (node_modules/formidable/src/FormidableError.js). formidable is koa-body's
// dependency, not ours, so its error module is not imported.
const FORMIDABLE_ERRORS = {
  aborted: 1002,
  noParser: 1003,
  maxFieldsSizeExceeded: 1006,
  maxFieldsExceeded: 1007,
  smallerThanMinFileSize: 1008,
  biggerThanTotalMaxFileSize: 1009,
  noEmptyFiles: 1010,
  maxFilesExceeded: 1015,
  biggerThanMaxFileSize: 1016,
} as const;

/** What formidable tells us of a file (a VolatileFile, since we hand it our own write stream). */
interface FormidableFile {
  filepath: string;
  newFilename: string;
  originalFilename: string | null;
  mimetype: string | null;
  size: number;
  hash?: string | null;
}

/** A file that passed the per-file limit while streaming. */
class FileTooLarge extends Error {
  constructor(readonly fileName: string) {
    super("file over the per-file limit");
  }
}

/** An upload that stopped before formidable finished: the client left, or the deadline passed. */
class UploadInterrupted extends Error {}

const INTERRUPTED_MESSAGE = "The upload was interrupted; nothing was kept.";
const TIMED_OUT_MESSAGE = "The upload took too long and was stopped; nothing was kept.";

export async function receiveEvidenceUpload(
  ctx: Context,
  options: {
    directory: string;
    limits: Config["evidence"];
    budget: EvidenceBudget;
    checks: EvidenceFileChecks;
    /** Where the stored form is written while the file arrives (when the store encrypts). */
    store: EvidenceStore;
  },
): Promise<ReceivedEvidenceUpload> {
  const { directory, limits, budget } = options;
  if (!ctx.is("multipart/form-data")) {
    throw new EvidenceUploadRefused(415, "Send the files with the upload form (multipart/form-data).");
  }
  const maxFiles = Math.min(limits.maxFilesPerUpload, budget.filesLeft);
  const maxTotalFileSize = Math.min(budget.bytesLeft, limits.maxFilesPerUpload * limits.maxFileBytes);
  const messages = refusalMessages(limits, budget);

  const upload = new UploadInProgress(ctx.req, limits, {
    store: options.store,
    scanner: options.checks.scanner,
  });
  let parsed: { fields: Record<string, unknown>; files: FormidableFile[] };
  try {
    if (maxFiles <= 0) throw new EvidenceUploadRefused(413, messages.tooManyFiles);
    if (maxTotalFileSize <= 0) throw new EvidenceUploadRefused(413, messages.tooManyBytes);
    parsed = await upload.parse(ctx, {
      uploadDir: directory,
      filename: () => randomUUID(),
      keepExtensions: false,
      createDirsFromUploads: false,
      encoding: "utf-8",
      hashAlgorithm: "sha256",
      maxFileSize: limits.maxFileBytes,
      maxFiles,
      maxTotalFileSize,
      maxFields: MAX_FIELDS,
      maxFieldsSize: MAX_FIELDS_BYTES,
      allowEmptyFiles: false,
      minFileSize: 1,
    });
  } catch (error) {
    await upload.stop();
    throw upload.refusalFor(error, messages);
  } finally {
    upload.end();
  }

  // From here every file is whole on disk; clamd may still be scanning some. Whatever happens next, no
  // session is left open behind the answer.
  try {
    const fields = textFields(parsed.fields);
    assertDeferredCsrfToken(ctx, fields._csrf);
    delete fields._csrf;
    if (parsed.files.length === 0)
      throw new EvidenceUploadRefused(400, "Choose at least one file to upload.");
    return { fields, files: await checkReceivedFiles(parsed.files, upload, options.checks) };
  } finally {
    upload.abortScans();
  }
}

/** Each file through checkEvidenceFile, in the order sent; all or nothing. */
async function checkReceivedFiles(
  received: FormidableFile[],
  upload: UploadInProgress,
  checks: EvidenceFileChecks,
): Promise<ReceivedEvidenceFile[]> {
  const files: ReceivedEvidenceFile[] = [];
  const problems: EvidenceFileProblem[] = [];
  const signatures: string[] = [];
  for (const file of received) {
    const originalName = browserFileName(file.originalFilename ?? "");
    const displayName = cleanDisplayName(originalName);
    if (!file.hash) throw new Error("formidable did not hash a received file");
    const incoming = upload.incomingFile(file.filepath);
    let check: Awaited<ReturnType<typeof checkEvidenceFile>>;
    try {
      check = await checkEvidenceFile(
        {
          path: file.filepath,
          originalName,
          declaredType: file.mimetype ?? "",
          sizeBytes: file.size,
          sha256: file.hash,
          streamedScan: incoming.scan ?? undefined,
        },
        checks,
      );
    } catch (error) {
      if (error instanceof MalwareScannerUnavailable) throw scannerUnavailable(error);
      throw error;
    }
    if (!check.ok) {
      problems.push({ fileName: displayName, message: check.message });
      if (check.reason === "malware") signatures.push(check.signature);
      continue;
    }
    // The plaintext was needed by the checks only. A file rewritten since it arrived (a photo without its
    // metadata) is no longer what was sealed: its stored form is made again from the cleaned file.
    let prepared = incoming.sealed;
    if (prepared && check.wasMetadataRemoved) {
      await incoming.discardSealed();
      prepared = null;
    } else if (prepared) {
      await unlink(file.filepath);
    }
    files.push({
      tempPath: file.filepath,
      prepared,
      storageKey: file.newFilename,
      displayName,
      mediaType: check.mediaType,
      sizeBytes: check.sizeBytes,
      sha256: check.sha256,
      activeContent: check.activeContent,
      wasMetadataRemoved: check.wasMetadataRemoved,
    });
  }
  // All or nothing: one refused file refuses the request, so nobody has to work out which files stayed.
  const [onlyProblem] = problems;
  if (onlyProblem) {
    const message =
      received.length === 1
        ? `"${onlyProblem.fileName}" cannot be accepted. ${onlyProblem.message}`
        : `${problems.length} of the ${received.length} files cannot be accepted, so none of them was kept.`;
    if (signatures.length > 0) throw new MalwareFoundRefusal(message, problems, signatures);
    throw new EvidenceUploadRefused(400, message, problems);
  }
  return files;
}

/**
 * One upload being read: the temporary files it writes, its deadline, and the client going away. Any
 * of those settles parse(); stop() then closes every temporary file before the refusal is answered.
 */
class UploadInProgress {
  /** Temporary file → its writer. */
  private readonly writers = new Map<string, LimitedFileWriter>();
  /** Temporary file → its place among the parts: formidable lists files as they finish writing. */
  private readonly partOrder = new Map<string, number>();
  private hasStopped = false;
  /** The file most recently begun: formidable's per-file errors (empty, too large) are about it. */
  private currentFileName = "";
  /** Settles parse() early, whatever formidable is doing. */
  private readonly interruption: Promise<never>;
  private interrupt!: (reason: Error) => void;
  private readonly deadline: NodeJS.Timeout;
  private readonly onClose = () => {
    if (!this.request.complete) this.interrupt(new UploadInterrupted(INTERRUPTED_MESSAGE));
  };

  constructor(
    private readonly request: IncomingMessage,
    private readonly limits: Config["evidence"],
    /** Where each file's bytes go besides its temporary file (its stored form, clamd). */
    private readonly destinations: { store: EvidenceStore; scanner: MalwareScanner | null },
  ) {
    this.interruption = new Promise<never>((_resolve, reject) => {
      this.interrupt = reject;
    });
    this.interruption.catch(() => {}); // raced in parse(); a reason after the first is moot
    this.request.on("close", this.onClose);
    // The deadline covers the whole request, reading the rest of a refused one included. It replaces
    // the short one every request's body gets (server.ts): an upload is expected to take its time.
    handOverBodyDeadline(this.request);
    this.deadline = setTimeout(() => {
      this.interrupt(new UploadInterrupted(TIMED_OUT_MESSAGE));
      this.request.destroy();
    }, limits.uploadTimeoutMs);
  }

  async parse(
    ctx: Context,
    formidableLimits: ExtendedFormidableOptions,
  ): Promise<{ fields: Record<string, unknown>; files: FormidableFile[] }> {
    const parseBody = koaBody({
      multipart: true,
      urlencoded: false,
      json: false,
      text: false,
      patchNode: false,
      patchKoa: true,
      parsedMethods: [HttpMethodEnum.POST],
      formidable: {
        ...formidableLimits,
        filter: (part) => this.acceptPart(part),
        fileWriteStreamHandler: (file) => this.writerFor(file as unknown as FormidableFile),
      },
    });
    const parsing = parseBody(ctx, async () => {});
    parsing.catch(() => {}); // when the race is lost, formidable may still fail afterwards
    await Promise.race([parsing, this.interruption]);

    const received = ctx.request.files?.[EVIDENCE_FILES_FIELD] ?? [];
    const files = (Array.isArray(received) ? received : [received]) as unknown as FormidableFile[];
    const orderOf = (file: FormidableFile) => this.partOrder.get(file.filepath) ?? Number.POSITIVE_INFINITY;
    return {
      fields: (ctx.request.body ?? {}) as Record<string, unknown>,
      files: files.sort((a, b) => orderOf(a) - orderOf(b)),
    };
  }

  /** Which parts formidable writes to disk (it asks only about parts with a Content-Type). */
  private acceptPart(part: {
    name: string | null;
    originalFilename: string | null;
    on(event: "data", listener: (chunk: Buffer) => void): unknown;
  }): boolean {
    if (part.name !== EVIDENCE_FILES_FIELD) {
      this.interrupt(new EvidenceUploadRefused(400, "The upload could not be read."));
      return false;
    }
    // A browser sends an empty part with an empty file name when no file was chosen: skipped. One
    // that carries content all the same is not a browser's.
    if (!part.originalFilename) {
      part.on("data", (chunk) => {
        if (chunk.length > 0) this.interrupt(new EvidenceUploadRefused(400, "The upload could not be read."));
      });
      return false;
    }
    return true;
  }

  private writerFor(file: FormidableFile): Writable {
    const fileName = cleanDisplayName(browserFileName(file.originalFilename ?? ""));
    this.currentFileName = fileName;
    this.partOrder.set(file.filepath, this.partOrder.size);
    // formidable may begin a part just after a failure it has not reported yet: write nothing then.
    if (this.hasStopped) return new Writable({ write: (_chunk, _encoding, callback) => callback() });
    // A failed write (the disk full, above all) settles the upload at once. Through formidable alone it
    // could be lost: formidable drops the rest of a part once its stream is destroyed, and ignores an
    // error that arrives after it has read the whole request, which would leave a truncated file.
    const onFailure = (error: Error) => this.interrupt(error);
    const writer = new LimitedFileWriter(
      new IncomingEvidenceFile(file.filepath, file.newFilename, { ...this.destinations, onFailure }),
      this.limits.maxFileBytes,
      () => new FileTooLarge(fileName),
      onFailure,
    );
    this.writers.set(file.filepath, writer);
    return writer;
  }

  /** The file received into `tempPath` (its clamd session, its stored form). */
  incomingFile(tempPath: string): IncomingEvidenceFile {
    const writer = this.writers.get(tempPath);
    if (!writer) throw new Error("formidable listed a file this upload did not write");
    return writer.incoming;
  }

  /** Closes every clamd session still open (their verdicts are no longer wanted). */
  abortScans(): void {
    for (const writer of this.writers.values()) writer.incoming.scan?.abort();
  }

  /** The refusal to answer for what stopped the upload; anything that is not the request's fault is rethrown. */
  refusalFor(error: unknown, messages: RefusalMessages): HttpError {
    if (error instanceof HttpError) return error;
    if (error instanceof FileTooLarge) return tooLarge(messages, error.fileName);
    if (error instanceof UploadInterrupted) return new EvidenceUploadRefused(400, error.message);
    if (isUploadsVolumeFull(error)) return uploadsVolumeFull(error);
    const code = (error as { code?: unknown } | null)?.code;
    switch (code) {
      case FORMIDABLE_ERRORS.biggerThanMaxFileSize:
        return tooLarge(messages, this.currentFileName);
      case FORMIDABLE_ERRORS.maxFilesExceeded:
        return new EvidenceUploadRefused(413, messages.tooManyFiles);
      case FORMIDABLE_ERRORS.biggerThanTotalMaxFileSize:
        return new EvidenceUploadRefused(413, messages.tooManyBytes);
      case FORMIDABLE_ERRORS.noEmptyFiles:
      case FORMIDABLE_ERRORS.smallerThanMinFileSize:
        return new EvidenceUploadRefused(400, "One of the files is empty.", [
          { fileName: this.currentFileName, message: "The file is empty." },
        ]);
      case FORMIDABLE_ERRORS.maxFieldsExceeded:
        return new EvidenceUploadRefused(413, "The upload holds more form fields than the form sends.");
      case FORMIDABLE_ERRORS.maxFieldsSizeExceeded:
        return new EvidenceUploadRefused(413, "The text sent with the files is too long.");
      case FORMIDABLE_ERRORS.aborted:
      case "ECONNRESET":
      case "ERR_STREAM_PREMATURE_CLOSE":
        return new EvidenceUploadRefused(400, INTERRUPTED_MESSAGE);
      case FORMIDABLE_ERRORS.noParser:
        return new EvidenceUploadRefused(415, "Send the files with the upload form (multipart/form-data).");
    }
    // formidable's other errors (codes 1000 to 1099) are all a body it could not parse.
    if (typeof code === "number" && code >= 1000 && code < 1100) {
      return new EvidenceUploadRefused(400, "The upload could not be read.");
    }
    throw error; // the disk (other than full), not the request: a 500, logged
  }

  /**
   * After a refusal: no more temporary files, and those begun are closed. When the client is still
   * sending, the rest of the request is read and thrown away, if it is no larger than an upload may be:
   * a server that stops reading makes most browsers show a reset connection instead of the answer.
   */
  async stop(): Promise<void> {
    this.hasStopped = true;
    await Promise.all([...this.writers.values()].map((writer) => writer.discard()));
    const request = this.request;
    if (request.complete || request.destroyed) return;
    const expected = Number(request.headers["content-length"]);
    const largestUpload =
      this.limits.maxFilesPerUpload * this.limits.maxFileBytes + MAX_FIELDS_BYTES + FRAMING_ALLOWANCE_BYTES;
    if (!(expected <= largestUpload)) return; // unknown or too much: Connection: close cuts it short
    await new Promise<void>((resolve) => {
      request.once("end", resolve);
      request.once("close", resolve);
      request.resume();
    });
  }

  /** Clears the deadline and the listener; the request is done with, one way or another. */
  end(): void {
    clearTimeout(this.deadline);
    this.request.off("close", this.onClose);
  }
}

/**
 * One file part, handed on to its IncomingEvidenceFile through a stream that fails as soon as more than
 * `maxBytes` arrive. formidable hashes the bytes before handing them over; this only counts and passes on.
 */
class LimitedFileWriter extends Writable {
  private bytesWritten = 0;
  private readonly whenClosed: Promise<void>;

  constructor(
    readonly incoming: IncomingEvidenceFile,
    private readonly maxBytes: number,
    private readonly tooLarge: () => Error,
    /** Told of the first failure at once (the 'error' event comes only once the writer is closed). */
    private readonly onFailure: (error: Error) => void,
  ) {
    super();
    this.whenClosed = new Promise((resolve) => this.once("close", resolve));
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.bytesWritten += chunk.length;
    if (this.bytesWritten > this.maxBytes) {
      const error = this.tooLarge();
      this.onFailure(error);
      callback(error);
      return;
    }
    // A failed write is reported by the incoming file itself (onFailure), as soon as it happens.
    this.incoming.write(chunk).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    // Done once the files are closed: they can then be checked and moved into place.
    this.incoming.end().then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // A writer that finished is destroyed too (autoDestroy): its files and clamd's session live on.
    if (this.writableFinished) {
      callback(error);
      return;
    }
    this.incoming.discard().then(
      () => callback(error),
      () => callback(error),
    );
  }

  /** Stops writing, ends clamd's session and waits until the files are closed (the lease then removes them). */
  async discard(): Promise<void> {
    this.destroy();
    await this.whenClosed;
    await this.incoming.discard();
  }
}

interface RefusalMessages {
  tooLarge: (fileName: string) => string;
  fileTooLarge: string;
  tooManyFiles: string;
  tooManyBytes: string;
}

function refusalMessages(limits: Config["evidence"], budget: EvidenceBudget): RefusalMessages {
  const perFile = formatBytes(limits.maxFileBytes);
  const isCaseShortOfFiles = budget.filesLeft < limits.maxFilesPerUpload;
  const isCaseShortOfBytes = budget.bytesLeft < limits.maxFilesPerUpload * limits.maxFileBytes;
  return {
    tooLarge: (fileName) => `Each file can be at most ${perFile}; "${fileName}" is larger.`,
    fileTooLarge: `The file is larger than ${perFile}.`,
    tooManyFiles: !isCaseShortOfFiles
      ? `Send at most ${limits.maxFilesPerUpload} files at once.`
      : budget.filesLeft <= 0
        ? `This case can hold at most ${limits.maxFilesPerCase} files; it has no room for more.`
        : `This case can hold at most ${limits.maxFilesPerCase} files; it has room for ${budget.filesLeft} more.`,
    tooManyBytes: !isCaseShortOfBytes
      ? `Each file can be at most ${perFile}.`
      : `This case can hold ${formatBytes(limits.maxCaseBytes)} of evidence; ${formatBytes(Math.max(0, budget.bytesLeft))} is left.`,
  };
}

function tooLarge(messages: RefusalMessages, fileName: string): EvidenceUploadRefused {
  return new EvidenceUploadRefused(413, messages.tooLarge(fileName), [
    { fileName, message: messages.fileTooLarge },
  ]);
}

/**
 * The file name as the person's system had it. Browsers escape `"`, CR and LF in a part's filename as
 * %22, %0D and %0A (the HTML standard's multipart encoding); formidable undoes only the first.
 */
function browserFileName(sent: string): string {
  return sent.replace(/%0D/gi, "\r").replace(/%0A/gi, "\n");
}

/** Text fields sent once each; a field sent twice is not from our form. */
function textFields(fields: Record<string, unknown>): Record<string, string> {
  const text: Record<string, string> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (typeof value !== "string") throw new EvidenceUploadRefused(400, "The upload could not be read.");
    text[name] = value;
  }
  return text;
}
