// Upload leases against real Postgres and a real disk: the cap on uploads in flight holds when requests
// race, and the lease's folder and row are gone when the work ends, however it ends.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { loadConfig } from "../config.js";
import { createDatabase, type Database } from "../db.js";
import { HttpError } from "../errors.js";
import { createEvidenceCase } from "../test/evidenceFixtures.js";
import { createTestDatabase, type TestDatabase } from "../test/postgres.js";
import { truncateTables } from "../test/reset.js";
import { type EvidenceStore, evidenceStore } from "./evidenceStore.js";
import { type UploadLease, uploadHolder, withUploadLease } from "./uploadLeases.js";

let database: TestDatabase;
let db: Database;
let uploadsDir: string;
let store: EvidenceStore;
let caseId: string;
const config = loadConfig({
  NODE_ENV: "test",
  DATABASE_URL: "postgresql://unused@127.0.0.1/unused",
  PUBLIC_URL: "http://127.0.0.1:3000",
  EVIDENCE_UPLOADS_IN_FLIGHT: "3",
  EVIDENCE_UPLOAD_TIMEOUT_SECONDS: "600",
});

before(async () => {
  database = await createTestDatabase();
  db = createDatabase(database.url, config.database);
  uploadsDir = await mkdtemp(path.join(tmpdir(), "vp-leases-"));
  store = evidenceStore(uploadsDir);
});
after(async () => {
  await db.$disconnect();
  await database.drop();
  await rm(uploadsDir, { recursive: true, force: true });
});
beforeEach(async () => {
  await truncateTables(db, ["vetting_cases", "upload_leases"]);
  caseId = await createEvidenceCase(db);
});

const deps = () => ({ db, store, config });

/** A latch: work that holds its lease until released. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

/**
 * Starts `racers` uploads for one holder at the same moment and waits until each one either runs (and
 * holds its lease) or is refused; then counts, and lets them finish.
 */
async function raceForLeases(holder: string, racers: number) {
  const release = gate();
  const attempts: Promise<void>[] = [];
  const answers: Promise<"granted" | "refused">[] = [];
  for (let racer = 0; racer < racers; racer += 1) {
    const granted = gate();
    const attempt = withUploadLease(deps(), { caseId, holder }, async () => {
      granted.open();
      await release.opened;
    });
    attempts.push(attempt);
    answers.push(
      Promise.race([
        granted.opened.then(() => "granted" as const),
        attempt.then(
          () => "granted" as const,
          (error: unknown) => {
            assert.ok(error instanceof HttpError && error.status === 429, String(error));
            return "refused" as const;
          },
        ),
      ]),
    );
  }
  const outcome = await Promise.all(answers);
  const leasesHeld = await db.uploadLease.count({ where: { holder } });
  release.open();
  await Promise.all(attempts.map((attempt) => attempt.catch(() => undefined)));
  return {
    granted: outcome.filter((answer) => answer === "granted").length,
    refused: outcome.filter((answer) => answer === "refused").length,
    leasesHeld,
  };
}

