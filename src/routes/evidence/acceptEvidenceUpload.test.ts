// An upload through the portal's checks, over HTTP with a real clamd (our own signatures), real
// Postgres, a real uploads folder and real SMTP: malware refused with nothing kept, audited, and the
// server admins emailed; clamd gone means 503 with nothing kept and /readyz saying so; a PDF with
// active content refused, or kept and flagged (warning, no preview) with EVIDENCE_PDF_ACTIVE=flag;
// photos stored without their location, and the uploader told.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, beforeEach, describe, test } from "node:test";
import { applicantCookieName, startApplicantSession } from "../../applicantSessions.js";
import { startTestApp, type TestApp } from "../../test/app.js";
import { deliverQueuedEmails, TestBrowser } from "../../test/browser.js";
import { EICAR_TEST_FILE, startTestClamd, TEST_SIGNATURES, type TestClamd } from "../../test/clamd.js";
import { jpegWithLocation, metadataOf, pdfWith } from "../../test/evidenceContent.js";
import { clearUploads, postEvidence, sha256Of, testStore, uploadsOnDisk } from "../../test/evidenceFiles.js";
import { pdfDocument } from "../../test/evidenceFixtures.js";
import { truncateTables } from "../../test/reset.js";
import { startTestSmtpServer, type TestSmtpServer } from "../../test/smtp.js";
import { type SignedInStaffBrowser, signedInStaffBrowser } from "../../test/staff.js";

let clamd: TestClamd;
let smtp: TestSmtpServer;
before(async () => {
  [clamd, smtp] = await Promise.all([startTestClamd(), startTestSmtpServer({ tls: "none" })]);
});
after(async () => {
  await clamd.close();
  await smtp.close();
});

const TABLES = [
  "evidence_files",
  "upload_leases",
  "vetting_cases",
  "applicant_sessions",
  "link_tokens",
  "outbox_messages",
  "audit_events",
  "staff_sessions",
  "staff_users",
  "rate_limits",
  "graphile_worker._private_jobs",
];

async function startApp(env: Record<string, string> = {}): Promise<TestApp> {
  return startTestApp({
    env: {
      NEW_CASE_NOTIFICATIONS: "off",
      SMTP_PORTS: String(smtp.port),
      EVIDENCE_SCAN: "required",
      CLAMAV_SOCKET: clamd.socketPath,
      CLAMAV_TIMEOUT_SECONDS: "5",
      ...env,
    },
  });
}

async function createCase(testApp: TestApp, state: "DRAFT" | "IN_REVIEW" = "IN_REVIEW") {
  return testApp.db.vettingCase.create({
    data: {
      origin: "APPLICANT",
      fullName: "Ada Applicant",
      email: "ada@example.org",
      statement: "I organise the local meetup.",
      state,
      privacyNoticeVersion: "built-in-1",
      privacyConsentAt: new Date(),
      emailConfirmedAt: new Date(),
    },
    select: { id: true, number: true },
  });
}

const upload = (
  testApp: TestApp,
  staff: SignedInStaffBrowser,
  caseId: string,
  file: { name: string; type: string; bytes: Buffer },
  json = false,
) =>
  postEvidence(`${testApp.baseUrl}/staff/cases/${caseId}/evidence`, {
    cookie: staff.cookie,
    csrfToken: staff.csrfToken,
    files: [file],
    json,
  });

/** Nothing of the upload anywhere: no row, no stored file, no temporary file. */
async function assertNothingKept(testApp: TestApp) {
  assert.equal(await testApp.db.evidenceFile.count(), 0, "no row");
  assert.deepEqual(await uploadsOnDisk(testApp), { stored: [], incoming: [] }, "no file on disk");
}

