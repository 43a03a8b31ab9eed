// One evidence file while it arrives. Each piece, in order and as it is received, goes to:
//   - the plaintext temporary file in the lease folder (0600: only the portal's own user, which runs the
//     checks, ever reads it);
//   - with EVIDENCE_ENCRYPTION_KEY, the stored form beside it (evidenceStore.sealWhileReceiving), so that
//     the file is encrypted once, while the network is the slower part, instead of read again afterwards;
//   - with EVIDENCE_SCAN=required, clamd (scanForMalware.ts, INSTREAM), so that clamd has the file when
//     the last byte arrives and only its scan is left.
// The slowest of them sets the pace: the next piece is taken only once each can take more, so memory
// stays a few buffers per destination whatever the file's size.
//
// Why a plaintext copy is written at all, when the stored form is already being written: the checks
// before storage need a file they can seek in. qpdf reads a PDF's cross-reference table at its end
// before any object, the completeness checks walk an image's structure and ExifTool rewrites a photo,
// and none of them can read from a pipe or through our decryption. Decrypting into a second file
// afterwards would be the extra pass this module exists to avoid. So the plaintext lives in the lease
// folder (0750, the portal's user) for the seconds the upload and its checks take, as it always has,
// and is deleted as soon as they are done (receiveEvidenceUpload.ts); a crash leaves it to the lease
// sweep. A file written and deleted that soon usually never leaves the page cache for the disk.
import { createWriteStream, type WriteStream } from "node:fs";
import type { Writable } from "node:stream";
import type { EvidenceStore, PreparedEvidenceFile, SealingEvidenceFile } from "./evidenceStore.js";
import type { MalwareScanner, MalwareScanStream } from "./scanForMalware.js";

/** The plaintext copy is readable by the portal's user alone (it is never served, nor placed as such by nginx's group). */
export const INCOMING_FILE_MODE = 0o600;
/** What each file destination may hold before the next piece waits: a few of the pieces a socket delivers. */
const DESTINATION_BUFFER_BYTES = 256 * 1024;

export class IncomingEvidenceFile {
  private readonly plaintext: WriteStream;
  private readonly sealing: SealingEvidenceFile | null;
  /** clamd's session, fed as the file arrives; null when scanning is off. */
  readonly scan: MalwareScanStream | null;
  private readonly whenPlaintextClosed: Promise<void>;
  private failure: Error | null = null;
  /** Stopped on purpose (discard, discardSealed): what the destinations report then is moot. */
  private isStopped = false;

  /**
   * Starts receiving into `tempPath` (a new file, never one that exists). `onFailure` hears of the first
   * failure of a file destination at once (a full volume, above all): the upload must stop then, not
   * when its last byte has arrived. clamd failing does not stop the upload: its verdict says so later.
   */
  constructor(
    readonly tempPath: string,
    storageKey: string,
    options: { store: EvidenceStore; scanner: MalwareScanner | null; onFailure: (error: Error) => void },
  ) {
    this.plaintext = createWriteStream(tempPath, {
      flags: "wx",
      mode: INCOMING_FILE_MODE,
      highWaterMark: DESTINATION_BUFFER_BYTES,
    });
    this.whenPlaintextClosed = new Promise((resolve) => this.plaintext.once("close", resolve));
    this.sealing = options.store.sealWhileReceiving(tempPath, storageKey);
    this.scan = options.scanner?.scanStream() ?? null;
    const fail = (error: Error) => {
      // A destination destroyed because the upload already stopped: that refusal is the answer.
      if (this.isStopped || (error as NodeJS.ErrnoException).code === "ERR_STREAM_DESTROYED") return;
      if (this.failure) return;
      this.failure = error;
      options.onFailure(error);
    };
    this.plaintext.on("error", fail);
    this.sealing?.input.on("error", fail);
    this.sealing?.whenSealed.catch(fail);
  }

  /** The stored form written while receiving, for place(); null when files are stored in the clear. */
  get sealed(): PreparedEvidenceFile | null {
    return this.sealing?.prepared ?? null;
  }

  /** Passes one piece to every destination; resolves once each can take the next. */
  async write(chunk: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    const waits: Promise<void>[] = [];
    for (const destination of [this.plaintext, this.sealing?.input]) {
      if (destination && !destination.write(chunk)) waits.push(drainedOrFailed(destination));
    }
    if (this.scan) waits.push(this.scan.write(chunk));
    await Promise.all(waits);
    if (this.failure) throw this.failure;
  }

  /**
   * After the last piece: both files complete and closed, clamd told the stream has ended (its verdict
   * is awaited by the checks, so that it scans while the rest of the request is read).
   */
  async end(): Promise<void> {
    this.scan?.end();
    const plaintextFinished = new Promise<void>((resolve, reject) => {
      this.plaintext.once("error", reject);
      this.plaintext.end(() => resolve());
    });
    this.sealing?.input.end();
    await Promise.all([plaintextFinished, this.whenPlaintextClosed, this.sealing?.whenSealed]);
    if (this.failure) throw this.failure;
  }

  /** Stops at once: clamd's session closed, both files closed (and the sealed one deleted). */
  async discard(): Promise<void> {
    this.isStopped = true;
    this.scan?.abort();
    this.plaintext.destroy();
    await Promise.all([this.whenPlaintextClosed, this.sealing?.discard()]);
  }

  /** Deletes the stored form written while receiving: the file was rewritten after it arrived. */
  async discardSealed(): Promise<void> {
    this.isStopped = true;
    await this.sealing?.discard();
  }
}

/** Resolves once the stream can take more; also on an error or close, which the failure handler reports. */
function drainedOrFailed(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("error", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("error", done);
    stream.on("close", done);
  });
}
