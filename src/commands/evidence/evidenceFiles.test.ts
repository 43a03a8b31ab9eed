// The evidence commands against real Postgres and a real uploads folder, for what HTTP cannot provoke on
// demand: a file that cannot be moved into place before its rows commit (the upload is rolled back,
// never a row without its file), the case's limits checked again under the case's lock, a case that
// moved on while the body was being read, and the retention purge removing files with their rows.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import pg from "pg";
import type { AuditActor } from "../../audit.js";
import type { EVIDENCE_MEDIA_TYPES } from "../../domain/evidenceTypes.js";
import { HttpError } from "../../errors.js";
import { purgeDecidedCases } from "../../jobs/purgeDecidedCases.js";
import {
  EvidenceUploadRefused,
  type ReceivedEvidenceFile,
} from "../../routes/evidence/receiveEvidenceUpload.js";
import { EVIDENCE_PLACEMENT_LOCK_KEY } from "../../storage/backupLock.js";
import { startTestApp, type TestApp } from "../../test/app.js";
import {
  clearUploads,
  seedEvidenceFile,
  sha256Of,
  testStore,
  uploadsOnDisk,
} from "../../test/evidenceFiles.js";
import { pdfDocument, pngImage } from "../../test/evidenceFixtures.js";
import { waitForAdvisoryLockWaiter } from "../../test/placementLock.js";
import { truncateTables } from "../../test/reset.js";
import { createStaffMember } from "../../test/staff.js";
import { addEvidenceFiles } from "./addEvidenceFiles.js";
import { deleteEvidenceFile } from "./deleteEvidenceFile.js";

let testApp: TestApp;
before(async () => {
  testApp = await startTestApp({ env: { EVIDENCE_MAX_FILES_PER_CASE: "3", CASE_RETENTION_DAYS: "30" } });
});
after(() => testApp.close());
beforeEach(async () => {
  await truncateTables(testApp.db, [
    "evidence_files",
    "upload_leases",
    "vetting_cases",
    "audit_events",
    "outbox_messages",
    "graphile_worker._private_jobs",
    "staff_users",
  ]);
  await clearUploads(testApp);
});

const audit: AuditActor = { label: "applicant", requestId: "test-request" };
const deps = () => ({ db: testApp.db, store: testStore(testApp), logger: testApp.logger });

async function createCase(
  data: { state?: "DRAFT" | "SUBMITTED" | "MORE_INFORMATION_REQUESTED" | "APPROVED"; decidedAt?: Date } = {},
) {
  return testApp.db.vettingCase.create({
    data: { origin: "APPLICANT", fullName: "Wren", email: "wren@example.org", statement: "", ...data },
    select: { id: true },
  });
}

/** A file as the receiver leaves it: written to a temporary path on the uploads volume. */
async function received(bytes: Buffer, name: string, mediaType: (typeof EVIDENCE_MEDIA_TYPES)[number]) {
  const store = testStore(testApp);
  await store.ensureLayout();
  const tempPath = path.join(store.root, `received-${randomUUID()}`);
  await writeFile(tempPath, bytes);
  const file: ReceivedEvidenceFile = {
    tempPath,
    storageKey: randomUUID(),
    displayName: name,
    mediaType,
    sizeBytes: bytes.length,
    sha256: sha256Of(bytes),
  };
  return file;
}

const evidenceActions = async (caseId: string) =>
  (
    await testApp.db.auditEvent.findMany({
      where: { subjectType: "vetting_case", subjectId: caseId },
      orderBy: { id: "asc" },
      select: { action: true, details: true },
    })
  ).map((row) => [row.action, (row.details as { evidenceFileId?: string }).evidenceFileId]);

