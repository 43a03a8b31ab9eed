// The applicant's evidence over HTTP, against real Postgres and a real uploads folder: uploading while the
// case waits for them (and only then), the plain form's and the upload script's answers, the case's
// limits, downloading their own files (never another case's, never a staff upload), deleting with a
// confirmation, the CSRF token, and the summary in the workspace.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { stat } from "node:fs/promises";
import { after, before, beforeEach, describe, test } from "node:test";
import { applicantCookieName, startApplicantSession } from "../../applicantSessions.js";
import type { CaseState } from "../../domain/caseStates.js";
import { startTestApp, type TestApp } from "../../test/app.js";
import { TestBrowser } from "../../test/browser.js";
import {
  clearUploads,
  postEvidence,
  seedEvidenceFile,
  sha256Of,
  testStore,
  type UploadedFile,
  uploadsOnDisk,
} from "../../test/evidenceFiles.js";
import {
  gifImage,
  jpegImage,
  pdfDocument,
  pngImage,
  svgImage,
  webpImage,
} from "../../test/evidenceFixtures.js";
import { truncateTables } from "../../test/reset.js";
import { createStaffMember } from "../../test/staff.js";

let testApp: TestApp;
before(async () => {
  testApp = await startTestApp({
    env: { NEW_CASE_NOTIFICATIONS: "off", EVIDENCE_MAX_FILES_PER_CASE: "4", EVIDENCE_MAX_CASE_MB: "1" },
  });
});
after(() => testApp.close());
beforeEach(async () => {
  await truncateTables(testApp.db, [
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
  ]);
  await clearUploads(testApp);
});

async function createCase(state: CaseState = "DRAFT", email = "wren@example.org") {
  return testApp.db.vettingCase.create({
    data: {
      state,
      origin: "APPLICANT",
      fullName: "Wren Applicant",
      email,
      statement: "I know Mara from birdwatching.",
      privacyNoticeVersion: "built-in-1",
      privacyConsentAt: new Date(),
      emailConfirmedAt: new Date(),
    },
    select: { id: true, number: true },
  });
}

/** A browser holding an applicant session for the case, as after following an emailed link. */
async function applicantBrowser(caseId: string): Promise<TestBrowser> {
  const { token } = await testApp.db.$transaction((tx) =>
    startApplicantSession(tx, { config: testApp.config, caseId }),
  );
  const browser = new TestBrowser(testApp.baseUrl);
  browser.cookies.set(applicantCookieName(testApp.config), token);
  const page = await browser.get("/application/evidence");
  assert.equal(page.response.status, 200);
  return browser;
}

async function applicantWithCase(state: CaseState = "DRAFT", email?: string) {
  const vettingCase = await createCase(state, email);
  return { ...vettingCase, browser: await applicantBrowser(vettingCase.id) };
}

const upload = (
  browser: TestBrowser,
  files: UploadedFile[],
  options: { note?: string; json?: boolean; csrfToken?: string | null } = {},
) =>
  postEvidence(`${testApp.baseUrl}/application/evidence`, {
    cookie: browser.cookieHeader(),
    csrfToken: options.csrfToken === null ? undefined : (options.csrfToken ?? browser.csrfToken),
    files,
    ...(options.note !== undefined ? { note: options.note } : {}),
    ...(options.json ? { json: true } : {}),
  });

const pdfFile = (name = "passport.pdf"): UploadedFile => ({
  name,
  type: "application/pdf",
  bytes: pdfDocument("Passport"),
});

const evidenceAudit = async (caseId: string) =>
  (
    await testApp.db.auditEvent.findMany({
      where: { subjectType: "vetting_case", subjectId: caseId },
      orderBy: { id: "asc" },
      select: {
        action: true,
        actorId: true,
        actorLabel: true,
        ipAddress: true,
        userAgent: true,
        details: true,
      },
    })
  ).filter((row) => row.action.startsWith("evidence."));

const get = (browser: TestBrowser, path: string) =>
  fetch(`${testApp.baseUrl}${path}`, { redirect: "manual", headers: { cookie: browser.cookieHeader() } });