describe("with clamd scanning every upload", () => {
  let testApp: TestApp;
  before(async () => {
    testApp = await startApp();
  });
  after(() => testApp.close());
  beforeEach(async () => {
    await truncateTables(testApp.db, TABLES);
    await clearUploads(testApp);
    smtp.messages.length = 0;
  });

  test("EICAR in a PDF: refused with a clear message, nothing kept, audited, the server admins emailed", async () => {
    const vettingCase = await createCase(testApp);
    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT", "Vera Agent");
    const admin = await signedInStaffBrowser(testApp, "SERVER_ADMIN", "Sam Admin");
    const infected = pdfDocument(EICAR_TEST_FILE.toString("latin1"));

    const response = await upload(testApp, agent, vettingCase.id, {
      name: "passport.pdf",
      type: "application/pdf",
      bytes: infected,
    });
    assert.equal(response.status, 400);
    const page = await response.text();
    assert.match(
      page,
      /&quot;passport.pdf&quot; cannot be accepted. The virus scanner found malware in the file, so it was not kept./,
    );
    await assertNothingKept(testApp);

    const audit = await testApp.db.auditEvent.findMany({
      where: { action: "evidence.malware_refused" },
      select: { actorId: true, subjectType: true, subjectId: true, details: true },
    });
    assert.deepEqual(audit, [
      {
        actorId: agent.id,
        subjectType: "vetting_case",
        subjectId: vettingCase.id,
        details: { signatures: [`${TEST_SIGNATURES.eicar}.UNOFFICIAL`], uploaderKind: "STAFF" },
      },
    ]);
    const delivered = await deliverQueuedEmails(testApp, smtp);
    assert.deepEqual(
      delivered.map((message) => message.to),
      [[admin.email]],
      "the server admin is told; the agent is not",
    );
    const [alert] = delivered;
    assert.match(alert?.subject ?? "", /^Malware refused in an upload to case VC-\d{5} — /);
    assert.match(alert?.text ?? "", new RegExp(`${TEST_SIGNATURES.eicar}\\.UNOFFICIAL`));
    assert.match(alert?.text ?? "", /a staff member\s+uploaded to case/);
    assert.doesNotMatch(alert?.text ?? "", /passport\.pdf/, "no file name in the email");
  });

  test("clamd stopped: 503 with a retry message, nothing kept, /readyz degraded; back once it answers", async () => {
    const vettingCase = await createCase(testApp);
    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT");
    const file = { name: "letter.pdf", type: "application/pdf", bytes: pdfDocument("Letter") };
    await clamd.stop();
    try {
      const response = await upload(testApp, agent, vettingCase.id, file);
      assert.equal(response.status, 503);
      assert.equal(response.headers.get("retry-after"), "120");
      assert.match(
        await response.text(),
        /The virus scanner is not answering at the moment, so nothing was kept. Try again in a few minutes./,
      );
      await assertNothingKept(testApp);
      const json = await upload(testApp, agent, vettingCase.id, file, true);
      assert.equal(json.status, 503);
      assert.equal(((await json.json()) as { error: { id: string } }).error.id, "service_unavailable");
      await assertNothingKept(testApp);
      assert.ok(
        testApp
          .logLines()
          .some(
            (line) =>
              line.msg === "evidence upload: the virus scanner cannot be reached, uploads are refused",
          ),
      );

      const ready = await fetch(`${testApp.baseUrl}/readyz`);
      assert.equal(ready.status, 200, "the rest of the portal still serves");
      const report = (await ready.json()) as {
        status: string;
        degraded: string[];
        checks: { scanner: string };
      };
      assert.equal(report.status, "degraded");
      assert.ok(report.degraded.includes("scanner"));
      assert.equal(
        report.checks.scanner,
        `degraded: clamd unreachable (socket ${clamd.socketPath}), uploads are refused`,
      );
    } finally {
      await clamd.start();
    }
    const response = await upload(testApp, agent, vettingCase.id, file);
    assert.equal(response.status, 303);
    assert.equal(await testApp.db.evidenceFile.count(), 1);
    const ready = (await (await fetch(`${testApp.baseUrl}/readyz`)).json()) as {
      checks: { scanner: string };
    };
    assert.equal(ready.checks.scanner, "ok");
  });

  test("a PDF with JavaScript in an object stream is refused and says why", async () => {
    const vettingCase = await createCase(testApp);
    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT");
    const pdf = await pdfWith({
      catalog: { "/OpenAction": "4 0 R" },
      extra: [{ "/S": "/JavaScript", "/JS": "u:app.launchURL('https://example.org')" }],
      inObjectStreams: true,
    });
    const response = await upload(testApp, agent, vettingCase.id, {
      name: "form.pdf",
      type: "application/pdf",
      bytes: pdf,
    });
    assert.equal(response.status, 400);
    assert.match(
      await response.text(),
      /The PDF contains JavaScript and an action that runs when it is opened, which a PDF viewer could run or open on its own, so it was not kept./,
    );
    await assertNothingKept(testApp);
  });

  test("the applicant's photo is stored without its location, and they are told", async () => {
    const vettingCase = await createCase(testApp, "DRAFT");
    const { token } = await testApp.db.$transaction((tx) =>
      startApplicantSession(tx, { config: testApp.config, caseId: vettingCase.id }),
    );
    const browser = new TestBrowser(testApp.baseUrl);
    browser.cookies.set(applicantCookieName(testApp.config), token);
    await browser.get("/application/evidence");
    const photo = await jpegWithLocation();

    const response = await postEvidence(`${testApp.baseUrl}/application/evidence`, {
      cookie: browser.cookieHeader(),
      csrfToken: browser.csrfToken,
      files: [{ name: "id-card.jpg", type: "image/jpeg", bytes: photo }],
    });
    assert.equal(response.status, 303);
    const location = response.headers.get("location") ?? "";
    assert.equal(location, "/application/evidence?done=added_metadata_removed");
    const page = await browser.get(location);
    assert.match(page.html, /Location and camera data were removed from your photos before they were kept./);

    const row = await testApp.db.evidenceFile.findFirstOrThrow({
      select: { storageKey: true, sha256: true, sizeBytes: true },
    });
    const stored = await readFile(testStore(testApp).pathOf(row.storageKey));
    assert.equal(row.sha256, sha256Of(stored), "the row's digest is the stored file's");
    assert.equal(row.sizeBytes, stored.length);
    assert.notEqual(row.sha256, sha256Of(photo));
    const tags = Object.keys(await metadataOf(stored));
    assert.deepEqual(
      tags.filter((tag) => /GPS|Make|Model|Serial|Creator|Keywords|Comment/.test(tag)),
      [],
    );
    // Served as stored: the integrity check on serving passes with the cleaned file's digest.
    const download = await browser.get(
      `/application/evidence/${(await testApp.db.evidenceFile.findFirstOrThrow()).id}`,
    );
    assert.equal(download.response.status, 200);
  });
});