describe("addEvidenceFiles", () => {
  test("the applicant's files tell the case's assignee, as they chose; staff are not told of their own upload", async () => {
    const agent = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
    await testApp.db.staffNotificationPreference.create({
      data: { staffUserId: agent.id, kind: "NEW_EVIDENCE", delivery: "IMMEDIATE" },
    });
    // A draft's files are not announced: the team does not see a draft until it is submitted.
    const draft = await createCase();
    await testApp.db.vettingCase.update({ where: { id: draft.id }, data: { assignedToId: agent.id } });
    await addEvidenceFiles(deps(), {
      caseId: draft.id,
      uploader: { kind: "APPLICANT" },
      files: [await received(pdfDocument(), "draft.pdf", "application/pdf")],
      note: null,
      limits: testApp.config.evidence,
      audit,
    });
    assert.equal(await testApp.db.outboxMessage.count(), 0);

    const { id } = await createCase({ state: "MORE_INFORMATION_REQUESTED" });
    await testApp.db.vettingCase.update({ where: { id }, data: { assignedToId: agent.id } });
    await addEvidenceFiles(deps(), {
      caseId: id,
      uploader: { kind: "APPLICANT" },
      files: [
        await received(pdfDocument(), "a.pdf", "application/pdf"),
        await received(pngImage(), "b.png", "image/png"),
      ],
      note: null,
      limits: testApp.config.evidence,
      audit,
    });
    const told = await testApp.db.outboxMessage.findMany({
      select: { kind: true, recipient: true, payload: true },
    });
    assert.equal(told.length, 1);
    assert.equal(told[0]?.kind, "staff_notice");
    assert.equal(told[0]?.recipient, agent.email);
    assert.equal((told[0]?.payload as { notice: { fileCount: number } } | undefined)?.notice.fileCount, 2);

    await addEvidenceFiles(deps(), {
      caseId: id,
      uploader: { kind: "STAFF", actor: { id: agent.id, role: agent.role } },
      files: [await received(pdfDocument(), "c.pdf", "application/pdf")],
      note: null,
      limits: testApp.config.evidence,
      audit: { staffUserId: agent.id, label: agent.name },
    });
    assert.equal(await testApp.db.outboxMessage.count(), 1, "nothing for one's own upload");
  });

  test("places the files under their keys and commits their rows", async () => {
    const { id } = await createCase();
    const files = [
      await received(pdfDocument(), "a.pdf", "application/pdf"),
      await received(pngImage(), "b.png", "image/png"),
    ];
    const added = await addEvidenceFiles(deps(), {
      caseId: id,
      uploader: { kind: "APPLICANT" },
      files,
      note: null,
      limits: testApp.config.evidence,
      audit,
    });
    assert.deepEqual(
      added.map((file) => file.displayName),
      ["a.pdf", "b.png"],
    );
    const rows = await testApp.db.evidenceFile.findMany({ orderBy: { displayName: "asc" } });
    assert.deepEqual(
      rows.map((row) => row.storageKey),
      files.map((file) => file.storageKey),
    );
    assert.deepEqual(
      (await uploadsOnDisk(testApp)).stored,
      files.map((file) => `${file.storageKey.slice(0, 2)}/${file.storageKey}`).sort(),
    );
  });

  test("a file that cannot be placed undoes the whole upload: rows and audit rows rolled back, placed files removed", async () => {
    const { id } = await createCase();
    const placeable = await received(pdfDocument(), "a.pdf", "application/pdf");
    const lost = await received(pngImage(), "b.png", "image/png");
    // The temporary file disappears before its placement (a disk fault, an operator).
    lost.tempPath = `${lost.tempPath}-gone`;
    await assert.rejects(
      addEvidenceFiles(deps(), {
        caseId: id,
        uploader: { kind: "APPLICANT" },
        files: [placeable, lost],
        note: "note",
        limits: testApp.config.evidence,
        audit,
      }),
      (error: NodeJS.ErrnoException) => error.code === "ENOENT",
    );
    assert.equal(await testApp.db.evidenceFile.count(), 0);
    assert.deepEqual((await uploadsOnDisk(testApp)).stored, []);
    // Rolled back with the rows: nothing was ever committed, so nothing was uploaded or deleted.
    assert.deepEqual(await evidenceActions(id), []);
    assert.ok(
      testApp
        .logLines()
        .some((line) => line.category === "evidence" && line.caseId === id && line.level === 50),
    );
  });

  test("while a backup holds the placement lock, an upload waits with its file unplaced, then completes", async () => {
    const { id } = await createCase();
    const backup = new pg.Client({ connectionString: testApp.databaseUrl });
    await backup.connect();
    try {
      await backup.query("SELECT pg_advisory_lock($1)", [EVIDENCE_PLACEMENT_LOCK_KEY.toString()]);
      let isDone = false;
      const adding = addEvidenceFiles(deps(), {
        caseId: id,
        uploader: { kind: "APPLICANT" },
        files: [await received(pngImage(), "b.png", "image/png")],
        note: null,
        limits: testApp.config.evidence,
        audit,
      }).finally(() => {
        isDone = true;
      });
      // The upload's session shows up waiting for the lock, or the upload ends without waiting.
      await waitForAdvisoryLockWaiter(testApp.databaseUrl, () => isDone);
      assert.equal(isDone, false, "the upload did not wait for the placement lock");
      assert.deepEqual((await uploadsOnDisk(testApp)).stored, []);
      await backup.query("SELECT pg_advisory_unlock($1)", [EVIDENCE_PLACEMENT_LOCK_KEY.toString()]);
      await adding;
      assert.equal((await uploadsOnDisk(testApp)).stored.length, 1);
      assert.equal(await testApp.db.evidenceFile.count(), 1);
    } finally {
      await backup.end();
    }
  });

  test("the case's limits are checked again under the lock: what another upload took meanwhile counts", async () => {
    const { id } = await createCase();
    // Another upload committed two files while this one was being read (its budget said three were left).
    await seedEvidenceFile(testApp, {
      caseId: id,
      bytes: pngImage(),
      displayName: "x.png",
      mediaType: "image/png",
    });
    await seedEvidenceFile(testApp, {
      caseId: id,
      bytes: pngImage(2),
      displayName: "y.png",
      mediaType: "image/png",
    });
    const files = [
      await received(pdfDocument(), "a.pdf", "application/pdf"),
      await received(pngImage(3), "b.png", "image/png"),
    ];
    await assert.rejects(
      addEvidenceFiles(deps(), {
        caseId: id,
        uploader: { kind: "APPLICANT" },
        files,
        note: null,
        limits: testApp.config.evidence,
        audit,
      }),
      (error: unknown) =>
        error instanceof EvidenceUploadRefused &&
        error.status === 413 &&
        /This case can take 1 more file/.test(error.message),
    );
    assert.equal(await testApp.db.evidenceFile.count(), 2);
    assert.deepEqual(await evidenceActions(id), []);
  });

  test("a case submitted while the applicant's body was read takes nothing (409); staff cannot add to a decided case", async () => {
    const submitted = await createCase({ state: "SUBMITTED" });
    await assert.rejects(
      addEvidenceFiles(deps(), {
        caseId: submitted.id,
        uploader: { kind: "APPLICANT" },
        files: [await received(pdfDocument(), "a.pdf", "application/pdf")],
        note: null,
        limits: testApp.config.evidence,
        audit,
      }),
      (error: unknown) => error instanceof HttpError && error.status === 409,
    );
    const agent = await createStaffMember(testApp.db, testApp.config, { role: "SUPERADMIN" });
    const decided = await createCase({ state: "APPROVED", decidedAt: new Date() });
    await assert.rejects(
      addEvidenceFiles(deps(), {
        caseId: decided.id,
        uploader: { kind: "STAFF", actor: { id: agent.id, role: agent.role } },
        files: [await received(pdfDocument(), "a.pdf", "application/pdf")],
        note: null,
        limits: testApp.config.evidence,
        audit: { staffUserId: agent.id, label: agent.email },
      }),
      (error: unknown) =>
        error instanceof HttpError && error.status === 409 && /This case is approved/.test(error.message),
    );
    assert.equal(await testApp.db.evidenceFile.count(), 0);
    assert.deepEqual((await uploadsOnDisk(testApp)).stored, []);
  });
});

