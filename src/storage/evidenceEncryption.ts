// Evidence encrypted at rest: envelope encryption with a fresh data key per file.
//
//   key-encryption key (KEK)   EVIDENCE_ENCRYPTION_KEY: 32 bytes, only in the portal's configuration,
//                              never in the database or on the uploads volume (so never in a backup).
//                              Its id is a keyed hash of it, so a row says which key wrapped it
//                              without saying anything about the key.
//   data key                   32 random bytes per file, stored only wrapped (AES-256-GCM under the
//                              KEK, bound to the file's storage key) in the file's database row.
//   the file                   a 16-byte header, then the content in chunks of CHUNK_BYTES, each sealed
//                              with AES-256-GCM under the data key (STREAM construction, Hoang, Reyhanitabar,
//                              Rogaway and Vizár, "Online Authenticated-Encryption and its Nonce-Reuse
//                              Misuse-Resistance"): the nonce is the chunk's index and a final-chunk flag,
//                              and the additional data names the file, the index and the flag. A chunk
//                              changed, moved, dropped or copied from another file fails its tag; a file
//                              cut short lacks its final chunk; bytes after the final chunk are refused.
//
// Every chunk is checked before any of its plaintext is passed on, so a reader never sees forged bytes;
// memory is one chunk whatever the file's size.
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  randomBytes,
  timingSafeEqual,
} from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";

/** Plaintext bytes per chunk: large enough that the tag and the cipher calls cost little. */
export const CHUNK_BYTES = 64 * 1024;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
/** "VPEV", format 1, then the chunk size (u32, big-endian), then 7 bytes reserved (zero). */
const MAGIC = Buffer.from("VPEV", "ascii");
const FORMAT = 1;
export const HEADER_BYTES = 16;
const WRAP_FORMAT = "w1";

export interface KeyEncryptionKey {
  /** 16 hex characters, a keyed hash of the key (not the key): what rows record as encryptionKeyId. */
  id: string;
  key: Buffer;
}

/** The KEKs the portal holds: the current one wraps new data keys; the previous one only unwraps. */
export interface KeyEncryptionKeyring {
  current: KeyEncryptionKey;
  previous: KeyEncryptionKey | null;
}

/** What a file's row records so that it can be opened: the wrapped data key and the KEK's id. */
export interface WrappedDataKey {
  encryptionKeyId: string;
  wrappedDataKey: string;
}

export class EvidenceDecryptionError extends Error {}

export function keyEncryptionKey(key: Buffer): KeyEncryptionKey {
  if (key.length !== KEY_BYTES) throw new Error("a key-encryption key must be 32 bytes");
  const id = createHmac("sha256", key).update("vetting-portal:evidence-kek-id").digest("hex").slice(0, 16);
  return { id, key };
}

export function keyringOf(current: Buffer, previous: Buffer | null): KeyEncryptionKeyring {
  return { current: keyEncryptionKey(current), previous: previous ? keyEncryptionKey(previous) : null };
}

/** A fresh data key, and its wrapped form for the row. */
export function newDataKey(
  keyring: KeyEncryptionKeyring,
  storageKey: string,
): { dataKey: Buffer; wrapped: WrappedDataKey } {
  const dataKey = randomBytes(KEY_BYTES);
  return { dataKey, wrapped: wrapDataKey(keyring.current, storageKey, dataKey) };
}

export function wrapDataKey(kek: KeyEncryptionKey, storageKey: string, dataKey: Buffer): WrappedDataKey {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", kek.key, iv);
  cipher.setAAD(wrapContext(storageKey));
  const sealed = Buffer.concat([cipher.update(dataKey), cipher.final(), cipher.getAuthTag()]);
  return {
    encryptionKeyId: kek.id,
    wrappedDataKey: `${WRAP_FORMAT}.${iv.toString("base64url")}.${sealed.toString("base64url")}`,
  };
}

/** The data key of a file's row, unwrapped by whichever KEK of the ring has the row's key id. */
export function unwrapDataKey(
  keyring: KeyEncryptionKeyring,
  storageKey: string,
  wrapped: WrappedDataKey,
): Buffer {
  const kek = [keyring.current, keyring.previous].find(
    (candidate) => candidate?.id === wrapped.encryptionKeyId,
  );
  if (!kek) {
    throw new EvidenceDecryptionError(
      `the file's data key is wrapped by key ${wrapped.encryptionKeyId}, which is not configured`,
    );
  }
  const [format, ivText, sealedText] = wrapped.wrappedDataKey.split(".");
  if (format !== WRAP_FORMAT || !ivText || !sealedText)
    throw new EvidenceDecryptionError("unrecognised wrapped key");
  const sealed = Buffer.from(sealedText, "base64url");
  try {
    const decipher = createDecipheriv("aes-256-gcm", kek.key, Buffer.from(ivText, "base64url"));
    decipher.setAAD(wrapContext(storageKey));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch (error) {
    throw new EvidenceDecryptionError("the file's data key does not open (altered, or another file's)", {
      cause: error,
    });
  }
}

/** The row's wrapped key under the keyring's current KEK (the same data key: the file is not touched). */
export function rewrapDataKey(
  keyring: KeyEncryptionKeyring,
  storageKey: string,
  wrapped: WrappedDataKey,
): WrappedDataKey {
  return wrapDataKey(keyring.current, storageKey, unwrapDataKey(keyring, storageKey, wrapped));
}

function wrapContext(storageKey: string): Buffer {
  return Buffer.from(`vetting-portal:evidence-data-key:${storageKey}`, "utf8");
}

/** Chunk i's nonce: 8 bytes of index, a final flag, 3 zero bytes. Unique under a key used for one file. */
function chunkNonce(index: number, isFinal: boolean): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeBigUInt64BE(BigInt(index), 0);
  nonce[8] = isFinal ? 1 : 0;
  return nonce;
}

