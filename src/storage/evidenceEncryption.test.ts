// Evidence encrypted at rest, on a real disk through the real store: what is stored is not the
// plaintext and opens to it; a chunk altered, moved, dropped, added or taken from another file, and a
// data key taken from another row, are each refused before any of their bytes are passed on; keys
// re-wrapped under a new key-encryption key leave the file untouched and open without the old key.
import assert from "node:assert/strict";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { pdfDocument } from "../test/evidenceFixtures.js";
import {
  CHUNK_BYTES,
  EvidenceDecryptionError,
  encryptedSize,
  HEADER_BYTES,
  keyringOf,
  rewrapDataKey,
} from "./evidenceEncryption.js";
import { type EvidenceStore, evidenceStore, type StoredEvidenceRef } from "./evidenceStore.js";

const RECORD_BYTES = CHUNK_BYTES + 16;
const oldKek = randomBytes(32);
const newKek = randomBytes(32);

let uploadsDir: string;
beforeEach(async () => {
  uploadsDir = path.join(await mkdtemp(path.join(tmpdir(), "vp-encrypted-")), "uploads");
});
afterEach(() => rm(path.dirname(uploadsDir), { recursive: true, force: true }));

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

/** Stores `content` as an upload does: received into a lease folder, prepared, placed. */
async function storeFile(store: EvidenceStore, content: Buffer): Promise<StoredEvidenceRef> {
  const directory = await store.createIncomingDirectory(randomUUID());
  const storageKey = randomUUID();
  const tempPath = path.join(directory, storageKey);
  await writeFile(tempPath, content);
  const prepared = await store.prepare(tempPath, storageKey);
  await assert.rejects(stat(tempPath), { code: "ENOENT" }, "the plaintext is gone once prepared");
  await store.place(prepared);
  assert.ok(prepared.encryption, "an encrypting store wraps a data key");
  return { storageKey, ...prepared.encryption };
}

async function readAll(store: EvidenceStore, file: StoredEvidenceRef): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await store.open(file)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** What a reader gets before the stream fails, and the failure. */
async function readUntilFailure(
  store: EvidenceStore,
  file: StoredEvidenceRef,
): Promise<{ delivered: Buffer; error: unknown }> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of await store.open(file)) chunks.push(chunk as Buffer);
  } catch (error) {
    return { delivered: Buffer.concat(chunks), error };
  }
  return { delivered: Buffer.concat(chunks), error: null };
}