async function expectNothingKept(): Promise<void> {
  assert.equal(await testApp.db.evidenceFile.count(), 0);
  assert.equal(await testApp.db.uploadLease.count(), 0);
  assert.deepEqual(await uploadsOnDisk(testApp), { stored: [], incoming: [] });
}

describe("what the pages say the vetting team sees", () => {
  test("a draft's pages say the team does not review it yet; a submitted case's say the team can see it", async () => {
    const draft = await applicantWithCase("DRAFT", "draft@example.org");
    const draftEvidence = await draft.browser.get("/application/evidence?done=added");
    const draftWorkspace = await draft.browser.get("/application");
    for (const html of [draftEvidence.html, draftWorkspace.html]) {
      assert.match(html, /the vetting team does not review it, or the files you add, until you submit it/);
      assert.doesNotMatch(html, /vetting team can see/);
      assert.doesNotMatch(html, /cannot see/);
    }
    assert.match(draftEvidence.html, /The vetting team will look at them once you submit your application\./);

    const submitted = await applicantWithCase("SUBMITTED", "submitted@example.org");
    const submittedEvidence = await submitted.browser.get("/application/evidence?done=added");
    assert.match(
      submittedEvidence.html,
      /Only you and the vetting team can see your application and the files you add\./,
    );
    assert.match(submittedEvidence.html, /Your files were added\. The vetting team can see them\./);
    assert.doesNotMatch(submittedEvidence.html, /does not review/);
  });
});

