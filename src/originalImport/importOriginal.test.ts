// Moving in from the original system: a real original database (Postgres on the test server, and a
// SQLite file) with the original's schema and awkward rows, imported into the portal's own database,
// then checked row by row, file by file, and by signing in with the original passwords.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { eraseCase } from "../commands/cases/eraseCase.js";
import { totpCodeAt } from "../domain/totp.js";
import { openRegistrationToken } from "../matrix/tokenSecrets.js";
import { findCaseTimeline } from "../queries/cases.js";
import { evidenceStore } from "../storage/evidenceStore.js";
import { startTestApp, type TestApp } from "../test/app.js";
import { TestBrowser } from "../test/browser.js";
import { pdfDocument, pngImage, zipArchive } from "../test/evidenceFixtures.js";
import {
  type OriginalRow,
  type OriginalRows,
  originalPostgresDatabase,
  originalSqliteFile,
  werkzeugPbkdf2Hash,
  werkzeugScryptHash,
  writeOriginalFiles,
} from "../test/originalSystem.js";
import type { TestDatabase } from "../test/postgres.js";
import { runScript } from "../test/scripts.js";
import { createStaffMember, signedInCookie } from "../test/staff.js";
import {
  formatImportReport,
  ImportBlockedError,
  type ImportReport,
  importOriginal,
} from "./importOriginal.js";
import { OriginalSourceError } from "./source.js";

const ROOT_PASSWORD = "the root of all trust 2019";
const SAM_PASSWORD = "temporary-Xk29-pass";
const ZOE_PASSWORD = "naïve façade über passphrase";

const passport = pdfDocument("Passport scan");
const photo = pngImage(4, 3);
const exeRenamed = Buffer.concat([
  Buffer.from("MZ\x90\x00\x03\x00\x00\x00\x04\x00", "binary"),
  Buffer.alloc(400, 0x41),
]);

/** The original's data: every role and status, forms in every state, awkward values throughout. */
function originalRows(): OriginalRows {
  return {
    rviuser: [
      staff(1, "root", "Root@Example.org", werkzeugPbkdf2Hash(ROOT_PASSWORD), "superadmin", "active"),
      {
        ...staff(2, "sam", "sam@example.org", werkzeugScryptHash(SAM_PASSWORD), "server_admin", "active"),
        needs_password_change: true,
        created_by: 1,
      },
      staff(
        3,
        "ingrid",
        "ingrid@example.org",
        werkzeugPbkdf2Hash("ingrid's own password"),
        "inviting_admin",
        "active",
      ),
      staff(4, "zoë.müller", "zoe@example.org", werkzeugScryptHash(ZOE_PASSWORD), "vetting_agent", "active"),
      staff(5, "pat", "pat@example.org", werkzeugPbkdf2Hash("pending person"), "vetting_agent", "pending"),
      staff(6, "rex", "rex@example.org", werkzeugPbkdf2Hash("rejected person"), "inviting_admin", "rejected"),
    ],
    user_preferences: [{ id: 1, user_id: 4, theme: "dark" }],
    vetting_form: [
      form(10, "draft", {
        full_name: "Zoë Ångström",
        phone_number: "+44 20 7946 0958",
        matrix_id: "@zoe:example.org",
      }),
      form(11, "submitted", {
        full_name: "Bad Phone",
        phone_number: "call after 6pm",
        matrix_id: "@not valid",
      }),
      form(12, "awaiting_token", {
        full_name: "Ada Waiting",
        approved_by: 3,
        approved_at: "2024-03-05 12:00:00",
        ...verification("in-person", 4, "approve"),
      }),
      form(13, "approved", {
        full_name: "Bea Approved",
        approved_by: 1,
        approved_at: "2024-03-06 09:30:00",
        ...verification("video", 5, "approve"),
      }),
      form(14, "rejected", {
        full_name: "Cy Rejected",
        approved_by: 3,
        approved_at: "2024-03-07 16:45:00",
        verification_method: "",
        vetting_notes: "Met briefly; could not confirm",
        vetting_score: null,
        recommendation: "",
      }),
    ],
    vetting_evidence: [
      evidence(1, 12, "passport_scan.pdf", "uploads/evidence/a1_passport_scan.pdf", "application/pdf"),
      evidence(2, 12, "Führerschein.png", "uploads/evidence/b2_Führerschein.png", "image/png"),
      evidence(
        3,
        13,
        "cv.docx",
        "uploads/evidence/c3_cv.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
      ),
      evidence(4, 13, "id.png", "uploads/evidence/d4_id.png", "image/png"),
      evidence(5, 14, "lost.pdf", "uploads/evidence/e5_lost.pdf", "application/pdf"),
      evidence(6, 14, "passwd.pdf", "../../etc/passwd", "application/pdf"),
      evidence(7, 14, "link.pdf", "uploads/evidence/f7_link.pdf", "application/pdf"),
    ],
    matrix_token: [
      token(1, "tok_for_bea_123", 13, "submitted", {
        expiry_time: Date.UTC(2024, 3, 5),
        response_timestamp: "2024-03-06 09:31:00",
      }),
      token(2, "tok_standalone_456", null, "pending", { expiry_date: "2024-05-01" }),
      token(3, "tok_failed_789", 12, "failed", { response_timestamp: "2024-03-05 12:01:00" }),
    ],
    audit_log: [
      audit(1, 1, "2024-03-01 08:00:00", "login", "User root logged in"),
      audit(2, 4, "2024-03-01 08:59:00", "vetting_form_created", "Vetting form 13 created for Bea Approved"),
      audit(3, 1, "2024-03-06 09:30:00", "form_approved", "Approved vetting form 13"),
    ],
  };
}