describe("evidence encrypted at rest", () => {
  test("the stored bytes are not the plaintext, are 0640, and open to exactly the plaintext", async () => {
    const store = evidenceStore(uploadsDir, keyringOf(oldKek, null));
    assert.equal(store.isEncrypting, true);
    const document = pdfDocument("Passport of Ada Applicant, born 1990");
    const file = await storeFile(store, document);
    const stored = await readFile(store.pathOf(file.storageKey));
    assert.equal(stored.length, encryptedSize(document.length));
    assert.equal(stored.subarray(0, 4).toString("ascii"), "VPEV");
    assert.equal(stored.indexOf("Passport"), -1);
    assert.equal(stored.indexOf("%PDF"), -1);
    assert.equal((await stat(store.pathOf(file.storageKey))).mode & 0o777, 0o640);
    assert.deepEqual(await readAll(store, file), document);
    assert.deepEqual(await store.digest(file), { sha256: sha256(document), sizeBytes: document.length });
  });

  test("every size around the chunk boundaries goes through whole", async () => {
    const store = evidenceStore(uploadsDir, keyringOf(oldKek, null));
    for (const size of [
      1,
      15,
      CHUNK_BYTES - 1,
      CHUNK_BYTES,
      CHUNK_BYTES + 1,
      3 * CHUNK_BYTES,
      3 * CHUNK_BYTES + 7,
    ]) {
      const content = randomBytes(size);
      const file = await storeFile(store, content);
      assert.equal((await stat(store.pathOf(file.storageKey))).size, encryptedSize(size), `size ${size}`);
      assert.deepEqual(
        await store.digest(file),
        { sha256: sha256(content), sizeBytes: size },
        `size ${size}`,
      );
    }
  });

  test("two stores of the same content give different bytes: a fresh data key per file", async () => {
    const store = evidenceStore(uploadsDir, keyringOf(oldKek, null));
    const content = randomBytes(1000);
    const first = await storeFile(store, content);
    const second = await storeFile(store, content);
    assert.notDeepEqual(
      await readFile(store.pathOf(first.storageKey)),
      await readFile(store.pathOf(second.storageKey)),
    );
    assert.notEqual(first.wrappedDataKey, second.wrappedDataKey);
    assert.equal(first.encryptionKeyId, second.encryptionKeyId);
  });

  test("an altered byte in a chunk: nothing of it or after it is passed on", async () => {
    const store = evidenceStore(uploadsDir, keyringOf(oldKek, null));
    const content = randomBytes(3 * CHUNK_BYTES + 100);
    const file = await storeFile(store, content);
    const stored = await readFile(store.pathOf(file.storageKey));
    const inChunkOne = HEADER_BYTES + RECORD_BYTES + 10;
    stored.writeUInt8(stored.readUInt8(inChunkOne) ^ 0x01, inChunkOne);
    await writeFile(store.pathOf(file.storageKey), stored);

    const { delivered, error } = await readUntilFailure(store, file);
    assert.ok(error instanceof EvidenceDecryptionError);
    assert.match(error.message, /chunk 1 /);
    // At most chunk 0, which is genuine (the stream may fail before the reader took even that).
    assert.ok(delivered.length <= CHUNK_BYTES);
    assert.deepEqual(delivered, content.subarray(0, delivered.length));
    await assert.rejects(store.digest(file), EvidenceDecryptionError);
  });

  test("chunks swapped, the final chunk dropped, bytes appended, or the header altered: refused", async () => {
    const store = evidenceStore(uploadsDir, keyringOf(oldKek, null));
    const content = randomBytes(3 * CHUNK_BYTES + 100);
    const file = await storeFile(store, content);
    const original = await readFile(store.pathOf(file.storageKey));
    const header = original.subarray(0, HEADER_BYTES);
    const record = (index: number) =>
      original.subarray(HEADER_BYTES + index * RECORD_BYTES, HEADER_BYTES + (index + 1) * RECORD_BYTES);
    const alterations: Record<string, Buffer> = {
      swapped: Buffer.concat([
        header,
        record(1),
        record(0),
        original.subarray(HEADER_BYTES + 2 * RECORD_BYTES),
      ]),
      "cut at a chunk boundary": original.subarray(0, HEADER_BYTES + 3 * RECORD_BYTES),
      "cut inside a chunk": original.subarray(0, original.length - 5),
      "a chunk dropped": Buffer.concat([
        header,
        record(0),
        original.subarray(HEADER_BYTES + 2 * RECORD_BYTES),
      ]),
      "bytes appended": Buffer.concat([original, Buffer.from("extra")]),
      "header altered": Buffer.concat([Buffer.from("VPEW"), original.subarray(4)]),
    };
    for (const [name, altered] of Object.entries(alterations)) {
      await writeFile(store.pathOf(file.storageKey), altered);
      await assert.rejects(store.digest(file), EvidenceDecryptionError, name);
    }
  });

  test("another file's content, or another row's wrapped key, does not open as this file", async () => {
    const store = evidenceStore(uploadsDir, keyringOf(oldKek, null));
    const first = await storeFile(store, randomBytes(5000));
    const second = await storeFile(store, randomBytes(5000));
    // The second file's bytes moved over the first's, with the first's row.
    await writeFile(store.pathOf(first.storageKey), await readFile(store.pathOf(second.storageKey)));
    await assert.rejects(store.digest(first), EvidenceDecryptionError);
    // The second file read with the first row's wrapped key: the key is bound to its file.
    await assert.rejects(
      store.digest({ ...second, wrappedDataKey: first.wrappedDataKey }),
      EvidenceDecryptionError,
    );
  });

  test("without the key-encryption key that wrapped it, a file does not open", async () => {
    const file = await storeFile(evidenceStore(uploadsDir, keyringOf(oldKek, null)), randomBytes(100));
    await assert.rejects(
      evidenceStore(uploadsDir, keyringOf(newKek, null)).digest(file),
      EvidenceDecryptionError,
    );
    await assert.rejects(evidenceStore(uploadsDir, null).digest(file), /EVIDENCE_ENCRYPTION_KEY/);
  });

  test("re-wrapping under a new key leaves the file as it was; it then opens without the old key", async () => {
    const content = randomBytes(2 * CHUNK_BYTES + 3);
    const file = await storeFile(evidenceStore(uploadsDir, keyringOf(oldKek, null)), content);
    const storedBefore = await readFile(
      path.join(uploadsDir, "evidence", file.storageKey.slice(0, 2), file.storageKey),
    );

    const rotating = keyringOf(newKek, oldKek);
    assert.deepEqual(await evidenceStore(uploadsDir, rotating).digest(file), {
      sha256: sha256(content),
      sizeBytes: content.length,
    });
    const rewrapped = rewrapDataKey(rotating, file.storageKey, {
      encryptionKeyId: file.encryptionKeyId ?? "",
      wrappedDataKey: file.wrappedDataKey ?? "",
    });
    assert.equal(rewrapped.encryptionKeyId, rotating.current.id);
    assert.notEqual(rewrapped.encryptionKeyId, file.encryptionKeyId);

    const afterRotation = evidenceStore(uploadsDir, keyringOf(newKek, null));
    const rewrappedFile = { storageKey: file.storageKey, ...rewrapped };
    assert.deepEqual(await afterRotation.digest(rewrappedFile), {
      sha256: sha256(content),
      sizeBytes: content.length,
    });
    assert.deepEqual(
      await readFile(afterRotation.pathOf(file.storageKey)),
      storedBefore,
      "the file was not rewritten",
    );
    await assert.rejects(
      evidenceStore(uploadsDir, keyringOf(oldKek, null)).digest(rewrappedFile),
      EvidenceDecryptionError,
    );
  });

  test("a store without a key stores the plaintext and needs no key to read it", async () => {
    const store = evidenceStore(uploadsDir, null);
    const directory = await store.createIncomingDirectory(randomUUID());
    await mkdir(directory, { recursive: true });
    const storageKey = randomUUID();
    const tempPath = path.join(directory, storageKey);
    await writeFile(tempPath, "plain");
    const prepared = await store.prepare(tempPath, storageKey);
    assert.equal(prepared.encryption, null);
    await store.place(prepared);
    assert.equal(await readFile(store.pathOf(storageKey), "utf8"), "plain");
  });
});