/** The file id (a digest of the storage key: fixed length), the index and the flag. */
function chunkContext(fileId: Buffer, index: number, isFinal: boolean): Buffer {
  const context = Buffer.alloc(fileId.length + 9);
  fileId.copy(context, 0);
  context.writeBigUInt64BE(BigInt(index), fileId.length);
  context[fileId.length + 8] = isFinal ? 1 : 0;
  return context;
}

function fileIdOf(storageKey: string): Buffer {
  return createHash("sha256").update(`vetting-portal:evidence-file:${storageKey}`).digest();
}

function header(): Buffer {
  const bytes = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(bytes, 0);
  bytes[4] = FORMAT;
  bytes.writeUInt32BE(CHUNK_BYTES, 5);
  return bytes;
}

/** Plaintext in, the stored form out (header, then sealed chunks). */
export function encryptingStream(dataKey: Buffer, storageKey: string): Transform {
  const fileId = fileIdOf(storageKey);
  // One chunk's plaintext, filled by copying: no concatenation of the pieces the reader hands over.
  const pending = Buffer.allocUnsafe(CHUNK_BYTES);
  let pendingBytes = 0;
  let index = 0;
  /** Seals the pending chunk into `output` (its ciphertext, then its tag). */
  const seal = (output: Buffer[], isFinal: boolean): void => {
    const cipher = createCipheriv("aes-256-gcm", dataKey, chunkNonce(index, isFinal));
    cipher.setAAD(chunkContext(fileId, index, isFinal));
    index += 1;
    output.push(cipher.update(pending.subarray(0, pendingBytes)));
    cipher.final(); // GCM writes nothing more here; it computes the tag
    output.push(cipher.getAuthTag());
    pendingBytes = 0;
  };
  return new Transform({
    construct(callback) {
      this.push(header());
      callback();
    },
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      // Passed on as one buffer per piece read: a write per chunk and per tag costs more than the cipher.
      const output: Buffer[] = [];
      let offset = 0;
      while (offset < chunk.length) {
        // A full chunk is sealed as non-final only once a byte after it has arrived: the last is final.
        if (pendingBytes === CHUNK_BYTES) seal(output, false);
        const copied = chunk.copy(pending, pendingBytes, offset, offset + (CHUNK_BYTES - pendingBytes));
        pendingBytes += copied;
        offset += copied;
      }
      if (output.length > 0) this.push(Buffer.concat(output));
      callback();
    },
    flush(callback: TransformCallback) {
      const output: Buffer[] = [];
      seal(output, true);
      this.push(Buffer.concat(output));
      callback();
    },
  });
}

/**
 * The stored form in, plaintext out, a chunk at a time and only after its tag is checked. Fails with
 * EvidenceDecryptionError on a wrong header, a chunk that does not open, a missing final chunk or
 * anything after it.
 */
export function decryptingStream(dataKey: Buffer, storageKey: string): Transform {
  const fileId = fileIdOf(storageKey);
  const recordBytes = CHUNK_BYTES + TAG_BYTES;
  let buffered: Buffer = Buffer.alloc(0);
  let hasHeader = false;
  let index = 0;
  const open = (record: Buffer, isFinal: boolean): Buffer => {
    if (record.length < TAG_BYTES) throw new EvidenceDecryptionError("the file is cut short");
    try {
      const decipher = createDecipheriv("aes-256-gcm", dataKey, chunkNonce(index, isFinal));
      decipher.setAAD(chunkContext(fileId, index, isFinal));
      decipher.setAuthTag(record.subarray(record.length - TAG_BYTES));
      const plaintext = Buffer.concat([
        decipher.update(record.subarray(0, record.length - TAG_BYTES)),
        decipher.final(),
      ]);
      index += 1;
      return plaintext;
    } catch (error) {
      throw new EvidenceDecryptionError(
        `chunk ${index} of the stored file failed its check (altered, moved, or the file was cut short)`,
        { cause: error },
      );
    }
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      try {
        buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
        if (!hasHeader) {
          if (buffered.length < HEADER_BYTES) return callback();
          checkHeader(buffered.subarray(0, HEADER_BYTES));
          buffered = buffered.subarray(HEADER_BYTES);
          hasHeader = true;
        }
        // A record is known not to be the last only once a byte after it has arrived.
        const opened: Buffer[] = [];
        while (buffered.length > recordBytes) {
          opened.push(open(buffered.subarray(0, recordBytes), false));
          buffered = buffered.subarray(recordBytes);
        }
        // A chunk that fails stops here, before this piece's chunks are passed on.
        if (opened.length > 0) this.push(opened.length === 1 ? opened[0] : Buffer.concat(opened));
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback: TransformCallback) {
      try {
        if (!hasHeader) throw new EvidenceDecryptionError("the stored file has no header");
        this.push(open(buffered, true));
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
}

function checkHeader(bytes: Buffer): void {
  const expected = header();
  if (!timingSafeEqual(bytes, expected)) {
    throw new EvidenceDecryptionError("the stored file is not in the evidence encryption format");
  }
}

/** The stored size of a file of `plaintextBytes`: header, every chunk's tag, at least one (final) chunk. */
export function encryptedSize(plaintextBytes: number): number {
  const chunks = Math.max(1, Math.ceil(plaintextBytes / CHUNK_BYTES));
  return HEADER_BYTES + plaintextBytes + chunks * TAG_BYTES;
}
