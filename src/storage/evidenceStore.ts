// The uploads volume, laid out as:
//   uploads/evidence/<first two characters of the key>/<key>   stored evidence (dirs 0750, files 0640)
//   uploads/.incoming/<lease id>/<uuid>                          uploads in flight (see uploadLeases.ts)
// Modes are set explicitly with chmod, whatever the process umask: the files are people's personal
// data, readable by the portal's user and group (nginx's, behind X-Accel-Redirect) and nobody else.
// Every name below uploads/ is a UUID the portal made, never anything a person sent.
//
// With a key-encryption key configured (EVIDENCE_ENCRYPTION_KEY), a stored file is its ciphertext
// (evidenceEncryption.ts) and its row holds the wrapped data key; without one, the plaintext. Storing
// is two steps so that the encryption never runs inside a transaction: prepare() turns a received
// plaintext file into its stored form beside it in the lease folder (before the transaction), place()
// renames that into the evidence folder (inside it, under the placement lock). Reading is one: open().
// An upload is encrypted while it is received (sealWhileReceiving, fed by incomingEvidenceFile.ts): its
// stored form is then ready when the last byte arrives, and prepare() is needed only for a file that
// was rewritten after it arrived (a photo without its metadata) or that came from elsewhere (an import).

import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { chmod, mkdir, rename, unlink } from "node:fs/promises";
import path from "node:path";
import type { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { isCanonicalUuid } from "../domain/ids.js";
import {
  decryptingStream,
  encryptingStream,
  type KeyEncryptionKeyring,
  newDataKey,
  unwrapDataKey,
  type WrappedDataKey,
} from "./evidenceEncryption.js";

export const DIRECTORY_MODE = 0o750;
export const FILE_MODE = 0o640;

/** Lower case only, as Postgres and randomUUID() write them: one spelling per key. */

export function isStorageKey(value: string): boolean {
  return isCanonicalUuid(value);
}

/** What a stored file's row says about how to read it (both null: stored in the clear). */
export interface StoredEvidenceRef {
  storageKey: string;
  encryptionKeyId: string | null;
  wrappedDataKey: string | null;
}

/** A received file in its stored form, ready for place(); `encryption` goes into the file's row. */
export interface PreparedEvidenceFile {
  storageKey: string;
  /** The file to rename into place: in the lease folder, beside the received one. */
  stagedPath: string;
  /** The wrapped data key and its KEK's id; null when the file is stored in the clear. */
  encryption: WrappedDataKey | null;
}

/** A file's stored form, written while the file is received (see sealWhileReceiving). */
export interface SealingEvidenceFile {
  /** Takes the plaintext, in order, as it arrives; end() it after the last piece. */
  readonly input: Writable;
  /** Settles once the sealed file is complete and closed (rejects on a write error, such as a full volume). */
  readonly whenSealed: Promise<void>;
  /** For place() once `whenSealed` has resolved. */
  readonly prepared: PreparedEvidenceFile;
  /** Stops writing, closes the sealed file and deletes it (an upload refused, or a file rewritten). */
  discard(): Promise<void>;
}

export interface EvidenceStore {
  /** The uploads folder (config.uploadsDir). */
  readonly root: string;
  /** uploads/evidence: one folder per first two characters of the keys. */
  readonly evidenceRoot: string;
  /** uploads/.incoming: one folder per upload lease. */
  readonly incomingRoot: string;
  /** Creates uploads/, uploads/evidence/ and uploads/.incoming/ (0750) when missing. */
  ensureLayout(): Promise<void>;
  /** uploads/.incoming/<leaseId> (not created here). */
  incomingDirectory(leaseId: string): string;
  /** Creates uploads/.incoming/<leaseId> (0750), and the layout when it is missing; returns its path. */
  createIncomingDirectory(leaseId: string): Promise<string>;
  /** uploads/evidence/<key[0..2]>/<key>. Throws on a key that is not a UUID. */
  pathOf(storageKey: string): string;
  /** The path below the evidence folder ("ab/<key>"), for nginx's X-Accel-Redirect. */
  relativePathOf(storageKey: string): string;
  /** Whether new files are stored encrypted (a key-encryption key is configured). */
  readonly isEncrypting: boolean;
  /**
   * A received plaintext file (in a lease folder) in its stored form: encrypted under a fresh data key
   * into `<tempPath>.sealed` (0640), the plaintext then removed; or, without encryption, the file itself.
   * Call before the transaction that inserts the row; the row records `encryption`.
   */
  prepare(tempPath: string, storageKey: string): Promise<PreparedEvidenceFile>;
  /**
   * The stored form of a file written while it is received, to `<tempPath>.sealed` (0640) under a fresh
   * data key, so that no second pass over the file is needed; null when files are stored in the clear
   * (the received file is then its own stored form).
   */
  sealWhileReceiving(tempPath: string, storageKey: string): SealingEvidenceFile | null;
  /** Moves a prepared file into place (rename on the same volume; folder 0750, file 0640). */
  place(prepared: PreparedEvidenceFile): Promise<void>;
  /**
   * The stored file's content (plaintext), streamed. An encrypted file is decrypted a chunk at a time
   * and each chunk passed on only once its tag is checked: the stream fails (EvidenceDecryptionError)
   * at the first chunk altered, moved or missing, before any of its bytes. Rejects ENOENT when missing.
   */
  open(file: StoredEvidenceRef): Promise<Readable>;
  /** Deletes a stored file; a file already gone is not an error. */
  remove(storageKey: string): Promise<void>;
  /**
   * SHA-256 (hex) and size of the stored file's content as it is now (decrypted when encrypted); null
   * when it is missing. Rejects with EvidenceDecryptionError when an encrypted file does not open.
   */
  digest(file: StoredEvidenceRef): Promise<{ sha256: string; sizeBytes: number } | null>;
}

/** `encryption`: the key-encryption keys (config.evidence.encryption); null stores files in the clear. */
export function evidenceStore(
  uploadsDir: string,
  encryption: KeyEncryptionKeyring | null = null,
): EvidenceStore {
  const root = path.resolve(uploadsDir);
  const evidenceRoot = path.join(root, "evidence");
  const incomingRoot = path.join(root, ".incoming");

  const relativePathOf = (storageKey: string) => {
    if (!isStorageKey(storageKey)) throw new Error("an evidence storage key must be a lower-case UUID");
    return `${storageKey.slice(0, 2)}/${storageKey}`;
  };
  const pathOf = (storageKey: string) => path.join(evidenceRoot, relativePathOf(storageKey));
  const incomingDirectory = (leaseId: string) => {
    if (!isStorageKey(leaseId)) throw new Error("an upload lease id must be a lower-case UUID");
    return path.join(incomingRoot, leaseId);
  };

  async function ensureLayout() {
    const created = await mkdir(root, { recursive: true, mode: DIRECTORY_MODE });
    if (created !== undefined) await chmod(root, DIRECTORY_MODE);
    await makeDirectory(evidenceRoot);
    await makeDirectory(incomingRoot);
  }

  /** A folder inside the layout; the layout is made first if someone removed it (or it never was). */
  async function makeFolderInLayout(directory: string) {
    try {
      await makeDirectory(directory);
    } catch (error) {
      if (!isMissing(error)) throw error;
      await ensureLayout();
      await makeDirectory(directory);
    }
  }

  async function open(file: StoredEvidenceRef): Promise<Readable> {
    const stored = await openReadStream(pathOf(file.storageKey));
    if (file.wrappedDataKey === null || file.encryptionKeyId === null) return stored;
    let dataKey: Buffer;
    try {
      if (!encryption) throw new Error("an encrypted evidence file needs EVIDENCE_ENCRYPTION_KEY to be read");
      dataKey = unwrapDataKey(encryption, file.storageKey, {
        encryptionKeyId: file.encryptionKeyId,
        wrappedDataKey: file.wrappedDataKey,
      });
    } catch (error) {
      stored.destroy();
      throw error;
    }
    const decrypted = decryptingStream(dataKey, file.storageKey);
    // Errors of either end up on the decrypted stream, which is what the reader holds.
    stored.on("error", (error) => decrypted.destroy(error));
    decrypted.on("close", () => stored.destroy());
    return stored.pipe(decrypted);
  }

  return {
    root,
    evidenceRoot,
    incomingRoot,

    ensureLayout,
    incomingDirectory,

    async createIncomingDirectory(leaseId) {
      const directory = incomingDirectory(leaseId);
      await makeFolderInLayout(directory);
      return directory;
    },

    pathOf,
    relativePathOf,

    isEncrypting: encryption !== null,

    async prepare(tempPath, storageKey) {
      if (!isStorageKey(storageKey)) throw new Error("an evidence storage key must be a lower-case UUID");
      if (!encryption) return { storageKey, stagedPath: tempPath, encryption: null };
      const { dataKey, wrapped } = newDataKey(encryption, storageKey);
      const stagedPath = `${tempPath}.sealed`;
      try {
        await pipeline(
          createReadStream(tempPath, { highWaterMark: 256 * 1024 }),
          encryptingStream(dataKey, storageKey),
          createWriteStream(stagedPath, { flags: "wx", mode: FILE_MODE }),
        );
      } catch (error) {
        await unlink(stagedPath).catch(() => {});
        throw error;
      } finally {
        dataKey.fill(0);
      }
      // The plaintext goes at once; the lease would remove it anyway, but not before the upload ends.
      await unlink(tempPath);
      return { storageKey, stagedPath, encryption: wrapped };
    },

    sealWhileReceiving(tempPath, storageKey) {
      if (!isStorageKey(storageKey)) throw new Error("an evidence storage key must be a lower-case UUID");
      if (!encryption) return null;
      const { dataKey, wrapped } = newDataKey(encryption, storageKey);
      const stagedPath = `${tempPath}.sealed`;
      const input = encryptingStream(dataKey, storageKey);
      // A larger buffer than a file stream's 16 KiB lets the next pieces be sealed while one is written.
      const output = createWriteStream(stagedPath, {
        flags: "wx",
        mode: FILE_MODE,
        highWaterMark: 256 * 1024,
      });
      const whenClosed = new Promise<void>((resolve) => output.once("close", resolve));
      const whenSealed = pipeline(input, output).finally(() => dataKey.fill(0));
      whenSealed.catch(() => {}); // awaited by the receiver; a discarded file's failure is moot
      return {
        input,
        whenSealed,
        prepared: { storageKey, stagedPath, encryption: wrapped },
        async discard() {
          input.destroy();
          output.destroy();
          await whenClosed;
          await unlink(stagedPath).catch(() => {});
        },
      };
    },

    async place(prepared) {
      const target = pathOf(prepared.storageKey);
      await makeFolderInLayout(path.dirname(target));
      // Before the rename, so the file is never in place with looser permissions.
      await chmod(prepared.stagedPath, FILE_MODE);
      await rename(prepared.stagedPath, target);
    },

    open,

    async remove(storageKey) {
      try {
        await unlink(pathOf(storageKey));
      } catch (error) {
        if (!isMissing(error)) throw error;
      }
    },

    async digest(file) {
      let content: Readable;
      try {
        content = await open(file);
      } catch (error) {
        if (isMissing(error)) return null;
        throw error;
      }
      return digestStream(content);
    },
  };
}

/** A read stream once the file is open: a missing file rejects here, not later as a stream error. */
function openReadStream(filePath: string): Promise<Readable> {
  return new Promise((resolve, reject) => {
    const stream = createReadStream(filePath, { highWaterMark: 256 * 1024 });
    stream.once("open", () => {
      stream.off("error", reject);
      resolve(stream);
    });
    stream.once("error", reject);
  });
}

async function digestStream(content: Readable): Promise<{ sha256: string; sizeBytes: number }> {
  const hash = createHash("sha256");
  let sizeBytes = 0;
  for await (const chunk of content as AsyncIterable<Buffer>) {
    hash.update(chunk);
    sizeBytes += chunk.length;
  }
  return { sha256: hash.digest("hex"), sizeBytes };
}

/** SHA-256 (hex) and size of a file, streamed; null when it is missing. */
export async function digestFile(filePath: string): Promise<{ sha256: string; sizeBytes: number } | null> {
  const hash = createHash("sha256");
  let sizeBytes = 0;
  try {
    await pipeline(createReadStream(filePath), async (chunks: AsyncIterable<Buffer>) => {
      for await (const chunk of chunks) {
        hash.update(chunk);
        sizeBytes += chunk.length;
      }
    });
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
  return { sha256: hash.digest("hex"), sizeBytes };
}

/**
 * Creates one folder, 0750 whatever the umask. An existing folder is left as it is (another request
 * may have just created it); its parent must exist.
 */
export async function makeDirectory(directory: string): Promise<void> {
  try {
    await mkdir(directory, { mode: DIRECTORY_MODE });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return;
    throw error;
  }
  await chmod(directory, DIRECTORY_MODE);
}

export function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
}