describe("uploading", () => {
  test("a draft takes every accepted type: rows, files on disk (0640) with matching hashes, audit without names", async () => {
    const { id, browser } = await applicantWithCase("DRAFT");
    const files: UploadedFile[] = [
      pdfFile("Паспорт.pdf"),
      { name: "photo.png", type: "image/png", bytes: pngImage(2, 2) },
      { name: "letter.jpg", type: "image/jpeg", bytes: jpegImage() },
      { name: "tiny.gif", type: "image/gif", bytes: gifImage() },
    ];
    const response = await upload(browser, files, { note: "My ID and a photo." });
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), "/application/evidence?done=added");

    const rows = await testApp.db.evidenceFile.findMany({ orderBy: { displayName: "asc" } });
    assert.deepEqual(
      rows.map((row) => [
        row.displayName,
        row.mediaType,
        row.sizeBytes,
        row.uploaderKind,
        row.uploadedById,
        row.note,
      ]),
      [
        ["letter.jpg", "image/jpeg", files[2]?.bytes.length, "APPLICANT", null, "My ID and a photo."],
        ["photo.png", "image/png", files[1]?.bytes.length, "APPLICANT", null, "My ID and a photo."],
        ["tiny.gif", "image/gif", files[3]?.bytes.length, "APPLICANT", null, "My ID and a photo."],
        ["Паспорт.pdf", "application/pdf", files[0]?.bytes.length, "APPLICANT", null, "My ID and a photo."],
      ],
    );
    const store = testStore(testApp);
    for (const row of rows) {
      const sent = files.find((file) => file.name === row.displayName);
      assert.ok(sent);
      assert.equal(row.caseId, id);
      assert.equal(row.sha256, sha256Of(sent.bytes));
      const onDisk = await stat(store.pathOf(row.storageKey));
      assert.equal(onDisk.mode & 0o777, 0o640);
      assert.equal((await store.digest(row))?.sha256, row.sha256);
    }
    assert.equal((await uploadsOnDisk(testApp)).incoming.length, 0);

    const audit = await evidenceAudit(id);
    assert.equal(audit.length, 4);
    for (const row of audit) {
      const file = rows.find(
        (candidate) => candidate.id === (row.details as { evidenceFileId: string }).evidenceFileId,
      );
      assert.ok(file);
      assert.deepEqual(row, {
        action: "evidence.uploaded",
        actorId: null,
        actorLabel: "applicant",
        ipAddress: null,
        userAgent: null,
        details: { evidenceFileId: file.id, mediaType: file.mediaType, sizeBytes: file.sizeBytes },
      });
    }

    const page = await browser.get("/application/evidence?done=added");
    assert.match(
      page.html,
      /Your files were added\. The vetting team will look at them once you submit your application\./,
    );
    assert.match(page.html, /Паспорт\.pdf/);
    assert.match(page.html, /<dt>Uploaded by<\/dt><dd>You<\/dd>/);
    assert.match(page.html, /4 of 4 files/);
  });

  test("more information requested: the applicant adds files again; the script gets 201 JSON", async () => {
    const { browser } = await applicantWithCase("MORE_INFORMATION_REQUESTED");
    const bytes = webpImage();
    const response = await upload(browser, [{ name: "new photo.webp", type: "image/webp", bytes }], {
      json: true,
    });
    assert.equal(response.status, 201);
    const row = await testApp.db.evidenceFile.findFirstOrThrow();
    assert.deepEqual(await response.json(), {
      files: [
        { id: row.id, displayName: "new photo.webp", mediaType: "image/webp", sizeBytes: bytes.length },
      ],
      redirect: "/application/evidence?done=added",
    });
  });

  for (const state of ["SUBMITTED", "IN_REVIEW", "APPROVED", "WITHDRAWN"] as const) {
    test(`a case ${state.toLowerCase()} takes no files (409, page and JSON) and nothing is kept`, async () => {
      const { browser } = await applicantWithCase(state);
      const page = await upload(browser, [pdfFile()]);
      assert.equal(page.status, 409);
      assert.equal(page.headers.get("connection"), "close");
      const html = await page.text();
      assert.match(html, /Files can be added only while your application is a draft/);
      assert.doesNotMatch(html, /<form class="form evidence-upload"/);

      const json = await upload(browser, [pdfFile()], { json: true });
      assert.equal(json.status, 409);
      const answer = (await json.json()) as { error: Record<string, unknown> };
      assert.deepEqual(Object.keys(answer.error).sort(), ["files", "id", "message", "requestId", "status"]);
      assert.equal(answer.error.status, 409);
      assert.equal(answer.error.id, "conflict");
      assert.deepEqual(answer.error.files, []);
      await expectNothingKept();
    });
  }

  test("a refused file comes back on the page with its name and what to do (and in JSON, with files); nothing kept", async () => {
    const { browser } = await applicantWithCase();
    const files = [pdfFile("good.pdf"), { name: "drawing.png", type: "image/png", bytes: svgImage() }];
    const page = await upload(browser, files);
    assert.ok([400, 415].includes(page.status), `status ${page.status}`);
    const html = await page.text();
    assert.match(html, /id="evidence-error-title">Nothing was uploaded</);
    assert.match(html, /<span class="evidence-upload__file-name">drawing\.png<\/span>: /);

    const json = await upload(browser, files, { json: true });
    assert.equal(json.status, page.status);
    const answer = (await json.json()) as { error: { files: { fileName: string; message: string }[] } };
    assert.deepEqual(
      answer.error.files.map((problem) => problem.fileName),
      ["drawing.png"],
    );
    assert.ok(answer.error.files[0]?.message);
    await expectNothingKept();
  });

  test("a refusal is said in the page's language: in French, for a browser that chose French", async () => {
    const { browser } = await applicantWithCase();
    browser.cookies.set("language", "fr");
    await browser.get("/application/evidence");
    const files = [
      { name: "drawing.png", type: "image/png", bytes: svgImage() },
      { name: "report.gif", type: "image/gif", bytes: pdfDocument("Report") },
    ];
    const page = await upload(browser, files);
    assert.ok([400, 415].includes(page.status), `status ${page.status}`);
    const html = await page.text();
    assert.match(html, /<html lang="fr"/);
    assert.match(html, /id="evidence-error-title">Rien n’a été téléversé</);
    assert.ok(
      html.includes(
        '<span class="evidence-upload__file-name">drawing.png</span>: Le contenu du fichier n’est pas un fichier PDF, PNG, JPEG, GIF ou WebP.</a>',
      ),
      "the type refusal, with the list joined in French",
    );
    assert.ok(
      html.includes(
        '<span class="evidence-upload__file-name">report.gif</span>: Le nom se termine par .gif, mais le contenu est un document PDF.</a>',
      ),
      "the extension refusal, with its particulars",
    );
    assert.match(html, /Choisissez à nouveau les fichiers, sans ceux indiqués ci-dessus\./);
    await expectNothingKept();
  });

  test("a note over 1000 characters is refused (400), shown again to shorten, and nothing is kept", async () => {
    const { browser } = await applicantWithCase();
    const note = `${"n".repeat(1000)}!`;
    const response = await upload(browser, [pdfFile()], { note });
    assert.equal(response.status, 400);
    const html = await response.text();
    assert.match(html, /Note: use at most 1,000 characters\. Nothing was kept\./);
    assert.ok(html.includes(`>${note}</textarea>`));
    await expectNothingKept();
  });

  test("the case's limits count every file of the case: 413 when it is full, with nothing kept", async () => {
    const { id, browser } = await applicantWithCase();
    const agent = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
    // Three files already: two of the applicant's, one that staff added (which the applicant does not see).
    await seedEvidenceFile(testApp, {
      caseId: id,
      bytes: pngImage(),
      displayName: "a.png",
      mediaType: "image/png",
    });
    await seedEvidenceFile(testApp, {
      caseId: id,
      bytes: pngImage(2),
      displayName: "b.png",
      mediaType: "image/png",
    });
    await seedEvidenceFile(testApp, {
      caseId: id,
      bytes: pdfDocument("Referee"),
      displayName: "referee.pdf",
      mediaType: "application/pdf",
      uploaderKind: "STAFF",
      uploadedById: agent.id,
    });
    const twoMore = await upload(browser, [pdfFile("one.pdf"), pdfFile("two.pdf")]);
    assert.equal(twoMore.status, 413);
    assert.equal(await testApp.db.evidenceFile.count(), 3);

    assert.equal((await upload(browser, [pdfFile("last.pdf")])).status, 303);
    const full = await upload(browser, [pdfFile("one too many.pdf")], { json: true });
    assert.equal(full.status, 413);
    assert.equal(full.headers.get("connection"), "close");
    const answer = (await full.json()) as { error: { id: string; message: string } };
    assert.equal(answer.error.id, "payload_too_large");
    assert.match(
      answer.error.message,
      /^This case already holds all the evidence it can take \(4 of 4 files, /,
    );
    assert.equal(await testApp.db.evidenceFile.count(), 4);
    assert.equal((await uploadsOnDisk(testApp)).stored.length, 4);
    assert.deepEqual((await uploadsOnDisk(testApp)).incoming, []);
  });

  test("one byte over the case's total is refused (413) with nothing kept", async () => {
    const { id, browser } = await applicantWithCase();
    const limit = testApp.config.evidence.maxCaseBytes;
    const sent = pdfFile();
    // What the case already holds leaves room for exactly one byte less than the file.
    await seedEvidenceFile(testApp, {
      caseId: id,
      bytes: Buffer.concat([pngImage(), Buffer.alloc(limit - pngImage().length - sent.bytes.length + 1)]),
      displayName: "big.png",
      mediaType: "image/png",
    });
    const response = await upload(browser, [sent]);
    assert.equal(response.status, 413);
    assert.equal(await testApp.db.evidenceFile.count(), 1);
    assert.equal((await uploadsOnDisk(testApp)).stored.length, 1);
    assert.deepEqual((await uploadsOnDisk(testApp)).incoming, []);
  });

  test("without the CSRF token, or with another session's: 403 and nothing kept", async () => {
    const { browser } = await applicantWithCase();
    const other = await applicantWithCase("DRAFT", "otto@example.org");
    for (const csrfToken of [null, other.browser.csrfToken]) {
      const response = await upload(browser, [pdfFile()], { csrfToken });
      assert.equal(response.status, 403);
    }
    await expectNothingKept();
  });

  test("without a session: the sign-in page, and nothing kept", async () => {
    const response = await postEvidence(`${testApp.baseUrl}/application/evidence`, {
      cookie: "",
      files: [pdfFile()],
    });
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), "/apply/sign-in?expired=1");
    await expectNothingKept();
  });
});

