// The sweep against real Postgres and a real uploads folder, in the states a crash or a failed unlink
// leaves behind: dead lease folders go, live ones stay, a placement a crash interrupted is completed,
// stored files without a row are deleted, but not a file whose upload is about to commit its row.
import assert from "node:assert/strict";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, afterEach, before, beforeEach, describe, test } from "node:test";
import { loadConfig } from "../config.js";
import { createDatabase, type Database } from "../db.js";
import { createEvidenceCase, pngImage } from "../test/evidenceFixtures.js";
import { captureLogs } from "../test/logs.js";
import { beginUploadInFlight, waitForAdvisoryLockWaiter } from "../test/placementLock.js";
import { createTestDatabase, type TestDatabase } from "../test/postgres.js";
import { truncateTables } from "../test/reset.js";
import { keyringOf } from "./evidenceEncryption.js";
import { type EvidenceStore, evidenceStore } from "./evidenceStore.js";
import { sweepUploads } from "./sweepUploads.js";

let database: TestDatabase;
let db: Database;
let uploadsDir: string;
let store: EvidenceStore;
let caseId: string;
let logs: ReturnType<typeof captureLogs>;

before(async () => {
  database = await createTestDatabase();
  const config = loadConfig({
    NODE_ENV: "test",
    DATABASE_URL: database.url,
    PUBLIC_URL: "http://127.0.0.1:3000",
  });
  db = createDatabase(database.url, config.database);
});
after(async () => {
  await db.$disconnect();
  await database.drop();
});
beforeEach(async () => {
  await truncateTables(db, ["vetting_cases", "upload_leases", "evidence_files"]);
  caseId = await createEvidenceCase(db);
  uploadsDir = await mkdtemp(path.join(tmpdir(), "vp-sweep-"));
  store = evidenceStore(uploadsDir);
  await store.ensureLayout();
  logs = captureLogs("debug");
});
afterEach(async () => {
  await rm(uploadsDir, { recursive: true, force: true });
});

const sweep = () => sweepUploads({ db, store, logger: logs.logger });

/** Orphan files the audit log says the sweep removed (what /metrics reports). */
async function auditedOrphans(): Promise<number> {
  const rows = await db.auditEvent.findMany({
    where: { action: "evidence.orphans_removed", actorLabel: "system" },
    select: { details: true },
  });
  return rows.reduce((sum, row) => sum + Number((row.details as { files?: number }).files ?? 0), 0);
}
const sha256Of = (content: Buffer) => createHash("sha256").update(content).digest("hex");

async function exists(target: string): Promise<boolean> {
  try {
    await stat(target);
    return true;
  } catch {
    return false;
  }
}

/** A lease folder as an upload leaves it, with its temporary files; with a row unless `row` is null. */
async function leaseFolder(options: { row: "live" | "expired" | null; files?: Record<string, Buffer> }) {
  const leaseId = randomUUID();
  if (options.row) {
    const offsetMs = options.row === "live" ? 10 * 60_000 : -1000;
    await db.uploadLease.create({
      data: { id: leaseId, caseId, holder: "staff:crashed", expiresAt: new Date(Date.now() + offsetMs) },
    });
  }
  const directory = store.incomingDirectory(leaseId);
  await mkdir(directory);
  for (const [name, content] of Object.entries(options.files ?? { [randomUUID()]: Buffer.from("partial") })) {
    await writeFile(path.join(directory, name), content);
  }
  return { leaseId, directory };
}

/** An evidence_files row for a file (the file itself is written or not by the test). */
async function evidenceRow(storageKey: string, content: Buffer) {
  return db.evidenceFile.create({
    data: {
      caseId,
      storageKey,
      displayName: "scan.png",
      mediaType: "image/png",
      sizeBytes: content.length,
      sha256: sha256Of(content),
      uploaderKind: "APPLICANT",
    },
    select: { id: true },
  });
}

/** A file in the evidence folder, as place() leaves it. */
async function storedFile(storageKey: string, content: Buffer) {
  await mkdir(path.dirname(store.pathOf(storageKey)), { recursive: true });
  await writeFile(store.pathOf(storageKey), content);
}