function staff(id: number, username: string, email: string, hash: string, role: string, status: string) {
  return {
    id,
    username,
    email,
    password_hash: hash,
    role,
    status,
    created_at: "2023-11-01 10:00:00",
    last_login: "2024-02-28 17:00:00",
    needs_password_change: false,
  };
}

function form(id: number, status: string, fields: OriginalRow) {
  return {
    id,
    user_id: 4,
    status,
    email: `Person${id}@Example.org`,
    created_at: `2024-03-01 09:${String(id).padStart(2, "0")}:00`,
    updated_at: `2024-03-02 10:${String(id).padStart(2, "0")}:00`,
    additional_info: `Why form ${id} wants to join`,
    full_name: "",
    ...fields,
  };
}

function verification(method: string, score: number, recommendation: string) {
  return {
    identity_verified: true,
    verification_method: method,
    verification_date: "2024-03-03 00:00:00",
    verification_location: "Community centre, Leeds",
    vetting_notes: "Checked the passport in person",
    vetting_score: score,
    recommendation,
  };
}

function evidence(id: number, formId: number, filename: string, filePath: string, fileType: string) {
  return {
    id,
    vetting_form_id: formId,
    filename,
    file_path: filePath,
    file_type: fileType,
    file_size: 0,
    notes: `note ${id}`,
    uploaded_at: `2024-03-04 11:0${id}:00`,
  };
}

function token(
  id: number,
  value: string,
  formId: number | null,
  status: string,
  extra: Record<string, string | number>,
) {
  return {
    id,
    token: value,
    user_fullname: `Token Person ${id}`,
    user_email: `Token${id}@Example.org`,
    assigned_username: `token${id}`,
    created_at: "2024-03-06 09:31:00",
    created_by: 3,
    status,
    uses_allowed: 1,
    vetting_form_id: formId,
    ...extra,
  };
}

function audit(id: number, userId: number, timestamp: string, action: string, details: string) {
  return { id, user_id: userId, timestamp, action, details, ip_address: "203.0.113.7" };
}

/** The original app's folder: the files its evidence rows name (some missing, one a link outside). */
async function originalAppFolder(): Promise<string> {
  const folder = await mkdtemp(path.join(tmpdir(), "vp-original-app-"));
  await writeOriginalFiles(folder, {
    "uploads/evidence/a1_passport_scan.pdf": passport,
    "uploads/evidence/b2_Führerschein.png": photo,
    "uploads/evidence/c3_cv.docx": zipArchive(),
    "uploads/evidence/d4_id.png": exeRenamed,
    "secret-outside.pdf": pdfDocument("not evidence"),
  });
  await symlink(path.join(folder, "secret-outside.pdf"), path.join(folder, "uploads/evidence/f7_link.pdf"));
  return folder;
}

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

async function portalCounts(testApp: TestApp) {
  const db = testApp.db;
  return {
    staff: await db.staffUser.count(),
    cases: await db.vettingCase.count(),
    decisions: await db.caseDecision.count(),
    records: await db.vettingRecord.count(),
    comments: await db.caseComment.count(),
    evidence: await db.evidenceFile.count(),
    tokens: await db.registrationToken.count(),
    audit: await db.auditEvent.count(),
    imported: await db.importedRecord.count(),
    outbox: await db.outboxMessage.count(),
  };
}

async function caseOf(testApp: TestApp, formId: number) {
  const record = await testApp.db.importedRecord.findUniqueOrThrow({
    where: { sourceTable_sourceId: { sourceTable: "vetting_form", sourceId: formId } },
  });
  return testApp.db.vettingCase.findUniqueOrThrow({
    where: { id: record.targetId ?? "" },
    include: {
      decisions: true,
      vettingRecords: true,
      comments: true,
      evidenceFiles: true,
      registrationTokens: true,
    },
  });
}

