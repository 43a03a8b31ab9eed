// A case's evidence for staff, over HTTP against real Postgres and a real uploads folder: the list on the
// case page, uploads (the rows, the files on disk and their modes, the refusals that keep nothing),
// downloads and previews with their headers and audit rows, the integrity check, nginx's
// X-Accel-Redirect mode, who may see and delete what, and what erasure and export do with evidence.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { promisify } from "node:util";
import { applicantCookieName, startApplicantSession } from "../../applicantSessions.js";
import type { TCaseExport } from "../../commands/cases/exportCase.js";
import { formatCaseNumber } from "../../domain/caseNumber.js";
import type { Prisma } from "../../generated/prisma/client.js";
import { startTestApp, type TestApp } from "../../test/app.js";
import {
  clearUploads,
  postEvidence,
  type SeededEvidenceFile,
  seedEvidenceFile,
  sha256Of,
  testStore,
  uploadsOnDisk,
} from "../../test/evidenceFiles.js";
import { htmlPage, pdfDocument, pngImage } from "../../test/evidenceFixtures.js";
import { truncateTables } from "../../test/reset.js";
import { type SignedInStaffBrowser, signedInStaffBrowser } from "../../test/staff.js";

let testApp: TestApp;
before(async () => {
  testApp = await startTestApp({ env: { NEW_CASE_NOTIFICATIONS: "off", EVIDENCE_MAX_FILES_PER_CASE: "3" } });
});
after(() => testApp.close());
beforeEach(async () => {
  await truncateTables(testApp.db, [
    "evidence_files",
    "upload_leases",
    "vetting_cases",
    "vetting_records",
    "case_comments",
    "case_decisions",
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

const UNICODE_NAME = "Пасп́орт ✓.pdf";
const UNICODE_DISPOSITION = `filename="???????? ?.pdf"; filename*=UTF-8''%D0%9F%D0%B0%D1%81%D0%BF%CC%81%D0%BE%D1%80%D1%82%20%E2%9C%93.pdf`;
const execFileAsync = promisify(execFile);
const ELSEWHERE = "8d3b1c2e-0000-4000-8000-000000000000";

async function createCase(data: Partial<Prisma.VettingCaseUncheckedCreateInput> = {}) {
  return testApp.db.vettingCase.create({
    data: {
      origin: "APPLICANT",
      fullName: "Ada Applicant",
      email: "ada@example.org",
      statement: "I organise the local meetup.",
      state: "IN_REVIEW",
      submittedAt: new Date("2026-11-01T10:00:00Z"),
      lastSubmittedAt: new Date("2026-11-01T10:00:00Z"),
      ...data,
    },
  });
}

const seedPdf = (caseId: string, options: Partial<Parameters<typeof seedEvidenceFile>[1]> = {}) =>
  seedEvidenceFile(testApp, {
    caseId,
    bytes: pdfDocument("Passport"),
    displayName: UNICODE_NAME,
    mediaType: "application/pdf",
    note: "Scanned at the meetup.",
    ...options,
  });

const seedPng = (caseId: string, options: Partial<Parameters<typeof seedEvidenceFile>[1]> = {}) =>
  seedEvidenceFile(testApp, {
    caseId,
    bytes: pngImage(3, 2),
    displayName: "referee-letter.png",
    mediaType: "image/png",
    ...options,
  });

const evidenceAudit = async (caseId: string) =>
  (
    await testApp.db.auditEvent.findMany({
      where: { subjectType: "vetting_case", subjectId: caseId, action: { startsWith: "evidence." } },
      orderBy: { id: "asc" },
      select: { action: true, actorId: true, actorLabel: true, details: true },
    })
  ).map((row) => ({ ...row }));

const body = async (response: Response) => Buffer.from(await response.arrayBuffer());

const staffBrowser = (role: Parameters<typeof signedInStaffBrowser>[1] = "VETTING_AGENT", name?: string) =>
  signedInStaffBrowser(testApp, role, name);

const upload = (
  browser: SignedInStaffBrowser,
  caseId: string,
  options: Omit<Parameters<typeof postEvidence>[1], "cookie">,
) =>
  postEvidence(`${testApp.baseUrl}/staff/cases/${caseId}/evidence`, {
    cookie: browser.cookie,
    ...options,
  });

describe("the case page's evidence", () => {
  test("lists each file with type, size, SHA-256, uploader, time, note, links, a closed preview, and the counts", async () => {
    const vettingCase = await createCase();
    const agent = await staffBrowser("VETTING_AGENT", "Vera Agent");
    const pdf = await seedPdf(vettingCase.id, { createdAt: new Date("2026-11-03T09:15:00Z") });
    const png = await seedPng(vettingCase.id, {
      uploaderKind: "STAFF",
      uploadedById: agent.id,
      createdAt: new Date("2026-11-04T16:40:00Z"),
    });
    const response = await agent.get(`/staff/cases/${vettingCase.id}`);
    assert.equal(response.status, 200);
    const html = await response.text();
    assert.match(html, /<h2 id="evidence-heading">Evidence<\/h2>/);
    assert.match(html, /2 of 3 files, [0-9,]+ bytes of 100 MB/);
    assert.match(html, new RegExp(`<a href="/staff/cases/${vettingCase.id}/evidence">Add evidence</a>`));

    const pdfItem = itemOf(html, pdf.id);
    assert.match(pdfItem, /<h3 class="evidence-file__name">Пасп́орт ✓\.pdf<\/h3>/);
    assert.match(pdfItem, /<dt>Type<\/dt><dd>PDF<\/dd>/);
    assert.match(pdfItem, new RegExp(`\\(${pdf.bytes.length} bytes\\)`));
    assert.match(pdfItem, new RegExp(`<code class="evidence-hash">${pdf.sha256}</code>`));
    assert.match(pdfItem, /<dt>Uploaded by<\/dt><dd>The applicant<\/dd>/);
    assert.match(pdfItem, /<time datetime="2026-11-03T09:15:00.000Z">3 November 2026 at 09:15 UTC<\/time>/);
    assert.match(pdfItem, /Scanned at the meetup\./);
    assert.match(pdfItem, new RegExp(`href="/staff/cases/${vettingCase.id}/evidence/${pdf.id}">Download`));
    // An agent deletes only their own uploads.
    assert.doesNotMatch(pdfItem, /\/delete"/);
    assert.match(
      pdfItem,
      new RegExp(
        `<details class="evidence-preview">\\s*<summary><span aria-hidden="true">Preview</span><span class="visually-hidden">Preview of Пасп́орт ✓\\.pdf</span></summary>\\s*<img loading="lazy" src="/staff/cases/${vettingCase.id}/evidence/${pdf.id}/pages/1" alt="First page of Пасп́орт ✓\\.pdf">`,
      ),
    );

    const pngItem = itemOf(html, png.id);
    assert.match(pngItem, /<dt>Type<\/dt><dd>PNG<\/dd>/);
    assert.match(pngItem, /<dt>Uploaded by<\/dt><dd>Vera Agent<\/dd>/);
    assert.match(
      pngItem,
      new RegExp(`href="/staff/cases/${vettingCase.id}/evidence/${png.id}/delete">Delete`),
    );
    assert.match(
      pngItem,
      new RegExp(
        `<img loading="lazy" src="/staff/cases/${vettingCase.id}/evidence/${png.id}/preview" alt="Preview of referee-letter\\.png">`,
      ),
    );
    // Showing the page sends no file: nothing is audited until a preview is opened.
    assert.deepEqual(await evidenceAudit(vettingCase.id), []);
  });

  test("a decided case offers no upload and no deletion; an empty case says so", async () => {
    const decided = await createCase({ state: "APPROVED", decidedAt: new Date() });
    const admin = await staffBrowser("SUPERADMIN");
    const file = await seedPng(decided.id, { uploaderKind: "STAFF", uploadedById: admin.id });
    const html = await (await admin.get(`/staff/cases/${decided.id}`)).text();
    assert.doesNotMatch(html, /Add evidence/);
    assert.doesNotMatch(itemOf(html, file.id), /\/delete"/);

    const empty = await createCase();
    const emptyHtml = await (await admin.get(`/staff/cases/${empty.id}`)).text();
    assert.match(emptyHtml, /No evidence files yet\./);
    assert.match(emptyHtml, /0 of 3 files, 0 bytes of 100 MB/);
  });

  test("the timeline says when files were added and deleted, not when they were looked at", async () => {
    const vettingCase = await createCase();
    const admin = await staffBrowser("INVITING_ADMIN", "Ines Admin");
    const file = await seedPng(vettingCase.id);
    await testApp.db.auditEvent.create({
      data: {
        actorLabel: "applicant",
        action: "evidence.uploaded",
        subjectType: "vetting_case",
        subjectId: vettingCase.id,
        details: { evidenceFileId: file.id, mediaType: "image/png", sizeBytes: file.bytes.length },
      },
    });
    assert.equal((await admin.get(`/staff/cases/${vettingCase.id}/evidence/${file.id}`)).status, 200);
    assert.equal((await admin.post(`/staff/cases/${vettingCase.id}/evidence/${file.id}/delete`)).status, 303);
    const html = await (await admin.get(`/staff/cases/${vettingCase.id}`)).text();
    const timeline = html.slice(html.indexOf('id="timeline-heading"'));
    assert.match(timeline, /<strong>The applicant<\/strong>: Added an evidence file/);
    assert.match(timeline, /<strong>Ines Admin<\/strong>: Deleted an evidence file/);
    assert.doesNotMatch(timeline, /evidence\.downloaded|evidence\.viewed/);
  });
});

/** The <li> of one file in the evidence list. */
function itemOf(html: string, fileId: string): string {
  const start = html.indexOf(`<li class="evidence-file" id="evidence-${fileId}">`);
  assert.ok(start >= 0, `the list shows file ${fileId}`);
  return html.slice(start, html.indexOf("</li>", start));
}

describe("downloading and previewing", () => {
  test("a download is an attachment named per RFC 6266 with the sniffed type and locked-down headers; audited without the name", async () => {
    const vettingCase = await createCase();
    const agent = await staffBrowser();
    const file = await seedPdf(vettingCase.id);
    const response = await agent.get(`/staff/cases/${vettingCase.id}/evidence/${file.id}`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-disposition"), `attachment; ${UNICODE_DISPOSITION}`);
    assert.equal(response.headers.get("content-type"), "application/pdf");
    assert.equal(response.headers.get("x-content-type-options"), "nosniff");
    assert.equal(response.headers.get("content-security-policy"), "default-src 'none'; sandbox");
    assert.equal(response.headers.get("cross-origin-resource-policy"), "same-origin");
    assert.equal(response.headers.get("cache-control"), "private, no-store");
    assert.equal(response.headers.get("x-frame-options"), "DENY");
    assert.equal(response.headers.get("content-length"), String(file.bytes.length));
    assert.equal(response.headers.get("x-accel-redirect"), null);
    assert.deepEqual(await body(response), file.bytes);

    assert.deepEqual(await evidenceAudit(vettingCase.id), [
      {
        action: "evidence.downloaded",
        actorId: agent.id,
        actorLabel: (await testApp.db.staffUser.findUniqueOrThrow({ where: { id: agent.id } })).email,
        details: { evidenceFileId: file.id, mediaType: "application/pdf", sizeBytes: file.bytes.length },
      },
    ]);
  });

  test("a HEAD answers the headers without the bytes, and is not audited as a download", async () => {
    const vettingCase = await createCase();
    const agent = await staffBrowser();
    const file = await seedPdf(vettingCase.id);
    const response = await fetch(`${testApp.baseUrl}/staff/cases/${vettingCase.id}/evidence/${file.id}`, {
      method: "HEAD",
      headers: { cookie: agent.cookie },
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "application/pdf");
    assert.equal(response.headers.get("content-length"), String(file.bytes.length));
    assert.equal((await body(response)).length, 0);
    assert.deepEqual(await evidenceAudit(vettingCase.id), []);
  });

  test("the type sent is the sniffed one, whatever the name says; quotes in a name are escaped", async () => {
    const vettingCase = await createCase();
    const agent = await staffBrowser();
    const file = await seedPng(vettingCase.id, { displayName: 'the "real" scan.pdf' });
    const response = await agent.get(`/staff/cases/${vettingCase.id}/evidence/${file.id}`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "image/png");
    assert.equal(
      response.headers.get("content-disposition"),
      'attachment; filename="the \\"real\\" scan.pdf"',
    );
    assert.deepEqual(await body(response), file.bytes);
  });

  test("the preview is the same file inline, frameable by the case page only; audited as a view", async () => {
    const vettingCase = await createCase();
    const admin = await staffBrowser("INVITING_ADMIN");
    const file = await seedPng(vettingCase.id);
    const response = await admin.get(`/staff/cases/${vettingCase.id}/evidence/${file.id}/preview`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-disposition"), 'inline; filename="referee-letter.png"');
    assert.equal(response.headers.get("content-type"), "image/png");
    assert.equal(response.headers.get("x-content-type-options"), "nosniff");
    assert.equal(
      response.headers.get("content-security-policy"),
      "default-src 'none'; sandbox; frame-ancestors 'self'",
    );
    assert.equal(response.headers.get("x-frame-options"), "SAMEORIGIN");
    assert.equal(response.headers.get("cross-origin-resource-policy"), "same-origin");
    assert.equal(response.headers.get("cache-control"), "private, no-store");
    assert.deepEqual(await body(response), file.bytes);
    assert.deepEqual(
      (await evidenceAudit(vettingCase.id)).map((row) => [row.action, row.actorId, row.details]),
      [
        [
          "evidence.viewed",
          admin.id,
          { evidenceFileId: file.id, mediaType: "image/png", sizeBytes: file.bytes.length },
        ],
      ],
    );
  });

  test("who gets a file: every signed-in staff member; the wrong case, junk ids and the signed-out get nothing", async () => {
    const vettingCase = await createCase();
    const otherCase = await createCase({ email: "other@example.org" });
    const file = await seedPdf(vettingCase.id);
    const filePath = `/staff/cases/${vettingCase.id}/evidence/${file.id}`;
    for (const role of ["VETTING_AGENT", "INVITING_ADMIN", "SERVER_ADMIN", "SUPERADMIN"] as const) {
      const browser = await staffBrowser(role);
      const response = await browser.get(filePath);
      assert.equal(response.status, 200, role);
      assert.deepEqual(await body(response), file.bytes, role);
    }

    const agent = await staffBrowser();
    for (const path of [
      `/staff/cases/${otherCase.id}/evidence/${file.id}`,
      `/staff/cases/${otherCase.id}/evidence/${file.id}/preview`,
      `/staff/cases/${otherCase.id}/evidence/${file.id}/delete`,
      `/staff/cases/${ELSEWHERE}/evidence/${file.id}`,
      `/staff/cases/${vettingCase.id}/evidence/${ELSEWHERE}`,
      `/staff/cases/${vettingCase.id}/evidence/not-a-file`,
      `/staff/cases/not-a-case/evidence/${file.id}`,
      `/staff/cases/not-a-case/evidence`,
    ]) {
      const response = await agent.get(path);
      assert.equal(response.status, 404, path);
      assert.ok(!(await body(response)).includes(file.bytes), path);
    }

    const signedOut = await fetch(`${testApp.baseUrl}${filePath}`, { redirect: "manual" });
    assert.equal(signedOut.status, 303);
    assert.equal(signedOut.headers.get("location"), `/staff/sign-in?next=${encodeURIComponent(filePath)}`);
    assert.ok(!(await body(signedOut)).includes(file.bytes));

    // An applicant session opens no staff address, not even for their own case's file.
    const { token } = await testApp.db.$transaction((tx) =>
      startApplicantSession(tx, { config: testApp.config, caseId: vettingCase.id }),
    );
    const asApplicant = await fetch(`${testApp.baseUrl}${filePath}`, {
      redirect: "manual",
      headers: { cookie: `${applicantCookieName(testApp.config)}=${token}` },
    });
    assert.equal(asApplicant.status, 303);
    assert.ok(!(await body(asApplicant)).includes(file.bytes));

    // Only the four successful downloads were audited.
    assert.equal((await evidenceAudit(vettingCase.id)).length, 4);
  });

  test("a file changed on disk is not sent: 500 page, an integrity audit row and an error log line", async () => {
    const vettingCase = await createCase();
    const agent = await staffBrowser();
    const file = await seedPdf(vettingCase.id);
    const tampered = Buffer.from(file.bytes);
    tampered.write("Tampered", tampered.indexOf("Passport"), "latin1");
    await writeFile(testStore(testApp).pathOf(file.storageKey), tampered);

    for (const path of ["", "/preview"]) {
      const response = await agent.get(`/staff/cases/${vettingCase.id}/evidence/${file.id}${path}`);
      assert.equal(response.status, 500);
      assert.match(response.headers.get("content-type") ?? "", /^text\/html/);
      assert.equal(response.headers.get("content-disposition"), null);
      const html = (await body(response)).toString("utf8");
      assert.match(html, /This file failed its integrity check and was not sent; staff have been alerted\./);
      assert.doesNotMatch(html, /Tampered|Passport|%PDF/);
    }
    assert.deepEqual(
      (await evidenceAudit(vettingCase.id)).map((row) => [row.action, row.details]),
      [1, 2].map(() => [
        "evidence.integrity_failed",
        { evidenceFileId: file.id, mediaType: "application/pdf", sizeBytes: file.bytes.length },
      ]),
    );
    const integrityLines = testApp
      .logLines()
      .filter((line) => line.category === "integrity" && line.evidenceFileId === file.id);
    assert.equal(integrityLines.length, 2);
    assert.equal(integrityLines[0]?.level, 50);
    assert.equal(integrityLines[0]?.expectedSha256, file.sha256);
    assert.equal(integrityLines[0]?.foundSha256, sha256Of(tampered));
  });

  test("a file missing from disk is refused the same way", async () => {
    const vettingCase = await createCase();
    const agent = await staffBrowser();
    const file = await seedPng(vettingCase.id);
    await testStore(testApp).remove(file.storageKey);
    const response = await agent.get(`/staff/cases/${vettingCase.id}/evidence/${file.id}`);
    assert.equal(response.status, 500);
    assert.match(await response.text(), /failed its integrity check and was not sent/);
    assert.deepEqual(
      (await evidenceAudit(vettingCase.id)).map((row) => row.action),
      ["evidence.integrity_failed"],
    );
    const line = testApp
      .logLines()
      .find((entry) => entry.category === "integrity" && entry.evidenceFileId === file.id);
    assert.equal(line?.foundSha256, null);
  });

  test("only our own pages' requests are answered: a link or image on another site gets 403 and writes nothing", async () => {
    const vettingCase = await createCase();
    const agent = await staffBrowser();
    const file = await seedPng(vettingCase.id);
    const fetchAs = (path: string, headers: Record<string, string>) =>
      fetch(`${testApp.baseUrl}/staff/cases/${vettingCase.id}/evidence/${file.id}${path}`, {
        headers: { cookie: agent.cookie, ...headers },
        redirect: "manual",
      });
    for (const path of ["", "/preview"]) {
      const otherSites: Record<string, string>[] = [
        { "sec-fetch-site": "cross-site", "sec-fetch-dest": "image" },
        { "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate" },
        { "sec-fetch-site": "same-site", "sec-fetch-dest": "iframe" },
        // A browser without Fetch Metadata, sent from another site's page.
        { referer: "https://elsewhere.example/page" },
      ];
      for (const headers of otherSites) {
        const response = await fetchAs(path, headers);
        assert.equal(response.status, 403, `${path || "download"} ${JSON.stringify(headers)}`);
        assert.match(await response.text(), /This file opens only from this site’s own pages\./);
      }
    }
    assert.deepEqual(await evidenceAudit(vettingCase.id), [], "nothing was recorded");

    // The case page's own link and image, and a download the person started themselves.
    const ownPage = `${testApp.config.http.publicUrl.origin}/staff/cases/${vettingCase.id}`;
    const answered = [
      await fetchAs("", { "sec-fetch-site": "same-origin", "sec-fetch-mode": "navigate", referer: ownPage }),
      await fetchAs("/preview", { "sec-fetch-site": "same-origin", "sec-fetch-dest": "image" }),
      await fetchAs("", { "sec-fetch-site": "none", "sec-fetch-mode": "navigate" }),
      await fetchAs("", { referer: ownPage }),
    ];
    for (const response of answered) {
      assert.equal(response.status, 200);
      assert.deepEqual(await body(response), file.bytes);
    }
    assert.deepEqual(
      (await evidenceAudit(vettingCase.id)).map((row) => row.action),
      ["evidence.downloaded", "evidence.viewed", "evidence.downloaded", "evidence.downloaded"],
    );
  });
});

describe("the evidence viewer", () => {
  test("shows an image beside the case's key details, from the preview address; the page itself audits nothing", async () => {
    const vettingCase = await createCase({
      matrixId: "@ada:example.org",
      phone: "+441632960001",
      statement: "I organise the <b>local</b> meetup.",
    });
    const agent = await staffBrowser("VETTING_AGENT", "Vera Agent");
    const png = await seedPng(vettingCase.id, { note: "Front of the ID card." });
    const pdf = await seedPdf(vettingCase.id);
    const casePage = await (await agent.get(`/staff/cases/${vettingCase.id}`)).text();
    const viewPath = `/staff/cases/${vettingCase.id}/evidence/${png.id}/view`;
    assert.ok(
      itemOf(casePage, png.id).includes(
        `<a href="${viewPath}">Open in the viewer<span class="visually-hidden"> referee-letter.png</span></a>`,
      ),
    );

    const response = await agent.get(viewPath);
    assert.equal(response.status, 200);
    const html = await response.text();
    const number = formatCaseNumber(vettingCase.number);
    assert.match(html, new RegExp(`<title>referee-letter.png — Case ${number} — `));
    assert.match(
      html,
      new RegExp(
        `<img class="evidence-viewer__image" src="/staff/cases/${vettingCase.id}/evidence/${png.id}/preview" alt="referee-letter.png" data-evidence-viewer-image>`,
      ),
    );
    // The toolbar waits for the script; without it the image is all there is.
    assert.match(html, /<div class="evidence-viewer__toolbar" data-evidence-viewer-toolbar hidden\s/);
    assert.match(
      html,
      /<script src="\/static\/js\/evidence-viewer\.[0-9a-f]{12}\.js" nonce="[^"]+" defer><\/script>/,
    );
    for (const fact of [
      "<dt>Full name</dt><dd>Ada Applicant</dd>",
      "<dt>Email address</dt><dd>ada@example.org</dd>",
      "<dt>Matrix ID</dt><dd>@ada:example.org</dd>",
      "<dt>Phone number</dt><dd>+441632960001</dd>",
      "<dt>Submitted</dt><dd>1 Nov 2026, 10:00 UTC</dd>",
      "I organise the &lt;b&gt;local&lt;/b&gt; meetup.",
      "<span>Assigned to nobody</span>",
      `<h2 id="facts-heading">Case ${number}</h2>`,
      '<dt>Note</dt><dd class="case-text">Front of the ID card.</dd>',
      `<code class="evidence-hash">${png.sha256}</code>`,
    ])
      assert.ok(html.includes(fact), fact);
    // The case's other files, to move on to; back to the file on the case page.
    assert.ok(
      html.includes(
        `<li><a href="/staff/cases/${vettingCase.id}/evidence/${pdf.id}/view">Пасп́орт ✓.pdf</a> (PDF)</li>`,
      ),
    );
    assert.ok(
      html.includes(`<a href="/staff/cases/${vettingCase.id}#evidence-${png.id}">Case ${number}</a>`),
    );
    // Showing the page sends no file: the image's own request is the audited view.
    assert.deepEqual(await evidenceAudit(vettingCase.id), []);
  });

  test("a PDF is shown a page at a time, drawn as images; a PDF kept with active content is not shown, only offered", async () => {
    const vettingCase = await createCase();
    const agent = await staffBrowser();
    const pdf = await seedPdf(vettingCase.id);
    const active = await seedPdf(vettingCase.id, { displayName: "form-with-script.pdf" });
    await testApp.db.evidenceFile.update({
      where: { id: active.id },
      data: { activeContent: ["javascript"] },
    });

    const plain = await (await agent.get(`/staff/cases/${vettingCase.id}/evidence/${pdf.id}/view`)).text();
    assert.ok(
      plain.includes(
        `<img class="evidence-viewer__image" src="/staff/cases/${vettingCase.id}/evidence/${pdf.id}/pages/1" alt="Page 1 of Пасп́орт ✓.pdf" data-evidence-viewer-image>`,
      ),
    );
    assert.match(plain, /<span>Page 1 of 1<\/span>/);
    assert.doesNotMatch(plain, /Previous page|Next page|<iframe/);
    // Zoom and rotation work on a drawn page as on an image.
    assert.match(plain, /evidence-viewer\.[0-9a-f]{12}\.js/);
    // The flagged file is listed as a download, never as something to view.
    assert.ok(
      plain.includes(
        `<li><a href="/staff/cases/${vettingCase.id}/evidence/${active.id}">form-with-script.pdf</a> (PDF, download)</li>`,
      ),
    );

    const flaggedPath = `/staff/cases/${vettingCase.id}/evidence/${active.id}/view`;
    const flagged = await agent.get(flaggedPath);
    assert.equal(flagged.status, 200);
    const html = await flagged.text();
    assert.match(html, /This PDF contains JavaScript\. It is not previewed here;/);
    assert.doesNotMatch(html, /<iframe|<img class="evidence-viewer__image"|\/preview"|\/pages\//);
    assert.match(html, new RegExp(`<a href="/staff/cases/${vettingCase.id}/evidence/${active.id}">Download`));
    assert.doesNotMatch(
      itemOf(await (await agent.get(`/staff/cases/${vettingCase.id}`)).text(), active.id),
      /\/view"/,
    );
  });

  test("opens for whoever may see the file: not across cases, not with a conflict of interest, not once erased, not signed out", async () => {
    const vettingCase = await createCase();
    const otherCase = await createCase({ email: "other@example.org" });
    const png = await seedPng(vettingCase.id);
    const viewPath = `/staff/cases/${vettingCase.id}/evidence/${png.id}/view`;
    for (const role of ["VETTING_AGENT", "INVITING_ADMIN", "SERVER_ADMIN", "SUPERADMIN"] as const) {
      assert.equal((await (await staffBrowser(role)).get(viewPath)).status, 200, role);
    }

    const agent = await staffBrowser();
    for (const path of [
      `/staff/cases/${otherCase.id}/evidence/${png.id}/view`,
      `/staff/cases/${ELSEWHERE}/evidence/${png.id}/view`,
      `/staff/cases/${vettingCase.id}/evidence/${ELSEWHERE}/view`,
      `/staff/cases/${vettingCase.id}/evidence/not-a-file/view`,
    ]) {
      const response = await agent.get(path);
      assert.equal(response.status, 404, path);
      assert.doesNotMatch(await response.text(), /Ada Applicant/, path);
    }

    const conflicted = await staffBrowser();
    await testApp.db.caseConflict.create({
      data: {
        caseId: vettingCase.id,
        staffUserId: conflicted.id,
        declaredById: conflicted.id,
        reason: "My cousin",
      },
    });
    const refused = await conflicted.get(viewPath);
    assert.equal(refused.status, 404);
    assert.doesNotMatch(await refused.text(), /Ada Applicant|referee-letter/);

    const signedOut = await fetch(`${testApp.baseUrl}${viewPath}`, { redirect: "manual" });
    assert.equal(signedOut.status, 303);
    assert.equal(signedOut.headers.get("location"), `/staff/sign-in?next=${encodeURIComponent(viewPath)}`);

    await testApp.db.vettingCase.update({ where: { id: vettingCase.id }, data: { erasedAt: new Date() } });
    assert.equal((await agent.get(viewPath)).status, 404);
    assert.deepEqual(await evidenceAudit(vettingCase.id), []);
  });
});

describe("a PDF's pages, drawn by the server", () => {
  /** Two one-page PDFs joined by qpdf: page 1 says "First", page 2 "Second". */
  async function twoPagePdf(): Promise<Buffer> {
    const folder = await mkdtemp(path.join(tmpdir(), "two-pages-"));
    try {
      await writeFile(path.join(folder, "a.pdf"), pdfDocument("First"));
      await writeFile(path.join(folder, "b.pdf"), pdfDocument("Second"));
      await execFileAsync("qpdf", ["--empty", "--pages", "a.pdf", "b.pdf", "--", "both.pdf"], {
        cwd: folder,
      });
      return await readFile(path.join(folder, "both.pdf"));
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }
  const pngSize = (png: Buffer) => ({ width: png.readUInt32BE(16), height: png.readUInt32BE(20) });
  const fromOwnPage = { "sec-fetch-site": "same-origin", "sec-fetch-dest": "image" };
  const getImage = (agent: SignedInStaffBrowser, pathname: string) =>
    fetch(`${testApp.baseUrl}${pathname}`, {
      headers: { cookie: agent.cookie, ...fromOwnPage },
      redirect: "manual",
    });

  test("each page is a PNG of its own, checked against the stored hash, audited as a view, with the viewer's page links", async () => {
    const vettingCase = await createCase();
    const agent = await staffBrowser("VETTING_AGENT", "Vera Agent");
    const pdf = await seedPdf(vettingCase.id, { bytes: await twoPagePdf(), displayName: "letters.pdf" });
    const base = `/staff/cases/${vettingCase.id}/evidence/${pdf.id}`;

    const first = await getImage(agent, `${base}/pages/1`);
    assert.equal(first.status, 200);
    assert.equal(first.headers.get("content-type"), "image/png");
    assert.equal(first.headers.get("x-content-type-options"), "nosniff");
    assert.equal(first.headers.get("cache-control"), "private, no-store");
    assert.equal(first.headers.get("content-security-policy"), "default-src 'none'; sandbox");
    const firstPng = await body(first);
    assert.deepEqual(firstPng.subarray(0, 8), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    // The longest side is drawn at 1600 pixels, whatever the page's size.
    const { width, height } = pngSize(firstPng);
    assert.equal(Math.max(width, height), 1600);
    const secondPng = await body(await getImage(agent, `${base}/pages/2`));
    assert.notDeepEqual(secondPng, firstPng, "page 2 is drawn from page 2");

    // No such page, or not a page number: 404, nothing audited for them.
    for (const page of ["3", "0", "01", "x", "99999"]) {
      assert.equal((await getImage(agent, `${base}/pages/${page}`)).status, 404, page);
    }
    // Each page shown is a view of the file, by this agent.
    const audit = await evidenceAudit(vettingCase.id);
    assert.deepEqual(
      audit.map((row) => [row.action, row.actorId]),
      [
        ["evidence.viewed", agent.id],
        ["evidence.viewed", agent.id],
      ],
    );

    const viewer = await (await agent.get(`${base}/view`)).text();
    assert.match(viewer, /<span>Page 1 of 2<\/span>/);
    assert.ok(viewer.includes(`<a href="${base}/view?page=2">Next page</a>`));
    assert.doesNotMatch(viewer, /Previous page/);
    const second = await (await agent.get(`${base}/view?page=2`)).text();
    assert.ok(second.includes(`src="${base}/pages/2" alt="Page 2 of letters.pdf"`));
    assert.ok(second.includes(`<a href="${base}/view">Previous page</a>`));
    assert.doesNotMatch(second, /Next page/);
    // A page past the end shows the last one.
    assert.match(await (await agent.get(`${base}/view?page=7`)).text(), /<span>Page 2 of 2<\/span>/);
  });

  test("a stored file that no longer matches its hash is not drawn: 500 and an integrity-failure audit row", async () => {
    const vettingCase = await createCase();
    const agent = await staffBrowser();
    const pdf = await seedPdf(vettingCase.id);
    const stored = testStore(testApp).pathOf(pdf.storageKey);
    const bytes = await readFile(stored);
    const flipped = bytes.length - 20;
    bytes.writeUInt8(bytes.readUInt8(flipped) ^ 0x01, flipped);
    await writeFile(stored, bytes);

    const response = await getImage(agent, `/staff/cases/${vettingCase.id}/evidence/${pdf.id}/pages/1`);
    assert.equal(response.status, 500);
    assert.match(response.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(await response.text(), /failed its integrity check/);
    const viewer = await agent.get(`/staff/cases/${vettingCase.id}/evidence/${pdf.id}/view`);
    assert.equal(viewer.status, 500);
    assert.deepEqual(
      (await evidenceAudit(vettingCase.id)).map((row) => row.action),
      ["evidence.integrity_failed", "evidence.integrity_failed"],
    );
  });

  test("a damaged PDF gets a clear message and the download; a flagged PDF, an image or another case's file gets no page", async () => {
    const vettingCase = await createCase();
    const otherCase = await createCase({ email: "other@example.org" });
    const agent = await staffBrowser();
    const damaged = await seedPdf(vettingCase.id, {
      bytes: Buffer.from("%PDF-1.7\nnot really a PDF\n%%EOF\n"),
      displayName: "damaged.pdf",
    });
    const flagged = await seedPdf(vettingCase.id, { displayName: "form-with-script.pdf" });
    await testApp.db.evidenceFile.update({
      where: { id: flagged.id },
      data: { activeContent: ["javascript"] },
    });
    const png = await seedPng(vettingCase.id);

    const viewer = await agent.get(`/staff/cases/${vettingCase.id}/evidence/${damaged.id}/view`);
    assert.equal(viewer.status, 200);
    const html = await viewer.text();
    assert.match(html, /This PDF cannot be shown here \(it may be damaged\)\. Download it to read it\./);
    assert.ok(html.includes(`<a href="/staff/cases/${vettingCase.id}/evidence/${damaged.id}">Download`));
    assert.equal(
      (await getImage(agent, `/staff/cases/${vettingCase.id}/evidence/${damaged.id}/pages/1`)).status,
      404,
    );

    for (const pathname of [
      `/staff/cases/${vettingCase.id}/evidence/${flagged.id}/pages/1`,
      `/staff/cases/${vettingCase.id}/evidence/${png.id}/pages/1`,
      `/staff/cases/${otherCase.id}/evidence/${damaged.id}/pages/1`,
    ]) {
      assert.equal((await getImage(agent, pathname)).status, 404, pathname);
    }
    // Another site's page cannot make a signed-in browser fetch a page (same-origin requests only).
    const crossSite = await fetch(
      `${testApp.baseUrl}/staff/cases/${vettingCase.id}/evidence/${damaged.id}/pages/1`,
      {
        headers: { cookie: agent.cookie, "sec-fetch-site": "cross-site", "sec-fetch-dest": "image" },
      },
    );
    assert.equal(crossSite.status, 403);
    assert.deepEqual(await evidenceAudit(vettingCase.id), []);
  });
});

describe("behind nginx (EVIDENCE_ACCEL_REDIRECT_LOCATION)", () => {
  let accelApp: TestApp;
  before(async () => {
    accelApp = await startTestApp({ env: { EVIDENCE_ACCEL_REDIRECT_LOCATION: "/internal/evidence/" } });
  });
  after(() => accelApp.close());

  test("answers with X-Accel-Redirect to the internal location and an empty body, after checking the hash", async () => {
    const vettingCase = await accelApp.db.vettingCase.create({
      data: {
        origin: "APPLICANT",
        fullName: "Ada",
        email: "ada@example.org",
        statement: "",
        state: "IN_REVIEW",
      },
    });
    const file = await seedEvidenceFile(accelApp, {
      caseId: vettingCase.id,
      bytes: pdfDocument(),
      displayName: UNICODE_NAME,
      mediaType: "application/pdf",
    });
    const agent = await signedInStaffBrowser(accelApp, "VETTING_AGENT");
    const response = await agent.get(`/staff/cases/${vettingCase.id}/evidence/${file.id}`);
    assert.equal(response.status, 200);
    assert.equal(
      response.headers.get("x-accel-redirect"),
      `/internal/evidence/${file.storageKey.slice(0, 2)}/${file.storageKey}`,
    );
    assert.equal((await body(response)).length, 0);
    assert.equal(response.headers.get("content-disposition"), `attachment; ${UNICODE_DISPOSITION}`);
    assert.equal(response.headers.get("content-type"), "application/pdf");
    assert.equal(response.headers.get("content-security-policy"), "default-src 'none'; sandbox");

    const preview = await agent.get(`/staff/cases/${vettingCase.id}/evidence/${file.id}/preview`);
    assert.equal(preview.status, 200);
    assert.equal(preview.headers.get("x-accel-redirect"), response.headers.get("x-accel-redirect"));
    assert.equal(preview.headers.get("x-frame-options"), "SAMEORIGIN");

    await writeFile(testStore(accelApp).pathOf(file.storageKey), "x");
    const tampered = await agent.get(`/staff/cases/${vettingCase.id}/evidence/${file.id}`);
    assert.equal(tampered.status, 500);
    assert.equal(tampered.headers.get("x-accel-redirect"), null);
    const actions = await accelApp.db.auditEvent.findMany({
      where: { subjectId: vettingCase.id },
      orderBy: { id: "asc" },
      select: { action: true },
    });
    assert.deepEqual(
      actions.map((row) => row.action),
      ["evidence.downloaded", "evidence.viewed", "evidence.integrity_failed"],
    );
  });
});

describe("deleting a file", () => {
  test("asks first (GET changes nothing), then deletes the row and the file together, audited", async () => {
    const vettingCase = await createCase();
    const agent = await staffBrowser();
    const file = await seedPng(vettingCase.id, { uploaderKind: "STAFF", uploadedById: agent.id });
    const deletePath = `/staff/cases/${vettingCase.id}/evidence/${file.id}/delete`;

    const confirmation = await agent.get(deletePath);
    assert.equal(confirmation.status, 200);
    const html = await confirmation.text();
    assert.match(html, /<h1>Delete this evidence file\?<\/h1>/);
    assert.match(html, /referee-letter\.png/);
    assert.match(html, new RegExp(`<form class="form" method="post" action="${deletePath}">`));
    assert.equal(await testApp.db.evidenceFile.count(), 1);
    assert.deepEqual((await uploadsOnDisk(testApp)).stored.length, 1);

    const deleted = await agent.post(deletePath);
    assert.equal(deleted.status, 303);
    assert.equal(deleted.headers.get("location"), `/staff/cases/${vettingCase.id}?done=evidence_deleted`);
    assert.equal(await testApp.db.evidenceFile.count(), 0);
    assert.deepEqual(await uploadsOnDisk(testApp), { stored: [], incoming: [] });
    assert.deepEqual(
      (await evidenceAudit(vettingCase.id)).map((row) => [row.action, row.actorId, row.details]),
      [
        [
          "evidence.deleted",
          agent.id,
          { evidenceFileId: file.id, mediaType: "image/png", sizeBytes: file.bytes.length },
        ],
      ],
    );
    const page = await (await agent.get(`/staff/cases/${vettingCase.id}?done=evidence_deleted`)).text();
    assert.match(page, /The evidence file was deleted\./);
    assert.equal((await agent.post(deletePath)).status, 404);
  });

  test("an agent may not delete someone else's upload (403); an admin may delete any file before a decision", async () => {
    const vettingCase = await createCase();
    const uploader = await staffBrowser();
    const otherAgent = await staffBrowser();
    const admin = await staffBrowser("INVITING_ADMIN");
    const staffFile = await seedPng(vettingCase.id, { uploaderKind: "STAFF", uploadedById: uploader.id });
    const applicantFile = await seedPdf(vettingCase.id);

    for (const file of [staffFile, applicantFile]) {
      const path = `/staff/cases/${vettingCase.id}/evidence/${file.id}/delete`;
      assert.equal((await otherAgent.get(path)).status, 403);
      assert.equal((await otherAgent.post(path)).status, 403);
    }
    assert.equal(await testApp.db.evidenceFile.count(), 2);
    assert.equal((await uploadsOnDisk(testApp)).stored.length, 2);

    for (const file of [staffFile, applicantFile]) {
      const path = `/staff/cases/${vettingCase.id}/evidence/${file.id}/delete`;
      assert.equal((await admin.get(path)).status, 200);
      assert.equal((await admin.post(path)).status, 303);
    }
    assert.equal(await testApp.db.evidenceFile.count(), 0);
    assert.deepEqual((await uploadsOnDisk(testApp)).stored, []);
  });

  test("after a decision nobody deletes: the case page says why (409), and the file stays", async () => {
    const vettingCase = await createCase({ state: "REJECTED", decidedAt: new Date() });
    const admin = await staffBrowser("SUPERADMIN");
    const file = await seedPng(vettingCase.id, { uploaderKind: "STAFF", uploadedById: admin.id });
    const path = `/staff/cases/${vettingCase.id}/evidence/${file.id}/delete`;
    for (const response of [await admin.get(path), await admin.post(path)]) {
      assert.equal(response.status, 409);
      assert.match(
        await response.text(),
        /This case is rejected, so its evidence can no longer be deleted\./,
      );
    }
    assert.equal(await testApp.db.evidenceFile.count(), 1);
    assert.equal((await uploadsOnDisk(testApp)).stored.length, 1);
    assert.deepEqual(await evidenceAudit(vettingCase.id), []);
  });
});

describe("uploading as staff", () => {
  test("the upload page shows the form and the files", async () => {
    const vettingCase = await createCase();
    const agent = await staffBrowser();
    await seedPng(vettingCase.id);
    const response = await agent.get(`/staff/cases/${vettingCase.id}/evidence`);
    assert.equal(response.status, 200);
    const html = await response.text();
    assert.match(
      html,
      new RegExp(`<h1>Add evidence to case ${formatCaseNumber(vettingCase.number)}: Ada Applicant</h1>`),
    );
    assert.match(
      html,
      new RegExp(
        `<form class="form evidence-upload" method="post" action="/staff/cases/${vettingCase.id}/evidence" enctype="multipart/form-data"`,
      ),
    );
    assert.match(html, /referee-letter\.png/);
    assert.match(html, /1 of 3 files/);
  });

  test("a file uploaded to an open case is stored under its UUID (0640), hashed, recorded and audited", async () => {
    const vettingCase = await createCase();
    const agent = await staffBrowser("VETTING_AGENT", "Vera Agent");
    const bytes = pdfDocument("Referee");
    const response = await upload(agent, vettingCase.id, {
      csrfToken: agent.csrfToken,
      files: [{ name: "Referee letter.pdf", type: "application/pdf", bytes }],
      note: "  From her employer.  ",
    });
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), `/staff/cases/${vettingCase.id}?done=evidence_added`);

    const [row, ...others] = await testApp.db.evidenceFile.findMany();
    assert.ok(row);
    assert.equal(others.length, 0);
    assert.equal(row.caseId, vettingCase.id);
    assert.equal(row.displayName, "Referee letter.pdf");
    assert.equal(row.mediaType, "application/pdf");
    assert.equal(row.sizeBytes, bytes.length);
    assert.equal(row.sha256, sha256Of(bytes));
    assert.equal(row.note, "From her employer.");
    assert.equal(row.uploaderKind, "STAFF");
    assert.equal(row.uploadedById, agent.id);

    const store = testStore(testApp);
    const stored = await stat(store.pathOf(row.storageKey));
    assert.equal(stored.mode & 0o777, 0o640);
    assert.equal(stored.size, bytes.length);
    assert.equal((await store.digest(row))?.sha256, row.sha256);
    assert.deepEqual(await uploadsOnDisk(testApp), {
      stored: [`${row.storageKey.slice(0, 2)}/${row.storageKey}`],
      incoming: [],
    });
    assert.equal(await testApp.db.uploadLease.count(), 0);
    assert.deepEqual(
      (await evidenceAudit(vettingCase.id)).map((entry) => [entry.action, entry.actorId, entry.details]),
      [
        [
          "evidence.uploaded",
          agent.id,
          { evidenceFileId: row.id, mediaType: "application/pdf", sizeBytes: bytes.length },
        ],
      ],
    );
    const page = await (await agent.get(`/staff/cases/${vettingCase.id}?done=evidence_added`)).text();
    assert.match(page, /The evidence was added\./);
    assert.match(page, /<strong>Vera Agent<\/strong>: Added an evidence file/);
  });

  test("the upload script's answer: 201 with the files and where to go next", async () => {
    const vettingCase = await createCase();
    const agent = await staffBrowser();
    const bytes = pngImage(4, 4);
    const response = await upload(agent, vettingCase.id, {
      csrfToken: agent.csrfToken,
      files: [{ name: "photo.png", type: "image/png", bytes }],
      json: true,
    });
    assert.equal(response.status, 201);
    const answer = (await response.json()) as { files: { id: string }[]; redirect: string };
    const row = await testApp.db.evidenceFile.findFirstOrThrow();
    assert.deepEqual(answer, {
      files: [{ id: row.id, displayName: "photo.png", mediaType: "image/png", sizeBytes: bytes.length }],
      redirect: `/staff/cases/${vettingCase.id}?done=evidence_added`,
    });
  });

  test("a decided case takes no files (409) and nothing is kept", async () => {
    const vettingCase = await createCase({ state: "APPROVED", decidedAt: new Date() });
    const admin = await staffBrowser("SUPERADMIN");
    const files = [{ name: "late.pdf", type: "application/pdf", bytes: pdfDocument() }];
    const page = await upload(admin, vettingCase.id, { csrfToken: admin.csrfToken, files });
    assert.equal(page.status, 409);
    assert.match(
      await page.text(),
      /This case is approved, so no more evidence can be added\. Nothing was kept\./,
    );
    const json = await upload(admin, vettingCase.id, { csrfToken: admin.csrfToken, files, json: true });
    assert.equal(json.status, 409);
    assert.deepEqual(((await json.json()) as { error: { id: string; files: unknown[] } }).error.files, []);
    assert.equal(await testApp.db.evidenceFile.count(), 0);
    assert.deepEqual(await uploadsOnDisk(testApp), { stored: [], incoming: [] });
    assert.deepEqual(await evidenceAudit(vettingCase.id), []);
  });

  test("without the CSRF token: 403 and nothing kept", async () => {
    const vettingCase = await createCase();
    const agent = await staffBrowser();
    const files = [{ name: "scan.pdf", type: "application/pdf", bytes: pdfDocument() }];
    for (const csrfToken of [undefined, "forged"]) {
      const response = await upload(agent, vettingCase.id, { csrfToken, files });
      assert.equal(response.status, 403);
    }
    assert.equal(await testApp.db.evidenceFile.count(), 0);
    assert.equal(await testApp.db.uploadLease.count(), 0);
    assert.deepEqual(await uploadsOnDisk(testApp), { stored: [], incoming: [] });
  });

  test("a file that is not what it claims is refused with its name and reason (page and JSON); nothing kept", async () => {
    const vettingCase = await createCase();
    const agent = await staffBrowser();
    const files = [{ name: "invoice.pdf", type: "application/pdf", bytes: htmlPage() }];
    const page = await upload(agent, vettingCase.id, { csrfToken: agent.csrfToken, files, note: "keep me" });
    assert.ok(page.status === 400 || page.status === 415, `status ${page.status}`);
    const html = await page.text();
    assert.match(html, /id="evidence-error-title">Nothing was uploaded</);
    assert.match(html, /<span class="evidence-upload__file-name">invoice\.pdf<\/span>: /);

    const json = await upload(agent, vettingCase.id, { csrfToken: agent.csrfToken, files, json: true });
    assert.equal(json.status, page.status);
    const answer = (await json.json()) as {
      error: {
        status: number;
        id: string;
        message: string;
        requestId: string;
        files: { fileName: string }[];
      };
    };
    assert.equal(answer.error.status, json.status);
    assert.equal(answer.error.requestId, json.headers.get("x-request-id"));
    assert.deepEqual(
      answer.error.files.map((problem) => problem.fileName),
      ["invoice.pdf"],
    );
    assert.equal(await testApp.db.evidenceFile.count(), 0);
    assert.deepEqual(await uploadsOnDisk(testApp), { stored: [], incoming: [] });
  });

  test("a full case refuses before reading anything (413, connection closed); the limit holds within one upload too", async () => {
    const vettingCase = await createCase();
    const agent = await staffBrowser();
    for (let index = 0; index < 2; index += 1) await seedPng(vettingCase.id);
    const twoFiles = [1, 2].map((index) => ({
      name: `page-${index}.png`,
      type: "image/png",
      bytes: pngImage(index, 1),
    }));
    const tooMany = await upload(agent, vettingCase.id, { csrfToken: agent.csrfToken, files: twoFiles });
    assert.equal(tooMany.status, 413);
    assert.equal(await testApp.db.evidenceFile.count(), 2);

    await seedPng(vettingCase.id);
    const full = await upload(agent, vettingCase.id, {
      csrfToken: agent.csrfToken,
      files: [{ name: "one-more.png", type: "image/png", bytes: pngImage() }],
    });
    assert.equal(full.status, 413);
    assert.equal(full.headers.get("connection"), "close");
    assert.match(await full.text(), /This case already holds all the evidence it can take \(3 of 3 files, /);
    assert.equal(await testApp.db.evidenceFile.count(), 3);
    assert.equal((await uploadsOnDisk(testApp)).stored.length, 3);
    assert.deepEqual((await uploadsOnDisk(testApp)).incoming, []);
  });
});

describe("erasure and export", () => {
  test("erasing a case deletes its evidence rows, files and upload leases", async () => {
    const vettingCase = await createCase({ state: "REJECTED", decidedAt: new Date() });
    const otherCase = await createCase({ email: "other@example.org" });
    const admin = await staffBrowser("INVITING_ADMIN");
    await seedPdf(vettingCase.id);
    await seedPng(vettingCase.id, { uploaderKind: "STAFF", uploadedById: admin.id });
    const kept: SeededEvidenceFile = await seedPng(otherCase.id);
    await testApp.db.uploadLease.create({
      data: {
        id: "6f1d2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b",
        caseId: vettingCase.id,
        holder: "applicant:x",
        expiresAt: new Date(Date.now() + 60_000),
      },
    });

    await admin.get(`/staff/cases/${vettingCase.id}/erase`);
    const erased = await admin.post(`/staff/cases/${vettingCase.id}/erase`, {
      caseNumber: formatCaseNumber(vettingCase.number),
    });
    assert.equal(erased.status, 303);
    assert.deepEqual(
      (await testApp.db.evidenceFile.findMany({ select: { id: true } })).map((row) => row.id),
      [kept.id],
    );
    assert.deepEqual((await uploadsOnDisk(testApp)).stored, [
      `${kept.storageKey.slice(0, 2)}/${kept.storageKey}`,
    ]);
    assert.equal(await testApp.db.uploadLease.count(), 0);
    assert.equal((await admin.get(`/staff/cases/${vettingCase.id}/evidence/${kept.id}`)).status, 404);
  });

  test("the export lists each file's metadata, not its content", async () => {
    const vettingCase = await createCase();
    const admin = await staffBrowser("INVITING_ADMIN", "Ines Admin");
    const pdf = await seedPdf(vettingCase.id, { createdAt: new Date("2026-11-03T09:15:00Z") });
    const png = await seedPng(vettingCase.id, {
      uploaderKind: "STAFF",
      uploadedById: admin.id,
      createdAt: new Date("2026-11-04T09:15:00Z"),
    });
    const response = await admin.post(`/staff/cases/${vettingCase.id}/export`);
    assert.equal(response.status, 200);
    const document = (await response.json()) as TCaseExport;
    assert.deepEqual(document.evidenceFiles, [
      {
        id: pdf.id,
        displayName: UNICODE_NAME,
        mediaType: "application/pdf",
        sizeBytes: pdf.bytes.length,
        sha256: pdf.sha256,
        uploadedAt: "2026-11-03T09:15:00.000Z",
        uploaderKind: "APPLICANT",
        uploadedBy: null,
        note: "Scanned at the meetup.",
      },
      {
        id: png.id,
        displayName: "referee-letter.png",
        mediaType: "image/png",
        sizeBytes: png.bytes.length,
        sha256: png.sha256,
        uploadedAt: "2026-11-04T09:15:00.000Z",
        uploaderKind: "STAFF",
        uploadedBy: { id: admin.id, name: "Ines Admin" },
        note: null,
      },
    ]);
  });
});