describe("sweepUploads", () => {
  test("nothing to do: nothing changes, nothing is logged", async () => {
    assert.deepEqual(await sweep(), {
      removedIncomingFolders: 0,
      removedTemporaryFiles: 0,
      completedPlacements: 0,
      removedOrphanFiles: 0,
    });
    assert.deepEqual(logs.lines(), []);
  });

  test("the folders of ended or expired leases go, with their files; a live lease's folder stays", async () => {
    const withoutRow = await leaseFolder({
      row: null,
      files: { [randomUUID()]: Buffer.from("a"), [randomUUID()]: Buffer.from("b") },
    });
    const expired = await leaseFolder({ row: "expired" });
    const live = await leaseFolder({ row: "live" });

    const outcome = await sweep();
    assert.deepEqual(outcome, {
      removedIncomingFolders: 2,
      removedTemporaryFiles: 3,
      completedPlacements: 0,
      removedOrphanFiles: 0,
    });
    assert.equal(await exists(withoutRow.directory), false);
    assert.equal(await exists(expired.directory), false);
    assert.equal((await readdir(live.directory)).length, 1, "an upload in progress is left alone");
    assert.deepEqual(
      (await db.uploadLease.findMany({ select: { id: true } })).map((lease) => lease.id),
      [live.leaseId],
      "the expired row is deleted, the live one kept",
    );
    const line = logs.lines().find((entry) => entry.msg === "swept the uploads volume");
    assert.equal(line?.level, 30, "logged at info");
    assert.equal(line?.removedIncomingFolders, 2);
  });

  test("anything else in .incoming goes too", async () => {
    await writeFile(path.join(store.incomingRoot, "stray.txt"), "left by someone");
    await mkdir(path.join(store.incomingRoot, "not-a-lease"));
    await writeFile(path.join(store.incomingRoot, "not-a-lease", "file"), "x");
    const outcome = await sweep();
    assert.equal(outcome.removedIncomingFolders, 1);
    assert.equal(outcome.removedTemporaryFiles, 1);
    assert.deepEqual(await readdir(store.incomingRoot), []);
  });

  test("a file whose row was committed just before a crash is put in place, 0640, as the row describes it", async () => {
    const content = pngImage(3, 3);
    const storageKey = randomUUID();
    const row = await evidenceRow(storageKey, content);
    const crashed = await leaseFolder({
      row: "expired",
      files: { [storageKey]: content, [randomUUID()]: Buffer.from("x") },
    });

    const outcome = await sweep();
    assert.equal(outcome.completedPlacements, 1);
    assert.equal(outcome.removedTemporaryFiles, 1);
    assert.deepEqual(await readFile(store.pathOf(storageKey)), content);
    assert.equal((await stat(store.pathOf(storageKey))).mode & 0o777, 0o640);
    assert.equal(await exists(crashed.directory), false);
    const warning = logs.lines().find((entry) => entry.evidenceFileId === row.id);
    assert.equal(warning?.msg, "completed the placement of an evidence file that a crash interrupted");
  });

  test("encrypted at rest: a crash between encrypting and committing leaves only lease files, which go; encrypted orphans go, files with rows stay and still open", async () => {
    const encrypting = evidenceStore(uploadsDir, keyringOf(randomBytes(32), null));
    const sweepEncrypted = () => sweepUploads({ db, store: encrypting, logger: logs.logger });
    // An upload that crashed after prepare(): the sealed copy in its lease folder, no row, no placement.
    const crashedLease = await leaseFolder({ row: "expired", files: {} });
    const crashedKey = randomUUID();
    await writeFile(path.join(crashedLease.directory, crashedKey), pngImage());
    await encrypting.prepare(path.join(crashedLease.directory, crashedKey), crashedKey);
    assert.deepEqual(await readdir(crashedLease.directory), [`${crashedKey}.sealed`]);
    // A stored encrypted file with its row, and one whose row was deleted (its unlink failed).
    const stored = async (content: Buffer) => {
      const lease = await encrypting.createIncomingDirectory(randomUUID());
      const storageKey = randomUUID();
      await writeFile(path.join(lease, storageKey), content);
      const prepared = await encrypting.prepare(path.join(lease, storageKey), storageKey);
      await encrypting.place(prepared);
      await rm(lease, { recursive: true });
      return { storageKey, ...prepared.encryption };
    };
    const kept = await stored(pngImage(2, 2));
    await db.evidenceFile.update({
      where: { id: (await evidenceRow(kept.storageKey, pngImage(2, 2))).id },
      data: { encryptionKeyId: kept.encryptionKeyId ?? null, wrappedDataKey: kept.wrappedDataKey ?? null },
    });
    const orphan = await stored(pngImage(4, 4));

    const outcome = await sweepEncrypted();
    assert.equal(outcome.completedPlacements, 0, "a sealed copy is never placed by the sweep");
    assert.equal(outcome.removedOrphanFiles, 1);
    assert.equal(await exists(crashedLease.directory), false);
    assert.equal(await exists(encrypting.pathOf(crashedKey)), false);
    assert.equal(await exists(encrypting.pathOf(orphan.storageKey)), false);
    const row = await db.evidenceFile.findFirstOrThrow({ where: { storageKey: kept.storageKey } });
    assert.deepEqual(await encrypting.digest(row), { sha256: row.sha256, sizeBytes: row.sizeBytes });
  });

  test("an interrupted file that is not what its row describes is not placed", async () => {
    const storageKey = randomUUID();
    const row = await evidenceRow(storageKey, pngImage());
    await leaseFolder({ row: null, files: { [storageKey]: Buffer.from("something else entirely") } });

    const outcome = await sweep();
    assert.equal(outcome.completedPlacements, 0);
    assert.equal(outcome.removedTemporaryFiles, 1);
    assert.equal(await exists(store.pathOf(storageKey)), false);
    const error = logs.lines().find((entry) => entry.evidenceFileId === row.id);
    assert.equal(error?.level, 50);
  });

  test("a temporary copy of a file already in place is removed; the stored file is untouched", async () => {
    const content = pngImage();
    const storageKey = randomUUID();
    await evidenceRow(storageKey, content);
    await storedFile(storageKey, content);
    await leaseFolder({ row: null, files: { [storageKey]: Buffer.from("stale temporary copy") } });

    const outcome = await sweep();
    assert.equal(outcome.completedPlacements, 0);
    assert.equal(outcome.removedTemporaryFiles, 1);
    assert.deepEqual(await readFile(store.pathOf(storageKey)), content);
  });

  test("stored files no row refers to are deleted, however many; referenced ones stay", async () => {
    const kept = randomUUID();
    await evidenceRow(kept, Buffer.from("kept"));
    await storedFile(kept, Buffer.from("kept"));
    // More orphans than one lookup takes, in one folder, and one in another.
    const crowdedShard = kept.slice(0, 2);
    for (let orphan = 0; orphan < 520; orphan += 1) {
      await storedFile(`${crowdedShard}${randomUUID().slice(2)}`, Buffer.from("orphan"));
    }
    const loneOrphan = randomUUID();
    await storedFile(loneOrphan, Buffer.from("orphan"));
    await writeFile(path.join(path.dirname(store.pathOf(loneOrphan)), "not-a-key"), "junk");
    await writeFile(path.join(store.evidenceRoot, "README"), "an operator's note");

    const auditedBefore = await auditedOrphans();
    const outcome = await sweep();
    assert.equal(outcome.removedOrphanFiles, 522);
    assert.equal((await auditedOrphans()) - auditedBefore, 522, "each removal audited (and so in /metrics)");
    assert.deepEqual(await readdir(path.join(store.evidenceRoot, crowdedShard)), [kept]);
    assert.equal(await exists(store.pathOf(loneOrphan)), false);
    assert.equal(
      await exists(path.join(store.evidenceRoot, "README")),
      true,
      "entries outside the layout are left",
    );
    assert.ok(
      logs.lines().some((entry) => entry.msg === "an unexpected entry in the evidence folder was left alone"),
    );
  });

  test("a placed file whose upload has not committed yet is waited for, not taken for an orphan", async () => {
    const storageKey = randomUUID();
    const content = Buffer.from("in flight");
    const upload = await beginUploadInFlight(database.url, {
      caseId,
      storageKey,
      displayName: "late.png",
      mediaType: "image/png",
      sizeBytes: content.length,
      sha256: sha256Of(content),
    });
    try {
      await storedFile(storageKey, content);

      let isSwept = false;
      const sweeping = sweep().finally(() => {
        isSwept = true;
      });
      // The sweep's session shows up waiting for the lock, or the sweep ends without waiting: the
      // failure this test is about.
      await waitForAdvisoryLockWaiter(database.url, () => isSwept);
      assert.equal(isSwept, false, "the sweep did not wait for the upload to commit");
      await upload.query("COMMIT");
      assert.equal((await sweeping).removedOrphanFiles, 0);
      assert.equal(await exists(store.pathOf(storageKey)), true);
    } finally {
      await upload.end();
    }
  });

  test("an uploads folder without its layout yet is nothing to sweep", async () => {
    const fresh = evidenceStore(path.join(uploadsDir, "never-created"));
    const outcome = await sweepUploads({ db, store: fresh, logger: logs.logger });
    assert.equal(outcome.removedIncomingFolders + outcome.removedOrphanFiles, 0);
  });
});