describe("seeing and downloading", () => {
  test("the applicant sees and downloads only the files they added; staff uploads and other cases are 404", async () => {
    const wren = await applicantWithCase();
    const otto = await applicantWithCase("DRAFT", "otto@example.org");
    const agent = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
    const own = await seedEvidenceFile(testApp, {
      caseId: wren.id,
      bytes: pdfDocument("Wren"),
      displayName: "Пасп́орт ✓.pdf",
      mediaType: "application/pdf",
    });
    const staffUpload = await seedEvidenceFile(testApp, {
      caseId: wren.id,
      bytes: pdfDocument("Confidential"),
      displayName: "referee letter.pdf",
      mediaType: "application/pdf",
      uploaderKind: "STAFF",
      uploadedById: agent.id,
    });
    const ottos = await seedEvidenceFile(testApp, {
      caseId: otto.id,
      bytes: pngImage(),
      displayName: "otto.png",
      mediaType: "image/png",
    });

    const page = await wren.browser.get("/application/evidence");
    assert.match(page.html, /Пасп́орт ✓\.pdf/);
    assert.doesNotMatch(page.html, /referee letter|otto\.png/);
    assert.match(page.html, new RegExp(`href="/application/evidence/${own.id}">Download`));
    assert.match(page.html, new RegExp(`href="/application/evidence/${own.id}/delete">Delete`));
    assert.doesNotMatch(page.html, /evidence-preview/);

    const download = await get(wren.browser, `/application/evidence/${own.id}`);
    assert.equal(download.status, 200);
    assert.equal(
      download.headers.get("content-disposition"),
      `attachment; filename="???????? ?.pdf"; filename*=UTF-8''%D0%9F%D0%B0%D1%81%D0%BF%CC%81%D0%BE%D1%80%D1%82%20%E2%9C%93.pdf`,
    );
    assert.equal(download.headers.get("content-type"), "application/pdf");
    assert.equal(download.headers.get("x-content-type-options"), "nosniff");
    assert.equal(download.headers.get("content-security-policy"), "default-src 'none'; sandbox");
    assert.equal(download.headers.get("cross-origin-resource-policy"), "same-origin");
    assert.equal(download.headers.get("cache-control"), "private, no-store");
    assert.deepEqual(Buffer.from(await download.arrayBuffer()), own.bytes);

    for (const path of [
      `/application/evidence/${staffUpload.id}`,
      `/application/evidence/${staffUpload.id}/delete`,
      `/application/evidence/${ottos.id}`,
      `/application/evidence/${ottos.id}/delete`,
      "/application/evidence/not-a-file",
    ]) {
      const response = await get(wren.browser, path);
      assert.equal(response.status, 404, path);
      const body = Buffer.from(await response.arrayBuffer());
      assert.ok(!body.includes(staffUpload.bytes) && !body.includes(ottos.bytes), path);
    }
    assert.equal(
      (await wren.browser.post(`/application/evidence/${staffUpload.id}/delete`, {})).response.status,
      404,
    );
    assert.equal(await testApp.db.evidenceFile.count(), 3);

    const anonymous = await fetch(`${testApp.baseUrl}/application/evidence/${own.id}`, {
      redirect: "manual",
    });
    assert.equal(anonymous.status, 303);
    assert.equal(anonymous.headers.get("location"), "/apply/sign-in?expired=1");
    assert.ok(!Buffer.from(await anonymous.arrayBuffer()).includes(own.bytes));

    // The one download is audited, as the applicant (no address, no browser), without the name.
    assert.deepEqual(await evidenceAudit(wren.id), [
      {
        action: "evidence.downloaded",
        actorId: null,
        actorLabel: "applicant",
        ipAddress: null,
        userAgent: null,
        details: { evidenceFileId: own.id, mediaType: "application/pdf", sizeBytes: own.bytes.length },
      },
    ]);
  });

  test("a download started by another site's link is refused (403) and writes nothing; our own link works", async () => {
    const wren = await applicantWithCase();
    const own = await seedEvidenceFile(testApp, {
      caseId: wren.id,
      bytes: pdfDocument("Wren"),
      displayName: "letter.pdf",
      mediaType: "application/pdf",
    });
    const download = (headers: Record<string, string>) =>
      fetch(`${testApp.baseUrl}/application/evidence/${own.id}`, {
        redirect: "manual",
        headers: { cookie: wren.browser.cookieHeader(), ...headers },
      });
    const otherSites: Record<string, string>[] = [
      { "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate" },
      { "sec-fetch-site": "same-site", "sec-fetch-mode": "navigate" },
      { referer: "https://elsewhere.example/" },
    ];
    for (const headers of otherSites) {
      const refused = await download(headers);
      assert.equal(refused.status, 403, JSON.stringify(headers));
      assert.ok(!Buffer.from(await refused.arrayBuffer()).includes(own.bytes));
    }
    assert.deepEqual(await evidenceAudit(wren.id), []);

    const fromOwnPage = await download({ "sec-fetch-site": "same-origin", "sec-fetch-mode": "navigate" });
    assert.equal(fromOwnPage.status, 200);
    assert.deepEqual(Buffer.from(await fromOwnPage.arrayBuffer()), own.bytes);
    assert.deepEqual(
      (await evidenceAudit(wren.id)).map((row) => row.action),
      ["evidence.downloaded"],
    );
  });

  test("the workspace shows how many files there are and links to them", async () => {
    const { id, browser } = await applicantWithCase();
    let workspace = await browser.get("/application");
    assert.match(workspace.html, /You have not added any files\./);
    assert.match(workspace.html, /<a href="\/application\/evidence">Add or manage your evidence<\/a>/);
    await seedEvidenceFile(testApp, {
      caseId: id,
      bytes: pngImage(),
      displayName: "a.png",
      mediaType: "image/png",
    });
    workspace = await browser.get("/application");
    assert.match(workspace.html, /You have added 1 file\./);
    await testApp.db.vettingCase.update({ where: { id }, data: { state: "SUBMITTED" } });
    workspace = await browser.get("/application");
    assert.match(workspace.html, /<a href="\/application\/evidence">See your evidence<\/a>/);
  });
});

