// The uploads volume on a real disk: its layout, the modes of what it creates whatever the umask,
// placing by rename, hashing, and keys that cannot name anything but a file of the store.
import assert from "node:assert/strict";
import { createHash, randomUUID } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { pngImage } from "../test/evidenceFixtures.js";
import { evidenceStore } from "./evidenceStore.js";

let uploadsDir: string;
let originalUmask: number;
beforeEach(async () => {
  uploadsDir = path.join(await mkdtemp(path.join(tmpdir(), "vp-store-")), "uploads");
  originalUmask = process.umask();
});
afterEach(async () => {
  process.umask(originalUmask);
  await rm(path.dirname(uploadsDir), { recursive: true, force: true });
});

/** A file stored in the clear, as its row describes it. */
const clearRef = (storageKey: string) => ({ storageKey, encryptionKeyId: null, wrappedDataKey: null });

const modeOf = async (target: string) => (await stat(target)).mode & 0o777;

/** A received file as formidable leaves it: in the lease's folder, with whatever mode the umask gave. */
async function receivedFile(content: Buffer): Promise<string> {
  const store = evidenceStore(uploadsDir);
  const directory = store.incomingDirectory(randomUUID());
  await mkdir(directory, { recursive: true });
  const tempPath = path.join(directory, randomUUID());
  await writeFile(tempPath, content, { mode: 0o666 });
  return tempPath;
}

for (const umask of [0o000, 0o077]) {
  describe(`with umask ${umask.toString(8).padStart(3, "0")}`, () => {
    beforeEach(() => {
      process.umask(umask);
    });

    test("the layout's folders are 0750", async () => {
      const store = evidenceStore(uploadsDir);
      await store.ensureLayout();
      assert.equal(store.root, uploadsDir);
      assert.deepEqual((await readdir(uploadsDir)).sort(), [".incoming", "evidence"]);
      for (const folder of [uploadsDir, store.evidenceRoot, store.incomingRoot]) {
        assert.equal(await modeOf(folder), 0o750, folder);
      }
      await store.ensureLayout(); // again: nothing changes, nothing fails
      assert.equal(await modeOf(store.evidenceRoot), 0o750);
    });

    test("a placed file is 0640 in a 0750 folder named by its key's first two characters", async () => {
      const store = evidenceStore(uploadsDir);
      await store.ensureLayout();
      const content = pngImage();
      const tempPath = await receivedFile(content);
      const storageKey = randomUUID();
      await store.place(await store.prepare(tempPath, storageKey));

      const placed = path.join(uploadsDir, "evidence", storageKey.slice(0, 2), storageKey);
      assert.equal(store.pathOf(storageKey), placed);
      assert.deepEqual(await readFile(placed), content);
      assert.equal(await modeOf(placed), 0o640);
      assert.equal(await modeOf(path.dirname(placed)), 0o750);
      await assert.rejects(stat(tempPath), { code: "ENOENT" }, "moved, not copied");
    });
  });
}

describe("evidence store", () => {
  test("two files placed at once into the same new folder both arrive", async () => {
    const store = evidenceStore(uploadsDir);
    await store.ensureLayout();
    const keys = [`ab${randomUUID().slice(2)}`, `ab${randomUUID().slice(2)}`];
    const tempPaths = await Promise.all(keys.map(() => receivedFile(Buffer.from("x"))));
    await Promise.all(
      keys.map(async (key, index) => store.place(await store.prepare(tempPaths[index] ?? "", key))),
    );
    assert.deepEqual((await readdir(path.join(store.evidenceRoot, "ab"))).sort(), [...keys].sort());
  });

  test("placing into an uploads folder that was never laid out lays it out first", async () => {
    const store = evidenceStore(uploadsDir);
    const tempPath = path.join(path.dirname(uploadsDir), "received");
    await writeFile(tempPath, "content");
    const storageKey = randomUUID();
    await store.place(await store.prepare(tempPath, storageKey));
    assert.equal(await readFile(store.pathOf(storageKey), "utf8"), "content");
    for (const folder of [store.evidenceRoot, store.incomingRoot, path.dirname(store.pathOf(storageKey))]) {
      assert.equal(await modeOf(folder), 0o750, folder);
    }
  });

  test("digest streams the stored file through SHA-256; a missing file is null", async () => {
    const store = evidenceStore(uploadsDir);
    await store.ensureLayout();
    const content = Buffer.alloc(300_000, 7); // several read chunks
    const storageKey = randomUUID();
    await store.place(await store.prepare(await receivedFile(content), storageKey));
    assert.deepEqual(await store.digest(clearRef(storageKey)), {
      sha256: createHash("sha256").update(content).digest("hex"),
      sizeBytes: 300_000,
    });
    assert.equal(await store.digest(clearRef(randomUUID())), null);
  });

  test("remove deletes the stored file; removing it again is not an error", async () => {
    const store = evidenceStore(uploadsDir);
    await store.ensureLayout();
    const storageKey = randomUUID();
    await store.place(await store.prepare(await receivedFile(Buffer.from("x")), storageKey));
    await store.remove(storageKey);
    await assert.rejects(stat(store.pathOf(storageKey)), { code: "ENOENT" });
    await store.remove(storageKey);
  });

  test("only lower-case UUIDs name files: no path can be smuggled in as a key", async () => {
    const store = evidenceStore(uploadsDir);
    for (const key of [
      "../../etc/passwd",
      "..",
      "",
      "ab/../../x",
      `${randomUUID()}/../x`,
      randomUUID().toUpperCase(),
      `${randomUUID()}\u0000`,
      `${randomUUID()}.pdf`,
    ]) {
      assert.throws(() => store.pathOf(key), /UUID/, JSON.stringify(key));
      assert.throws(() => store.relativePathOf(key), /UUID/);
      assert.throws(() => store.incomingDirectory(key), /UUID/);
      await assert.rejects(store.remove(key), /UUID/);
      await assert.rejects(store.digest(clearRef(key)), /UUID/);
      await assert.rejects(store.prepare(path.join(uploadsDir, "x"), key), /UUID/);
    }
    const key = randomUUID();
    assert.equal(store.relativePathOf(key), `${key.slice(0, 2)}/${key}`);
    assert.equal(store.incomingDirectory(key), path.join(uploadsDir, ".incoming", key));
  });
});