describe("deleteEvidenceFile", () => {
  test("a file already gone from disk does not stop the deletion of its row", async () => {
    const { id } = await createCase();
    const file = await seedEvidenceFile(testApp, {
      caseId: id,
      bytes: pngImage(),
      displayName: "x.png",
      mediaType: "image/png",
    });
    await testStore(testApp).remove(file.storageKey);
    await deleteEvidenceFile(deps(), { caseId: id, fileId: file.id, deleter: { kind: "APPLICANT" }, audit });
    assert.equal(await testApp.db.evidenceFile.count(), 0);
    assert.deepEqual(await evidenceActions(id), [["evidence.deleted", file.id]]);
  });
});

describe("the retention purge", () => {
  test("removes the evidence rows and files of the cases it erases, and only theirs", async () => {
    const old = await createCase({
      state: "APPROVED",
      decidedAt: new Date(Date.now() - 31 * 24 * 60 * 60 * 1000),
    });
    const recent = await createCase({ state: "APPROVED", decidedAt: new Date() });
    await seedEvidenceFile(testApp, {
      caseId: old.id,
      bytes: pdfDocument(),
      displayName: "a.pdf",
      mediaType: "application/pdf",
    });
    await seedEvidenceFile(testApp, {
      caseId: old.id,
      bytes: pngImage(),
      displayName: "b.png",
      mediaType: "image/png",
    });
    const kept = await seedEvidenceFile(testApp, {
      caseId: recent.id,
      bytes: pngImage(2),
      displayName: "c.png",
      mediaType: "image/png",
    });
    await purgeDecidedCases({ db: testApp.db, config: testApp.config, logger: testApp.logger });
    assert.deepEqual(
      (await testApp.db.evidenceFile.findMany({ select: { id: true } })).map((row) => row.id),
      [kept.id],
    );
    assert.deepEqual((await uploadsOnDisk(testApp)).stored, [
      `${kept.storageKey.slice(0, 2)}/${kept.storageKey}`,
    ]);
  });
});