describe("deleting", () => {
  test("asks first, then deletes the row and the file together, audited", async () => {
    const { id, browser } = await applicantWithCase("MORE_INFORMATION_REQUESTED");
    const file = await seedEvidenceFile(testApp, {
      caseId: id,
      bytes: pngImage(),
      displayName: "old photo.png",
      mediaType: "image/png",
    });
    const confirmation = await browser.get(`/application/evidence/${file.id}/delete`);
    assert.equal(confirmation.response.status, 200);
    assert.match(confirmation.html, /<h1>Delete this file\?<\/h1>/);
    assert.match(confirmation.html, /old photo\.png/);
    assert.equal(await testApp.db.evidenceFile.count(), 1);

    const deleted = await browser.post(`/application/evidence/${file.id}/delete`, {});
    assert.equal(deleted.response.status, 303);
    assert.equal(deleted.response.headers.get("location"), "/application/evidence?done=deleted");
    assert.equal(await testApp.db.evidenceFile.count(), 0);
    assert.deepEqual(await uploadsOnDisk(testApp), { stored: [], incoming: [] });
    assert.deepEqual(
      (await evidenceAudit(id)).map((row) => [row.action, row.actorLabel, row.details]),
      [
        [
          "evidence.deleted",
          "applicant",
          { evidenceFileId: file.id, mediaType: "image/png", sizeBytes: file.bytes.length },
        ],
      ],
    );
    assert.match((await browser.get("/application/evidence?done=deleted")).html, /The file was deleted\./);
  });

  test("once submitted, files can no longer be deleted (409) and stay", async () => {
    const { id, browser } = await applicantWithCase("SUBMITTED");
    const file = await seedEvidenceFile(testApp, {
      caseId: id,
      bytes: pngImage(),
      displayName: "photo.png",
      mediaType: "image/png",
    });
    const page = await browser.get("/application/evidence");
    assert.doesNotMatch(page.html, /\/delete"/);
    assert.doesNotMatch(page.html, /<form class="form evidence-upload"/);
    for (const response of [
      (await browser.get(`/application/evidence/${file.id}/delete`)).response,
      (await browser.post(`/application/evidence/${file.id}/delete`, {})).response,
    ]) {
      assert.equal(response.status, 409);
    }
    assert.equal(await testApp.db.evidenceFile.count(), 1);
    assert.equal((await uploadsOnDisk(testApp)).stored.length, 1);
    assert.deepEqual(await evidenceAudit(id), []);
  });
});

describe("limits on uploading", () => {
  let limitedApp: TestApp;
  before(async () => {
    limitedApp = await startTestApp({
      env: { EVIDENCE_UPLOADS_PER_HOUR: "2", EVIDENCE_UPLOADS_IN_FLIGHT: "3" },
    });
  });
  after(() => limitedApp.close());

  async function limitedBrowser(caseId: string) {
    const { token, sessionId } = await limitedApp.db.$transaction((tx) =>
      startApplicantSession(tx, { config: limitedApp.config, caseId }),
    );
    const browser = new TestBrowser(limitedApp.baseUrl);
    browser.cookies.set(applicantCookieName(limitedApp.config), token);
    await browser.get("/application/evidence");
    return { browser, sessionId };
  }

  const limitedUpload = (browser: TestBrowser) =>
    postEvidence(`${limitedApp.baseUrl}/application/evidence`, {
      cookie: browser.cookieHeader(),
      csrfToken: browser.csrfToken,
      files: [pdfFile()],
    });

  test("uploads per hour are counted per case: a new session does not start the count again (429)", async () => {
    const vettingCase = await limitedApp.db.vettingCase.create({
      data: { origin: "APPLICANT", fullName: "Wren", email: "wren@example.org", statement: "" },
    });
    const first = await limitedBrowser(vettingCase.id);
    assert.equal((await limitedUpload(first.browser)).status, 303);
    assert.equal((await limitedUpload(first.browser)).status, 303);
    const second = await limitedBrowser(vettingCase.id);
    const refused = await limitedUpload(second.browser);
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get("retry-after")) > 0);
    assert.equal(refused.headers.get("connection"), "close");
    assert.equal(await limitedApp.db.evidenceFile.count({ where: { caseId: vettingCase.id } }), 2);
  });

  test("at most three uploads in flight per session: a fourth is refused (429) and keeps nothing", async () => {
    const vettingCase = await limitedApp.db.vettingCase.create({
      data: { origin: "APPLICANT", fullName: "Otto", email: "otto@example.org", statement: "" },
    });
    const { browser, sessionId } = await limitedBrowser(vettingCase.id);
    // Three uploads of this session are still being received.
    for (let index = 0; index < 3; index += 1) {
      await limitedApp.db.uploadLease.create({
        data: {
          id: randomUUID(),
          caseId: vettingCase.id,
          holder: `applicant:${sessionId}`,
          expiresAt: new Date(Date.now() + 60_000),
        },
      });
    }
    const refused = await limitedUpload(browser);
    assert.equal(refused.status, 429);
    assert.match(await refused.text(), /You already have 3 uploads in progress\. Wait for one to finish\./);
    assert.equal(await limitedApp.db.evidenceFile.count({ where: { caseId: vettingCase.id } }), 0);
    assert.equal(await limitedApp.db.uploadLease.count({ where: { caseId: vettingCase.id } }), 3);
  });
});