describe("withUploadLease", () => {
  test("the work gets a fresh 0750 folder and a row that expires after the upload timeout plus a minute", async () => {
    const holder = uploadHolder({ staffUserId: randomUUID() });
    const seen = await withUploadLease(deps(), { caseId, holder }, async (lease) => {
      assert.equal(lease.directory, path.join(uploadsDir, ".incoming", lease.id));
      assert.equal((await stat(lease.directory)).mode & 0o777, 0o750);
      await writeFile(path.join(lease.directory, randomUUID()), "partial upload");
      const row = await db.uploadLease.findUniqueOrThrow({ where: { id: lease.id } });
      assert.equal(row.caseId, caseId);
      assert.equal(row.holder, holder);
      const lifetimeMs = row.expiresAt.getTime() - row.createdAt.getTime();
      assert.equal(lifetimeMs, 600_000 + 60_000);
      return lease;
    });
    await assert.rejects(stat(seen.directory), { code: "ENOENT" }, "the folder is removed with its files");
    assert.equal(await db.uploadLease.count(), 0, "the row is deleted");
    assert.deepEqual(await readdir(path.join(uploadsDir, ".incoming")), []);
  });

  test("when the work throws, the folder and the row are removed all the same", async () => {
    let seen: UploadLease | undefined;
    await assert.rejects(
      withUploadLease(deps(), { caseId, holder: "staff:thrower" }, async (lease) => {
        seen = lease;
        await writeFile(path.join(lease.directory, randomUUID()), "half a file");
        throw new Error("the client went away");
      }),
      /the client went away/,
    );
    assert.ok(seen);
    await assert.rejects(stat(seen.directory), { code: "ENOENT" });
    assert.equal(await db.uploadLease.count(), 0);
  });

  test("of four uploads raced by one person, exactly three run while they are held; the fourth is told to wait", async () => {
    const holder = uploadHolder({ applicantSessionId: randomUUID() });
    const release = gate();
    const attempts = Array.from({ length: 4 }, () =>
      withUploadLease(deps(), { caseId, holder }, async () => {
        await release.opened;
        return "uploaded";
      }),
    );
    // With three leases held, the fourth attempt settles on its own.
    const refused = await Promise.race(
      attempts.map((attempt) =>
        attempt.then(
          () => null,
          (error) => error,
        ),
      ),
    );
    assert.ok(refused instanceof HttpError);
    assert.equal(refused.status, 429);
    assert.equal(refused.message, "You already have 3 uploads in progress. Wait for one to finish.");
    assert.ok(Number(refused.headers["Retry-After"]) >= 1);
    assert.equal(await db.uploadLease.count({ where: { holder } }), 3);

    // Someone else is not held up by this person's uploads.
    assert.equal(
      await withUploadLease(deps(), { caseId, holder: "staff:someone-else" }, async () => "fine"),
      "fine",
    );

    release.open();
    const outcomes = await Promise.allSettled(attempts);
    assert.equal(outcomes.filter((outcome) => outcome.status === "fulfilled").length, 3);
    assert.equal(await db.uploadLease.count(), 0);

    // Once they finished, the person may upload again.
    assert.equal(await withUploadLease(deps(), { caseId, holder }, async () => "again"), "again");
  });

  test("the cap holds however many requests race at once", async () => {
    for (let round = 1; round <= 5; round += 1) {
      const holder = `staff:racer-${round}`;
      assert.deepEqual(
        await raceForLeases(holder, 10),
        { granted: 3, refused: 7, leasesHeld: 3 },
        `round ${round}`,
      );
    }
  });

  test("expired leases (left by a crashed process) do not count against the holder", async () => {
    const holder = "staff:after-a-crash";
    for (let crashed = 0; crashed < 3; crashed += 1) {
      await db.uploadLease.create({
        data: { id: randomUUID(), caseId, holder, expiresAt: new Date(Date.now() - 1000) },
      });
    }
    assert.equal(await withUploadLease(deps(), { caseId, holder }, async () => "room"), "room");
  });

  test("the uploads folder is laid out when it is missing", async () => {
    const freshDir = path.join(await mkdtemp(path.join(tmpdir(), "vp-leases-fresh-")), "uploads");
    try {
      const freshStore = evidenceStore(freshDir);
      await withUploadLease(
        { db, store: freshStore, config },
        { caseId, holder: "staff:first" },
        async (lease) => {
          assert.equal((await stat(lease.directory)).mode & 0o777, 0o750);
        },
      );
      assert.deepEqual((await readdir(freshDir)).sort(), [".incoming", "evidence"]);
    } finally {
      await rm(path.dirname(freshDir), { recursive: true, force: true });
    }
  });

  test("holders: an applicant session and a staff member never share a key", () => {
    const id = randomUUID();
    assert.notEqual(uploadHolder({ applicantSessionId: id }), uploadHolder({ staffUserId: id }));
  });
});