describe("importing from the original's PostgreSQL database", () => {
  let testApp: TestApp;
  let original: TestDatabase;
  let appFolder: string;
  let firstRun: ImportReport;
  let existingHighestNumber: number;
  let originalChecksumBefore: string;
  const run = (isDryRun = false) =>
    importOriginal(
      { db: testApp.db, config: testApp.config, store: evidenceStore(testApp.config.uploadsDir) },
      { from: readerUrl(original.url), filesDir: appFolder, isDryRun },
    );

  before(async () => {
    testApp = await startTestApp({ env: { STAFF_REQUIRE_2FA: "true" } });
    original = await originalPostgresDatabase(originalRows());
    await grantReadOnlyRole(original.url);
    appFolder = await originalAppFolder();
    // The portal already has a case: imported case numbers continue after it.
    const existing = await testApp.db.vettingCase.create({
      data: { origin: "APPLICANT", fullName: "Already Here", email: "here@example.org", statement: "hello" },
    });
    existingHighestNumber = existing.number;
    originalChecksumBefore = await checksumOf(original.url);
    firstRun = await run();
  });
  after(async () => {
    await testApp.close();
    await original.drop();
    await rm(appFolder, { recursive: true, force: true });
  });

  test("the source is read through a role that may only SELECT, and is left exactly as it was", async () => {
    assert.equal(await checksumOf(original.url), originalChecksumBefore);
    // The importer itself refuses to write even where the role could: every transaction is read-only.
    const client = new pg.Client({
      connectionString: original.url,
      options: "-c default_transaction_read_only=on",
    });
    await client.connect();
    await assert.rejects(client.query("DELETE FROM audit_log"), /read-only transaction/);
    await client.end();
  });

  test("staff come over with their role, status, theme and Werkzeug hash; pending and rejected are disabled and listed", async () => {
    const accounts = await testApp.db.staffUser.findMany({
      where: { email: { not: { startsWith: "staff" } } },
      orderBy: { email: "asc" },
      select: {
        name: true,
        email: true,
        role: true,
        status: true,
        passwordHash: true,
        mustEnrolSecondFactor: true,
        mustChangePassword: true,
        themePreference: true,
        lastSignInAt: true,
      },
    });
    assert.deepEqual(
      accounts.map((account) => [account.email, account.name, account.role, account.status]),
      [
        ["ingrid@example.org", "ingrid", "INVITING_ADMIN", "ACTIVE"],
        ["pat@example.org", "pat", "VETTING_AGENT", "DISABLED"],
        ["rex@example.org", "rex", "INVITING_ADMIN", "DISABLED"],
        ["root@example.org", "root", "SUPERADMIN", "ACTIVE"],
        ["sam@example.org", "sam", "SERVER_ADMIN", "ACTIVE"],
        ["zoe@example.org", "zoë.müller", "VETTING_AGENT", "ACTIVE"],
      ],
    );
    const byEmail = new Map(accounts.map((account) => [account.email, account]));
    assert.match(byEmail.get("root@example.org")?.passwordHash ?? "", /^pbkdf2:sha256:260000\$/);
    assert.match(byEmail.get("zoe@example.org")?.passwordHash ?? "", /^scrypt:32768:8:1\$/);
    assert.equal(byEmail.get("pat@example.org")?.passwordHash, null);
    assert.equal(byEmail.get("sam@example.org")?.mustChangePassword, true);
    assert.equal(byEmail.get("root@example.org")?.mustChangePassword, false);
    assert.equal(byEmail.get("root@example.org")?.mustEnrolSecondFactor, true);
    assert.equal(byEmail.get("pat@example.org")?.mustEnrolSecondFactor, false);
    assert.equal(byEmail.get("zoe@example.org")?.themePreference, "DARK");
    assert.deepEqual(byEmail.get("root@example.org")?.lastSignInAt, new Date("2024-02-28T17:00:00Z"));
    assert.ok(firstRun.lines.some((line) => line.startsWith("rviuser 5 (pat): pending, imported disabled")));
    assert.ok(firstRun.lines.some((line) => line.startsWith("rviuser 6 (rex): rejected, imported disabled")));
    assert.equal(firstRun.counts.rviuser.imported, 6);
  });

  test("vetting forms become cases in their mapped states, numbered after the highest, with decisions and records", async () => {
    const cases = await Promise.all([10, 11, 12, 13, 14].map((id) => caseOf(testApp, id)));
    assert.deepEqual(
      cases.map((row) => row.state),
      ["DRAFT", "SUBMITTED", "APPROVED", "APPROVED", "REJECTED"],
    );
    assert.deepEqual(
      cases.map((row) => row.number),
      [1, 2, 3, 4, 5].map((offset) => existingHighestNumber + offset),
    );
    const zoe = await testApp.db.staffUser.findUniqueOrThrow({ where: { email: "zoe@example.org" } });
    const ingrid = await testApp.db.staffUser.findUniqueOrThrow({ where: { email: "ingrid@example.org" } });
    const root = await testApp.db.staffUser.findUniqueOrThrow({ where: { email: "root@example.org" } });
    const [draft, badPhone, awaiting, approved, rejected] = cases as [
      (typeof cases)[number],
      (typeof cases)[number],
      (typeof cases)[number],
      (typeof cases)[number],
      (typeof cases)[number],
    ];
    for (const row of cases) {
      assert.equal(row.origin, "STAFF");
      assert.equal(row.createdById, zoe.id);
    }
    assert.equal(draft.fullName, "Zoë Ångström");
    assert.equal(draft.email, "person10@example.org");
    assert.equal(draft.phone, "+442079460958");
    assert.equal(draft.matrixId, "@zoe:example.org");
    assert.equal(draft.submittedAt, null);
    // The phone number and Matrix ID the portal does not accept are kept in a note, not dropped.
    assert.equal(badPhone.phone, null);
    assert.equal(badPhone.matrixId, null);
    assert.equal(badPhone.comments.length, 1);
    assert.match(
      badPhone.comments[0]?.body ?? "",
      /Phone number as typed in the original system: call after 6pm/,
    );
    assert.match(badPhone.comments[0]?.body ?? "", /Matrix ID as typed in the original system: @not valid/);
    assert.equal(badPhone.comments[0]?.isVisibleToApplicant, false);
    // awaiting_token: approved, with the token still to be made.
    assert.deepEqual(
      awaiting.decisions.map((decision) => [
        decision.kind,
        decision.decidedById,
        decision.decidedAt.toISOString(),
      ]),
      [["APPROVE", ingrid.id, "2024-03-05T12:00:00.000Z"]],
    );
    assert.ok(
      firstRun.lines.some((line) =>
        /vetting_form 12: awaiting_token → approved; its registration token is still to be made/.test(line),
      ),
    );
    assert.deepEqual(
      approved.decisions.map((decision) => [
        decision.kind,
        decision.decidedById,
        decision.decidedAt.toISOString(),
      ]),
      [["APPROVE", root.id, "2024-03-06T09:30:00.000Z"]],
    );
    assert.deepEqual(approved.decidedAt, new Date("2024-03-06T09:30:00Z"));
    assert.deepEqual(
      rejected.decisions.map((decision) => [decision.kind, decision.decidedById]),
      [["REJECT", ingrid.id]],
    );
    assert.deepEqual(
      approved.vettingRecords.map((record) => [
        record.agentId,
        record.identityVerified,
        record.method,
        record.verifiedOn.toISOString().slice(0, 10),
        record.place,
        record.notes,
        record.score,
        record.recommendation,
      ]),
      [
        [
          zoe.id,
          true,
          "VIDEO_CALL",
          "2024-03-03",
          "Community centre, Leeds",
          "Checked the passport in person",
          5,
          "APPROVE",
        ],
      ],
    );
    assert.equal(awaiting.vettingRecords[0]?.method, "IN_PERSON");
    // Incomplete verification fields: no vetting record, the fields kept in a note.
    assert.equal(rejected.vettingRecords.length, 0);
    assert.match(rejected.comments[0]?.body ?? "", /Vetting notes: Met briefly; could not confirm/);
  });

  test("evidence that passes the portal's checks is stored like an upload; every other file is listed with its reason", async () => {
    const awaiting = await caseOf(testApp, 12);
    const store = evidenceStore(testApp.config.uploadsDir);
    const files = [...awaiting.evidenceFiles].sort((a, b) => a.displayName.localeCompare(b.displayName));
    assert.deepEqual(
      files.map((file) => [
        file.displayName,
        file.mediaType,
        file.sizeBytes,
        file.sha256,
        file.note,
        file.uploaderKind,
      ]),
      [
        ["Führerschein.png", "image/png", photo.length, sha256(photo), "note 2", "STAFF"],
        ["passport_scan.pdf", "application/pdf", passport.length, sha256(passport), "note 1", "STAFF"],
      ],
    );
    for (const file of files) {
      const onDisk = store.pathOf(file.storageKey);
      assert.equal((await stat(onDisk)).mode & 0o777, 0o640);
      assert.equal((await stat(path.dirname(onDisk))).mode & 0o777, 0o750);
      assert.equal(sha256(await readFile(onDisk)), file.sha256);
    }
    assert.equal(await testApp.db.evidenceFile.count(), 2);
    const refusals = firstRun.lines.filter((line) => line.startsWith("vetting_evidence"));
    assert.equal(refusals.length, 5);
    assert.match(
      refusals.find((line) => line.includes("(cv.docx)")) ?? "",
      /refused by the portal's content checks/,
    );
    assert.match(
      refusals.find((line) => line.includes("(id.png)")) ?? "",
      /refused by the portal's content checks/,
    );
    assert.match(
      refusals.find((line) => line.includes("(lost.pdf)")) ?? "",
      /missing: no file at uploads\/evidence\/e5_lost\.pdf/,
    );
    assert.match(refusals.find((line) => line.includes("(passwd.pdf)")) ?? "", /outside the uploads folder/);
    assert.match(
      refusals.find((line) => line.includes("(link.pdf)")) ?? "",
      /leads outside the uploads folder \(not followed\)/,
    );
    assert.deepEqual(firstRun.counts.vetting_evidence, {
      read: 7,
      imported: 2,
      alreadyImported: 0,
      notImported: 5,
    });
    // Nothing of the staging copies is left behind.
    const { readdir } = await import("node:fs/promises");
    assert.deepEqual(
      (await readdir(testApp.config.uploadsDir)).filter((name) => name.startsWith(".import")),
      [],
    );
  });

  test("registration tokens are sealed against their case (or standalone) with their expiry and last status", async () => {
    const tokens = await testApp.db.registrationToken.findMany({ orderBy: { personEmail: "asc" } });
    const approved = await caseOf(testApp, 13);
    const awaiting = await caseOf(testApp, 12);
    assert.deepEqual(
      tokens.map((row) => [
        row.personEmail,
        openRegistrationToken(testApp.config.staff.totpKey, row.tokenSealed),
        row.caseId,
        row.state,
      ]),
      [
        ["token1@example.org", "tok_for_bea_123", approved.id, "CREATED"],
        ["token2@example.org", "tok_standalone_456", null, "PENDING"],
        ["token3@example.org", "tok_failed_789", awaiting.id, "FAILED"],
      ],
    );
    assert.ok(tokens.every((row) => !row.tokenSealed.includes("tok_")));
    assert.deepEqual(tokens[0]?.expiresAt, new Date(Date.UTC(2024, 3, 5)));
    assert.deepEqual(tokens[1]?.expiresAt, new Date("2024-05-01T00:00:00Z"));
    assert.deepEqual(tokens[0]?.createdOnHomeserverAt, new Date("2024-03-06T09:31:00Z"));
  });

  test("the audit history is imported, marked as imported, and an imported case's timeline starts with it", async () => {
    const events = await testApp.db.auditEvent.findMany({
      where: { action: "import.original_event" },
      orderBy: { occurredAt: "asc" },
    });
    const root = await testApp.db.staffUser.findUniqueOrThrow({ where: { email: "root@example.org" } });
    const approved = await caseOf(testApp, 13);
    assert.deepEqual(
      events.map((event) => [
        event.occurredAt.toISOString(),
        event.actorLabel,
        (event.details as { originalAction: string }).originalAction,
        event.subjectType,
        event.ipAddress,
      ]),
      [
        ["2024-03-01T08:00:00.000Z", "root (original system)", "login", "staff_user", "203.0.113.7"],
        [
          "2024-03-01T08:59:00.000Z",
          "zoë.müller (original system)",
          "vetting_form_created",
          "vetting_case",
          "203.0.113.7",
        ],
        [
          "2024-03-06T09:30:00.000Z",
          "root (original system)",
          "form_approved",
          "vetting_case",
          "203.0.113.7",
        ],
      ],
    );
    assert.equal(events[0]?.actorId, root.id);
    assert.deepEqual(events[0]?.details, { imported: true, originalId: 1, originalAction: "login" });
    const details = await testApp.db.importedRecord.findUniqueOrThrow({
      where: { sourceTable_sourceId: { sourceTable: "audit_log", sourceId: 2 } },
    });
    assert.equal(details.details, "Vetting form 13 created for Bea Approved");
    const timeline = await findCaseTimeline(testApp.db, approved.id);
    // It starts with the original's history, in the original's time order.
    assert.deepEqual(
      timeline.map((event) => [event.action, event.occurredAt.toISOString()]),
      [
        ["import.original_event", "2024-03-01T08:59:00.000Z"],
        ["import.case_imported", "2024-03-01T09:13:00.000Z"],
        ["import.original_event", "2024-03-06T09:30:00.000Z"],
        ["import.matrix_token_imported", "2024-03-06T09:31:00.000Z"],
      ],
    );
  });

  test("the case page shows the imported history first, with the original's actions", async () => {
    const root = await testApp.db.staffUser.findUniqueOrThrow({ where: { email: "ingrid@example.org" } });
    const cookie = await signedInCookie(testApp.db, testApp.config, root.id);
    await testApp.db.staffUser.update({ where: { id: root.id }, data: { mustEnrolSecondFactor: false } });
    const approved = await caseOf(testApp, 13);
    const response = await fetch(`${testApp.baseUrl}/staff/cases/${approved.id}`, { headers: { cookie } });
    const html = await response.text();
    assert.equal(response.status, 200);
    // Oldest first: the agent's entry in the original, the move itself, then the original's approval.
    const created = html.indexOf("Original action: vetting_form_created");
    const movedIn = html.indexOf("Moved in from the original system");
    const approvedThen = html.indexOf("Original action: form_approved");
    assert.ok(created > 0 && created < movedIn && movedIn < approvedThen, html);
  });

  test("nobody is emailed by the import", async () => {
    assert.equal(await testApp.db.outboxMessage.count(), 0);
    const jobs = await testApp.db.$queryRawUnsafe<{ count: bigint }[]>(
      "SELECT count(*) AS count FROM graphile_worker._private_jobs",
    );
    assert.equal(Number(jobs[0]?.count), 0);
  });

  test("a second run imports nothing twice and changes nothing", async () => {
    const before = await portalCounts(testApp);
    const second = await run();
    assert.deepEqual(await portalCounts(testApp), before);
    for (const table of [
      "rviuser",
      "vetting_form",
      "vetting_evidence",
      "matrix_token",
      "audit_log",
    ] as const) {
      assert.equal(second.counts[table].imported, 0, table);
    }
    assert.deepEqual(second.counts.rviuser, { read: 6, imported: 0, alreadyImported: 6, notImported: 0 });
    assert.equal(second.counts.audit_log.alreadyImported, 3);
    // The refused files are listed again (they were never imported), and still not imported.
    assert.equal(second.counts.vetting_evidence.notImported, 5);
  });

  test("a staff member signs in with the original pbkdf2 password, is moved to argon2id and must set up two-step sign-in first", async () => {
    const page = new TestBrowser(testApp.baseUrl);
    await page.get("/staff/sign-in");
    const wrong = await page.post("/staff/sign-in", {
      email: "root@example.org",
      password: "not the password",
    });
    assert.equal(wrong.response.status, 422);
    const root = () => testApp.db.staffUser.findUniqueOrThrow({ where: { email: "root@example.org" } });
    assert.match((await root()).passwordHash ?? "", /^pbkdf2:/);

    await page.get("/staff/sign-in");
    const signedIn = await page.post("/staff/sign-in", {
      email: "root@example.org",
      password: ROOT_PASSWORD,
    });
    assert.equal(signedIn.response.status, 303, signedIn.html);
    assert.match((await root()).passwordHash ?? "", /^\$argon2id\$/);
    const rehashed = await testApp.db.auditEvent.findMany({
      where: { action: "staff.password_rehashed", actorId: (await root()).id },
    });
    assert.deepEqual(
      rehashed.map((event) => event.details),
      [{ from: "pbkdf2", to: "argon2id" }],
    );

    // Before anything else: every other page leads to the profile, every other form is refused.
    const home = await page.get("/staff");
    assert.equal(home.response.status, 303);
    assert.equal(home.response.headers.get("location"), "/staff/profile");
    const cases = await page.get("/staff/cases");
    assert.equal(cases.response.headers.get("location"), "/staff/profile");
    const profile = await page.get("/staff/profile");
    assert.equal(profile.response.status, 200);
    assert.match(profile.html, /set up two-step sign-in with an authenticator app/);
    const refusedForm = await page.post("/staff/profile/theme", { theme: "DARK" });
    assert.equal(refusedForm.response.status, 403);

    const secret = (/data-testid="totp-secret">([A-Z2-7 ]+)</.exec(profile.html)?.[1] ?? "").replace(
      / /g,
      "",
    );
    const sealed = /name="sealedTotpSecret" value="([^"]+)"/.exec(profile.html)?.[1] ?? "";
    const enrolled = await page.post("/staff/profile/authenticator", {
      currentPassword: ROOT_PASSWORD,
      code: totpCodeAt(secret, new Date()),
      sealedTotpSecret: sealed,
    });
    assert.equal(enrolled.response.status, 303, enrolled.html);
    const after = await root();
    assert.notEqual(after.totpEnabledAt, null);
    assert.equal(after.mustEnrolSecondFactor, false);
    assert.equal((await page.get("/staff")).response.status, 200);
  });

  test("a scrypt password with a temporary flag: rehashed, then enrolment and a new password before anything else", async () => {
    const page = new TestBrowser(testApp.baseUrl);
    await page.get("/staff/sign-in");
    const signedIn = await page.post("/staff/sign-in", { email: "sam@example.org", password: SAM_PASSWORD });
    assert.equal(signedIn.response.status, 303, signedIn.html);
    const sam = () => testApp.db.staffUser.findUniqueOrThrow({ where: { email: "sam@example.org" } });
    assert.match((await sam()).passwordHash ?? "", /^\$argon2id\$/);

    const profile = await page.get("/staff/profile");
    assert.match(profile.html, /choose a new password \(yours was a temporary one\)/);
    const secret = (/data-testid="totp-secret">([A-Z2-7 ]+)</.exec(profile.html)?.[1] ?? "").replace(
      / /g,
      "",
    );
    const sealed = /name="sealedTotpSecret" value="([^"]+)"/.exec(profile.html)?.[1] ?? "";
    await page.post("/staff/profile/authenticator", {
      currentPassword: SAM_PASSWORD,
      code: totpCodeAt(secret, new Date()),
      sealedTotpSecret: sealed,
    });
    // Enrolled, but the temporary password still stands between sam and the portal.
    assert.equal((await page.get("/staff")).response.headers.get("location"), "/staff/profile");
    await page.get("/staff/profile");
    const changed = await page.post("/staff/profile/password", {
      currentPassword: SAM_PASSWORD,
      password: "a brand new passphrase for sam 2026",
      passwordConfirmation: "a brand new passphrase for sam 2026",
    });
    assert.equal(changed.response.status, 303, changed.html);
    assert.equal((await sam()).mustChangePassword, false);
    assert.equal((await page.get("/staff")).response.status, 200);
  });

  test("erasing an imported case blanks the original's audit text about it too", async () => {
    const approved = await caseOf(testApp, 13);
    await testApp.db.$transaction((tx) =>
      eraseCase(tx, { caseId: approved.id, audit: { label: "test" }, reason: "applicant_request" }),
    );
    const texts = await testApp.db.importedRecord.findMany({
      where: { sourceTable: "audit_log" },
      orderBy: { sourceId: "asc" },
      select: { sourceId: true, details: true },
    });
    assert.deepEqual(texts, [
      { sourceId: 1, details: "User root logged in" },
      { sourceId: 2, details: null },
      { sourceId: 3, details: null },
    ]);
  });

  test("the report lists counts per table and every decision", () => {
    const text = formatImportReport(firstRun);
    assert.match(text, /^Imported from PostgreSQL database \w+ on 127\.0\.0\.1:\d+\./);
    assert.match(text, /rviuser\s+6\s+6\s+0\s+0/);
    assert.match(text, /vetting_evidence\s+7\s+2\s+0\s+5/);
    assert.match(text, /^ {2}rviuser status pending → DISABLED \(1\)$/m);
    assert.match(text, /^ {2}rviuser role vetting_agent → VETTING_AGENT \(2\)$/m);
    assert.match(text, /^ {2}vetting_form status awaiting_token → APPROVED \(1\)$/m);
    assert.match(text, /^ {2}matrix_token status submitted → CREATED \(1\)$/m);
    assert.doesNotMatch(text, /original_reader_password/);
    const hostile = formatImportReport({
      ...firstRun,
      lines: ['rviuser 9: unknown role "\u001b[2J\u001b]0;owned\u0007".'],
    });
    assert.match(hostile, /unknown role "\?\[2J\?\]0;owned\?"/);
    assert.ok(!hostile.includes("\u001b"), "no escape character reaches the terminal");
  });

  /** The same database through a role granted SELECT and nothing else. */
  function readerUrl(url: string): string {
    const parsed = new URL(url);
    parsed.username = "original_reader";
    parsed.password = "original_reader_password";
    return parsed.toString();
  }
});