describe("with EVIDENCE_PDF_ACTIVE=flag", () => {
  let testApp: TestApp;
  before(async () => {
    testApp = await startApp({ EVIDENCE_PDF_ACTIVE: "flag" });
  });
  after(() => testApp.close());

  test("a PDF with an embedded file is kept, staff see a warning and no preview, and the preview address refuses", async () => {
    await truncateTables(testApp.db, TABLES);
    const vettingCase = await createCase(testApp);
    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT");
    const pdf = await pdfWith({
      catalog: { "/Names": { "/EmbeddedFiles": { "/Names": ["u:payload.exe", "4 0 R"] } } },
      extra: [
        { "/Type": "/Filespec", "/F": "u:payload.exe", "/EF": { "/F": "5 0 R" } },
        { stream: { dict: { "/Type": "/EmbeddedFile" }, data: "MZ" } },
      ],
      inObjectStreams: true,
    });
    const response = await upload(testApp, agent, vettingCase.id, {
      name: "bundle.pdf",
      type: "application/pdf",
      bytes: pdf,
    });
    assert.equal(response.status, 303);
    const row = await testApp.db.evidenceFile.findFirstOrThrow({ select: { id: true, activeContent: true } });
    assert.deepEqual(row.activeContent, ["embedded_file"]);

    const casePage = await (await agent.get(`/staff/cases/${vettingCase.id}`)).text();
    assert.match(
      casePage,
      /This PDF contains embedded files. It is not previewed here; open it only in a viewer with JavaScript and attachments turned off, or print it to a new PDF first./,
    );
    assert.doesNotMatch(casePage, new RegExp(`/evidence/${row.id}/preview`), "no preview frame");
    const preview = await agent.get(`/staff/cases/${vettingCase.id}/evidence/${row.id}/preview`);
    assert.equal(preview.status, 404);
    const download = await agent.get(`/staff/cases/${vettingCase.id}/evidence/${row.id}`);
    assert.equal(download.status, 200, "downloading it stays possible");
  });
});