describe("importing from the original's SQLite file", () => {
  let testApp: TestApp;
  let folder: string;
  let appFolder: string;
  let sqliteFile: string;

  before(async () => {
    testApp = await startTestApp();
    folder = await mkdtemp(path.join(tmpdir(), "vp-original-sqlite-"));
    sqliteFile = path.join(folder, "rvi.db");
    await originalSqliteFile(sqliteFile, originalRows());
    appFolder = await originalAppFolder();
  });
  after(async () => {
    await testApp.close();
    await rm(folder, { recursive: true, force: true });
    await rm(appFolder, { recursive: true, force: true });
  });
  const run = (options: { from?: string; isDryRun?: boolean } = {}) =>
    importOriginal(
      { db: testApp.db, config: testApp.config, store: evidenceStore(testApp.config.uploadsDir) },
      { from: options.from ?? sqliteFile, filesDir: appFolder, isDryRun: options.isDryRun ?? false },
    );

  test("a dry run reports what would happen and writes nothing, in the portal or on disk", async () => {
    const before = await portalCounts(testApp);
    const report = await run({ isDryRun: true });
    assert.deepEqual(await portalCounts(testApp), before);
    const { readdir } = await import("node:fs/promises");
    assert.deepEqual(await readdir(testApp.config.uploadsDir), []);
    assert.equal(report.isDryRun, true);
    assert.deepEqual(report.counts.vetting_form, {
      read: 5,
      imported: 5,
      alreadyImported: 0,
      notImported: 0,
    });
    assert.deepEqual(report.counts.vetting_evidence, {
      read: 7,
      imported: 2,
      alreadyImported: 0,
      notImported: 5,
    });
    assert.match(formatImportReport(report), /^Dry run: nothing was written\. Read from SQLite file /);
    assert.ok(
      report.lines.some((line) => line.startsWith("vetting_form 11: the phone number is not a valid")),
    );
  });

  test("the SQLite file is imported alike and never changed", async () => {
    const bytesBefore = await readFile(sqliteFile);
    const modifiedBefore = (await stat(sqliteFile)).mtimeMs;
    const report = await run();
    assert.deepEqual(await readFile(sqliteFile), bytesBefore);
    assert.equal((await stat(sqliteFile)).mtimeMs, modifiedBefore);
    assert.equal(report.counts.rviuser.imported, 6);
    assert.equal(report.counts.vetting_evidence.imported, 2);
    const zoe = await testApp.db.staffUser.findUniqueOrThrow({ where: { email: "zoe@example.org" } });
    assert.equal(zoe.name, "zoë.müller");
    assert.equal(zoe.mustChangePassword, false);
    const sam = await testApp.db.staffUser.findUniqueOrThrow({ where: { email: "sam@example.org" } });
    assert.equal(sam.mustChangePassword, true);
    const approved = await caseOf(testApp, 13);
    assert.deepEqual(approved.decidedAt, new Date("2024-03-06T09:30:00Z"));
    assert.equal(approved.vettingRecords[0]?.identityVerified, true);
  });

  test("a scrypt hash from SQLite signs in too (with two-step sign-in not required here, straight to the profile)", async () => {
    const page = new TestBrowser(testApp.baseUrl);
    await page.get("/staff/sign-in");
    const signedIn = await page.post("/staff/sign-in", { email: "zoe@example.org", password: ZOE_PASSWORD });
    assert.equal(signedIn.response.status, 303, signedIn.html);
    const zoe = await testApp.db.staffUser.findUniqueOrThrow({ where: { email: "zoe@example.org" } });
    assert.match(zoe.passwordHash ?? "", /^\$argon2id\$/);
    assert.equal((await page.get("/staff")).response.headers.get("location"), "/staff/profile");
  });

  test("clear errors: an unreadable source, an unknown role or status, a duplicate email; nothing written", async () => {
    await assert.rejects(run({ from: path.join(folder, "missing.db") }), OriginalSourceError);
    const notSqlite = path.join(folder, "notes.txt");
    await writeFile(notSqlite, "this is not a database at all, just some notes about it\n".repeat(20));
    await assert.rejects(run({ from: notSqlite }), (error: unknown) => {
      assert.ok(error instanceof OriginalSourceError);
      assert.match(error.message, /is not a SQLite database/);
      return true;
    });

    const before = await portalCounts(testApp);
    const rows = originalRows();
    rows.rviuser?.push(staff(7, "mallory", "ROOT@example.org", werkzeugPbkdf2Hash("x"), "root", "active"));
    rows.rviuser?.push(
      staff(8, "dora", "dora@example.org", werkzeugPbkdf2Hash("x"), "vetting_agent", "on_leave"),
    );
    rows.vetting_form?.push(form(15, "archived", { full_name: "Odd State" }));
    const broken = path.join(folder, "broken.db");
    await originalSqliteFile(broken, rows);
    await assert.rejects(run({ from: broken }), (error: unknown) => {
      assert.ok(error instanceof ImportBlockedError);
      assert.deepEqual(error.problems, [
        'rviuser 7 (mallory): unknown role "root".',
        "rviuser 7 (mallory): duplicate email root@example.org (also rviuser 1).",
        'rviuser 8 (dora): unknown status "on_leave".',
        'vetting_form 15: unknown status "archived".',
      ]);
      return true;
    });
    assert.deepEqual(await portalCounts(testApp), before);
  });

  test("npm run import:original: the report on standard output, clear refusals with their exit codes", async () => {
    const env = {
      PATH: process.env.PATH,
      NODE_ENV: "test",
      DATABASE_URL: testApp.databaseUrl,
      UPLOADS_DIR: testApp.config.uploadsDir,
    };
    const usage = await runScript("scripts/import-original.ts", { args: ["--from", sqliteFile], env });
    assert.equal(usage.code, 2);
    assert.match(
      usage.stderr,
      /^Usage: npm run import:original -- --from <postgresql URL \| SQLite file> --files/,
    );

    const before = await portalCounts(testApp);
    const dryRun = await runScript("scripts/import-original.ts", {
      args: ["--from", sqliteFile, "--files", appFolder, "--dry-run"],
      env,
    });
    assert.equal(dryRun.stderr, "");
    assert.equal(dryRun.code, 0);
    assert.match(dryRun.stdout, /^Dry run: nothing was written\./);
    // This portal already holds the import (the test above): the dry run says so and changes nothing.
    assert.match(dryRun.stdout, /rviuser\s+6\s+0\s+6\s+0/);
    assert.deepEqual(await portalCounts(testApp), before);

    const unreachable = await runScript("scripts/import-original.ts", {
      args: ["--from", "postgresql://someone:hunter2@127.0.0.1:1/rvi", "--files", appFolder],
      env,
    });
    assert.equal(unreachable.code, 1);
    assert.match(
      unreachable.stderr,
      /^Cannot connect to the original database \(PostgreSQL database rvi on 127\.0\.0\.1:1\)/,
    );
    assert.doesNotMatch(unreachable.output, /hunter2/);

    const noFolder = await runScript("scripts/import-original.ts", {
      args: ["--from", sqliteFile, "--files", path.join(folder, "nowhere")],
      env,
    });
    assert.equal(noFolder.code, 1);
    assert.match(noFolder.stderr, /is not a folder \(the original app's folder\)/);
  });

  test("an email that already has a portal account (not from an earlier import) stops the import", async () => {
    const otherApp = await startTestApp();
    try {
      await createStaffMember(otherApp.db, otherApp.config, {
        role: "SUPERADMIN",
        email: "ingrid@example.org",
      });
      await assert.rejects(
        importOriginal(
          { db: otherApp.db, config: otherApp.config, store: evidenceStore(otherApp.config.uploadsDir) },
          { from: sqliteFile, filesDir: appFolder, isDryRun: false },
        ),
        (error: unknown) => {
          assert.ok(error instanceof ImportBlockedError);
          assert.deepEqual(error.problems, [
            "rviuser 3 (ingrid): duplicate email ingrid@example.org: the portal already has an account with it.",
          ]);
          return true;
        },
      );
      assert.equal(await otherApp.db.vettingCase.count(), 0);
    } finally {
      await otherApp.close();
    }
  });
});

/** A role that can read the original's tables and nothing else. */
async function grantReadOnlyRole(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DO $$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'original_reader') THEN
        CREATE ROLE original_reader LOGIN PASSWORD 'original_reader_password';
      END IF; END $$`);
    const database = new URL(url).pathname.slice(1);
    await client.query(`GRANT CONNECT ON DATABASE ${database} TO original_reader`);
    await client.query("GRANT USAGE ON SCHEMA public TO original_reader");
    await client.query("GRANT SELECT ON ALL TABLES IN SCHEMA public TO original_reader");
  } finally {
    await client.end();
  }
}

/** Every row of every original table, hashed: equal before and after means nothing was written. */
async function checksumOf(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const hash = createHash("sha256");
    for (const table of [
      "rviuser",
      "user_preferences",
      "vetting_form",
      "vetting_evidence",
      "matrix_token",
      "audit_log",
    ]) {
      const { rows } = await client.query(`SELECT to_jsonb(t)::text AS row FROM ${table} AS t ORDER BY id`);
      for (const row of rows) hash.update(String(row.row));
    }
    return hash.digest("hex");
  } finally {
    await client.end();
  }
}
