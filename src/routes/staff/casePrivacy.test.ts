// Exporting and erasing a case over HTTP, against real Postgres: who may, what the download holds, what
// the erasure leaves in every table.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { applicantCookieName } from "../../applicantSessions.js";
import { ALREADY_ERASED_MESSAGE, ERASED_RECIPIENT } from "../../commands/cases/eraseCase.js";
import type { TCaseExport } from "../../commands/cases/exportCase.js";
import { flagPossibleDuplicates } from "../../commands/cases/flagPossibleDuplicates.js";
import { formatCaseNumber } from "../../domain/caseNumber.js";
import { enqueueEmail } from "../../mail/outbox.js";
import { openRegistrationToken } from "../../matrix/tokenSecrets.js";
import { startTestApp, type TestApp } from "../../test/app.js";
import { type SeededCase, seedCaseWithHistory, tablesContaining } from "../../test/privacyFixtures.js";
import { truncateTables } from "../../test/reset.js";
import { signedInStaffBrowser } from "../../test/staff.js";
import { testViews } from "../../test/views.js";
import { renderView } from "../../views.js";

let testApp: TestApp;
before(async () => {
  testApp = await startTestApp();
});
after(() => testApp.close());
beforeEach(async () => {
  await truncateTables(testApp.db, [
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
    "graphile_worker._private_jobs",
  ]);
});

const seed = (options: Parameters<typeof seedCaseWithHistory>[2] = {}) =>
  seedCaseWithHistory(testApp.db, testApp.config, options);

const caseAudit = async (caseId: string) =>
  (
    await testApp.db.auditEvent.findMany({
      where: { subjectType: "vetting_case", subjectId: caseId },
      orderBy: { id: "asc" },
    })
  ).map((row) => ({ action: row.action, actorId: row.actorId, details: row.details }));

/** The applicant's workspace, with the session cookie a browser would hold. */
const openWorkspace = (sessionToken: string) =>
  fetch(`${testApp.baseUrl}/application`, {
    redirect: "manual",
    headers: { cookie: `${applicantCookieName(testApp.config)}=${sessionToken}` },
  });

/** Everything the erasure may touch, to compare before and after a refused attempt. */
async function snapshot(caseId: string) {
  const db = testApp.db;
  return {
    vettingCase: await db.vettingCase.findUniqueOrThrow({ where: { id: caseId } }),
    records: await db.vettingRecord.findMany({ where: { caseId } }),
    comments: await db.caseComment.findMany({ where: { caseId } }),
    decisions: await db.caseDecision.findMany({ where: { caseId } }),
    outbox: await db.outboxMessage.findMany({ orderBy: { id: "asc" } }),
    linkTokens: await db.linkToken.count(),
    sessions: await db.applicantSession.count({ where: { caseId } }),
    audit: await db.auditEvent.count(),
  };
}

describe("exporting a case", () => {
  test("an admin downloads the case's data and history as JSON; the export is audited", async () => {
    const seeded = await seed();
    const admin = await signedInStaffBrowser(testApp, "INVITING_ADMIN", "Ines Export");
    const response = await admin.post(`/staff/cases/${seeded.id}/export`);
    assert.equal(response.status, 200);
    assert.equal(
      response.headers.get("content-disposition"),
      `attachment; filename="case-${seeded.caseNumber}.json"`,
    );
    assert.equal(response.headers.get("content-type"), "application/json; charset=utf-8");
    assert.equal(response.headers.get("cache-control"), "no-store");
    const document = (await response.json()) as TCaseExport;

    assert.deepEqual(document.exportedBy, { id: admin.id, name: "Ines Export" });
    assert.ok(Math.abs(Date.parse(document.exportedAt) - Date.now()) < 60_000);
    assert.deepEqual(
      {
        id: document.case.id,
        number: document.case.number,
        state: document.case.state,
        origin: document.case.origin,
        fullName: document.case.fullName,
        email: document.case.email,
        matrixId: document.case.matrixId,
        phone: document.case.phone,
        statement: document.case.statement,
        privacyNoticeVersion: document.case.privacyNoticeVersion,
        privacyNoticeLanguage: document.case.privacyNoticeLanguage,
        assignedTo: document.case.assignedTo,
        isPossibleDuplicate: document.case.isPossibleDuplicate,
        erasedAt: document.case.erasedAt,
      },
      {
        id: seeded.id,
        number: seeded.caseNumber,
        state: "REJECTED",
        origin: "APPLICANT",
        ...seeded.person,
        privacyNoticeVersion: testApp.config.privacy.noticeVersion,
        privacyNoticeLanguage: "de",
        assignedTo: { id: seeded.agent.id, name: seeded.agent.name },
        isPossibleDuplicate: false,
        erasedAt: null,
      },
    );
    for (const field of ["createdAt", "updatedAt", "submittedAt", "privacyConsentAt", "emailConfirmedAt"]) {
      assert.match(String(document.case[field]), /^\d{4}-\d\d-\d\dT/, field);
    }
    // The case page says which language's text of the notice the person accepted, as the export does.
    const casePage = await (await admin.get(`/staff/cases/${seeded.id}`)).text();
    assert.match(
      casePage,
      /<dt>Privacy notice<\/dt><dd>Version built-in-1 \(German text\), accepted \d{1,2} \w+ \d{4}, \d\d:\d\d[^<]*<\/dd>/,
    );
    assert.deepEqual(
      document.vettingRecords.map((record) => ({
        agent: record.agent,
        place: record.place,
        notes: record.notes,
        verifiedOn: record.verifiedOn,
        score: record.score,
        recommendation: record.recommendation,
      })),
      [
        {
          agent: { id: seeded.agent.id, name: seeded.agent.name },
          place: seeded.vettingRecord.place,
          notes: seeded.vettingRecord.notes,
          verifiedOn: "2025-10-01",
          score: 2,
          recommendation: "REJECT",
        },
      ],
    );
    assert.deepEqual(
      document.comments.map((comment) => [comment.author, comment.body, comment.isVisibleToApplicant]),
      [[{ id: seeded.agent.id, name: seeded.agent.name }, seeded.comment.body, true]],
    );
    assert.deepEqual(
      document.decisions.map((decision) => [decision.kind, decision.decidedBy, decision.reason]),
      [["REJECT", { id: seeded.admin.id, name: seeded.admin.name }, seeded.decision.reason]],
    );
    // What the conversation and staff acting for the person hold about the person is exported too.
    assert.deepEqual(
      [document.case.privacyConsentKind, document.case.privacyConsentNote, document.case.pendingEmail],
      [
        "SIGNED_PAPER_FORM",
        seeded.personalValues.find((value) => value.startsWith("Paper form")),
        seeded.personalValues.find((value) => value.startsWith("xanthe.moved.")),
      ],
    );
    assert.deepEqual(
      document.replies.map((reply) => reply.body),
      seeded.personalValues.filter((value) => value.startsWith("My neighbour")),
    );
    assert.deepEqual(
      document.closures.map((closure) => [closure.kind, closure.reason]),
      [["ABANDONED", seeded.personalValues.find((value) => value.startsWith("Thought abandoned"))]],
    );
    assert.deepEqual(
      document.detailCorrections.map((correction) => correction.reason),
      seeded.personalValues.filter((value) => value.startsWith("Surname misspelt")),
    );
    assert.deepEqual(
      document.timeline.map((event) => [event.action, event.actor]),
      [
        ["case.created", { label: "applicant" }],
        ["case.submitted", { label: "applicant" }],
        ["case.vetting_recorded", { id: seeded.agent.id, name: seeded.agent.name }],
        ["case.comment_added", { id: seeded.agent.id, name: seeded.agent.name }],
        ["case.rejected", { id: seeded.admin.id, name: seeded.admin.name }],
        ["case.exported", { id: admin.id, name: "Ines Export" }],
      ],
    );
    // The person's emails (not the agent's), with their kind and status only: no bodies, no payloads.
    assert.deepEqual(
      document.emails.map((email) => Object.keys(email).sort()),
      [0, 1, 2, 3].map(() => ["createdAt", "id", "kind", "sentAt", "status"]),
    );
    assert.deepEqual(
      document.emails.map((email) => [email.id, email.kind, email.status]).sort(),
      [
        [seeded.emails.queuedSignIn, "sign_in_link", "QUEUED"],
        [seeded.emails.queuedDecision, "decision_rejected", "QUEUED"],
        [seeded.emails.sentReceived, "application_received", "SENT"],
        [seeded.emails.queuedRevealLink, "registration_token_ready", "QUEUED"],
      ].sort(),
    );
    assert.ok(document.emails.find((email) => email.status === "SENT")?.sentAt);
    // The registration token: what happened to it, never the token itself.
    assert.deepEqual(
      document.registrationTokens.map((token) => [token.id, token.state, token.issuedBy, token.revealCount]),
      [[seeded.registrationToken.id, "CREATED", { id: seeded.admin.id, name: seeded.admin.name }, 0]],
    );
    const sealed = await testApp.db.registrationToken.findUniqueOrThrow({
      where: { id: seeded.registrationToken.id },
      select: { tokenSealed: true },
    });
    const tokenString = openRegistrationToken(testApp.config.staff.totpKey, sealed.tokenSealed);
    assert.ok(!JSON.stringify(document).includes(tokenString), "the token string is not in the export");

    assert.deepEqual((await caseAudit(seeded.id)).at(-1), {
      action: "case.exported",
      actorId: admin.id,
      details: {},
    });
  });

  test("a vetting agent may not export (403), and nothing is audited", async () => {
    const seeded = await seed();
    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT");
    const before = await testApp.db.auditEvent.count();
    const response = await agent.post(`/staff/cases/${seeded.id}/export`);
    assert.equal(response.status, 403);
    assert.equal(response.headers.get("content-disposition"), null);
    assert.equal(await testApp.db.auditEvent.count(), before);
  });

  test("an unknown case is a 404; a GET exports nothing (405)", async () => {
    const seeded = await seed();
    const admin = await signedInStaffBrowser(testApp, "SERVER_ADMIN");
    assert.equal((await admin.post("/staff/cases/00000000-0000-4000-8000-000000000000/export")).status, 404);
    assert.equal((await admin.post("/staff/cases/not-a-case/export")).status, 404);
    assert.equal((await admin.get(`/staff/cases/${seeded.id}/export`)).status, 405);
    assert.equal(
      await testApp.db.auditEvent.count({ where: { action: "case.exported" } }),
      0,
      "nothing exported, nothing audited",
    );
  });
});

describe("erasing a case", () => {
  test("the confirmation page says what goes and what stays, and asks for the case number", async () => {
    const seeded = await seed();
    const admin = await signedInStaffBrowser(testApp, "INVITING_ADMIN");
    const response = await admin.get(`/staff/cases/${seeded.id}/erase`);
    assert.equal(response.status, 200);
    const html = await response.text();
    assert.match(html, new RegExp(`Erase the personal data of case ${seeded.caseNumber}`));
    assert.match(html, /What will be erased/);
    assert.match(html, /What is kept/);
    assert.match(html, new RegExp(seeded.person.fullName));
    assert.match(
      html,
      /<label class="field__label" for="caseNumber">Type the case number to confirm<\/label>/,
    );
    assert.match(html, new RegExp(`action="/staff/cases/${seeded.id}/erase"`));
    assert.match(html, /name="_csrf"/);
  });

  test("a missing or wrong case number shows the page again (422) and changes nothing", async () => {
    const seeded = await seed();
    const admin = await signedInStaffBrowser(testApp, "INVITING_ADMIN");
    const before = await snapshot(seeded.id);

    const missing = await admin.post(`/staff/cases/${seeded.id}/erase`, {});
    assert.equal(missing.status, 422);
    const missingHtml = await missing.text();
    assert.match(
      missingHtml,
      new RegExp(`Type the case number, ${seeded.caseNumber}, to confirm the erasure\\.`),
    );
    assert.match(missingHtml, /aria-describedby="caseNumber-hint caseNumber-error"/);
    assert.match(missingHtml, /There is a problem/);

    const wrong = await admin.post(`/staff/cases/${seeded.id}/erase`, { caseNumber: "VC-99999" });
    assert.equal(wrong.status, 422);
    const wrongHtml = await wrong.text();
    assert.match(
      wrongHtml,
      new RegExp(`That is not this case’s number\\. Type ${seeded.caseNumber} to confirm`),
    );
    assert.match(wrongHtml, /value="VC-99999"/, "what was typed is kept");

    assert.deepEqual(await snapshot(seeded.id), before);
  });

  test("erasing blanks the personal data everywhere, cancels unsent mail, ends sessions and keeps the audit", async () => {
    const seeded = await seed();
    const admin = await signedInStaffBrowser(testApp, "INVITING_ADMIN");
    assert.equal((await openWorkspace(seeded.applicantSessionToken)).status, 200);
    const auditBefore = await caseAudit(seeded.id);
    const before = await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: seeded.id } });

    // The case number as people type it: lower case and without the leading zeros works too.
    const response = await admin.post(`/staff/cases/${seeded.id}/erase`, {
      caseNumber: ` vc-${seeded.number} `,
    });
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), `/staff/cases/${seeded.id}?done=erased`);

    const after = await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: seeded.id } });
    assert.ok(after.erasedAt);
    assert.deepEqual(
      {
        fullName: after.fullName,
        email: after.email,
        matrixId: after.matrixId,
        phone: after.phone,
        statement: after.statement,
        isPossibleDuplicate: after.isPossibleDuplicate,
        duplicateMatches: after.duplicateMatches,
      },
      {
        fullName: "",
        email: "",
        matrixId: null,
        phone: null,
        statement: "",
        isPossibleDuplicate: false,
        duplicateMatches: [],
      },
    );
    // What is not personal stays: number, state, dates, consent facts, who was assigned.
    assert.deepEqual(
      {
        number: after.number,
        state: after.state,
        origin: after.origin,
        submittedAt: after.submittedAt,
        decidedAt: after.decidedAt,
        privacyNoticeVersion: after.privacyNoticeVersion,
        privacyNoticeLanguage: after.privacyNoticeLanguage,
        privacyConsentAt: after.privacyConsentAt,
        emailConfirmedAt: after.emailConfirmedAt,
        assignedToId: after.assignedToId,
      },
      {
        number: before.number,
        state: "REJECTED",
        origin: before.origin,
        submittedAt: before.submittedAt,
        decidedAt: before.decidedAt,
        privacyNoticeVersion: before.privacyNoticeVersion,
        privacyNoticeLanguage: "de",
        privacyConsentAt: before.privacyConsentAt,
        emailConfirmedAt: before.emailConfirmedAt,
        assignedToId: seeded.agent.id,
      },
    );

    const [record] = await testApp.db.vettingRecord.findMany({ where: { caseId: seeded.id } });
    assert.deepEqual(
      {
        place: record?.place,
        notes: record?.notes,
        agentId: record?.agentId,
        identityVerified: record?.identityVerified,
        method: record?.method,
        score: record?.score,
        recommendation: record?.recommendation,
        verifiedOn: record?.verifiedOn.toISOString().slice(0, 10),
      },
      {
        place: "",
        notes: "",
        agentId: seeded.agent.id,
        identityVerified: true,
        method: "IN_PERSON",
        score: 2,
        recommendation: "REJECT",
        verifiedOn: "2025-10-01",
      },
    );
    const [comment] = await testApp.db.caseComment.findMany({ where: { caseId: seeded.id } });
    assert.deepEqual(
      [comment?.body, comment?.isVisibleToApplicant, comment?.authorId],
      ["", true, seeded.agent.id],
    );
    const [decision] = await testApp.db.caseDecision.findMany({ where: { caseId: seeded.id } });
    assert.deepEqual(
      [decision?.kind, decision?.reason, decision?.decidedById],
      ["REJECT", "", seeded.admin.id],
    );

    const outbox = new Map(
      (await testApp.db.outboxMessage.findMany()).map((row) => [
        row.id,
        { status: row.status, recipient: row.recipient, payload: row.payload },
      ]),
    );
    assert.deepEqual(outbox.get(seeded.emails.queuedSignIn), {
      status: "CANCELLED",
      recipient: ERASED_RECIPIENT,
      payload: {},
    });
    assert.deepEqual(outbox.get(seeded.emails.queuedDecision), {
      status: "CANCELLED",
      recipient: ERASED_RECIPIENT,
      payload: {},
    });
    assert.deepEqual(outbox.get(seeded.emails.sentReceived), {
      status: "SENT",
      recipient: ERASED_RECIPIENT,
      payload: {},
    });
    assert.deepEqual(outbox.get(seeded.emails.toAgent), {
      status: "QUEUED",
      recipient: seeded.agent.email,
      payload: { agentName: seeded.agent.name, caseNumber: seeded.caseNumber, caseId: seeded.id },
    });
    assert.equal(await testApp.db.linkToken.count({ where: { id: seeded.linkTokenId } }), 0);
    // The registration token row stays (the tokens page accounts for it), without the person; its
    // unsent reveal-link email is cancelled and its unused reveal link no longer opens anything.
    assert.deepEqual(outbox.get(seeded.emails.queuedRevealLink), {
      status: "CANCELLED",
      recipient: ERASED_RECIPIENT,
      payload: {},
    });
    const token = await testApp.db.registrationToken.findUniqueOrThrow({
      where: { id: seeded.registrationToken.id },
    });
    assert.deepEqual(
      [token.caseId, token.personName, token.personEmail, token.note, token.state],
      [seeded.id, "", "", null, "CREATED"],
    );
    assert.equal(
      await testApp.db.linkToken.count({ where: { id: seeded.registrationToken.revealLinkTokenId } }),
      0,
    );
    assert.equal(await testApp.db.applicantSession.count({ where: { caseId: seeded.id } }), 0);
    // The applicant's cookie, which opened the workspace before, opens nothing any more.
    const workspace = await openWorkspace(seeded.applicantSessionToken);
    assert.equal(workspace.status, 303);
    assert.match(workspace.headers.get("location") ?? "", /^\/apply\/sign-in/);

    assert.deepEqual(await caseAudit(seeded.id), [
      ...auditBefore,
      { action: "case.erased", actorId: admin.id, details: { reason: "applicant_request" } },
    ]);
    for (const value of seeded.personalValues) {
      assert.deepEqual(await tablesContaining(testApp.db, value), [], value);
    }
  });

  test("erasing twice shows a message (409), not an error page", async () => {
    const seeded = await seed();
    const admin = await signedInStaffBrowser(testApp, "INVITING_ADMIN");
    assert.equal(
      (await admin.post(`/staff/cases/${seeded.id}/erase`, { caseNumber: seeded.caseNumber })).status,
      303,
    );
    const erasedAt = (await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: seeded.id } })).erasedAt;

    const again = await admin.post(`/staff/cases/${seeded.id}/erase`, { caseNumber: seeded.caseNumber });
    assert.equal(again.status, 409);
    const html = await again.text();
    assert.ok(
      html.includes(ALREADY_ERASED_MESSAGE.replaceAll("’", "&#39;")) || html.includes(ALREADY_ERASED_MESSAGE),
    );
    assert.match(html, /Personal data erased on /);
    assert.doesNotMatch(html, /name="caseNumber"/, "no form for a case already erased");
    assert.deepEqual(
      (await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: seeded.id } })).erasedAt,
      erasedAt,
    );
    assert.equal(await testApp.db.auditEvent.count({ where: { action: "case.erased" } }), 1);

    const page = await admin.get(`/staff/cases/${seeded.id}/erase`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /has already been erased/);
  });

  test("a vetting agent may not erase (403), and nothing changes", async () => {
    const seeded = await seed();
    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT");
    const before = await snapshot(seeded.id);
    assert.equal((await agent.get(`/staff/cases/${seeded.id}/erase`)).status, 403);
    assert.equal(
      (await agent.post(`/staff/cases/${seeded.id}/erase`, { caseNumber: seeded.caseNumber })).status,
      403,
    );
    assert.equal((await agent.get("/staff/cases/00000000-0000-4000-8000-000000000000/erase")).status, 403);
    assert.deepEqual(await snapshot(seeded.id), before);
  });

  test("an unknown case is a 404", async () => {
    const admin = await signedInStaffBrowser(testApp, "INVITING_ADMIN");
    assert.equal((await admin.get("/staff/cases/00000000-0000-4000-8000-000000000000/erase")).status, 404);
    assert.equal((await admin.get("/staff/cases/nope/erase")).status, 404);
  });

  test("cases flagged as duplicates of the erased one drop it; another case's mail to the same address is kept", async () => {
    const seeded: SeededCase = await seed();
    // A second application from the same person, flagged as a duplicate of the first.
    const second = await testApp.db.vettingCase.create({
      data: {
        origin: "APPLICANT",
        fullName: "Second Application",
        email: seeded.person.email,
        phone: seeded.person.phone,
        statement: "Applying again.",
      },
      select: { id: true, number: true },
    });
    const secondNumber = formatCaseNumber(second.number);
    const secondMail = await testApp.db.$transaction(async (tx) => {
      await flagPossibleDuplicates(tx, { caseId: second.id, audit: { label: "applicant" } });
      return enqueueEmail(tx, {
        kind: "application_received",
        recipient: seeded.person.email,
        payload: { applicantName: "Second Application", caseNumber: secondNumber },
      });
    });
    assert.equal(
      (await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: second.id } })).isPossibleDuplicate,
      true,
    );

    const admin = await signedInStaffBrowser(testApp, "INVITING_ADMIN");
    assert.equal(
      (await admin.post(`/staff/cases/${seeded.id}/erase`, { caseNumber: seeded.caseNumber })).status,
      303,
    );

    const secondAfter = await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: second.id } });
    assert.deepEqual([secondAfter.isPossibleDuplicate, secondAfter.duplicateMatches], [false, []]);
    assert.deepEqual(
      (await caseAudit(second.id)).map((row) => [row.action, row.actorId, row.details]),
      [
        ["case.duplicate_flagged", null, { matchedCaseIds: [seeded.id], matchedOn: ["email", "phone"] }],
        ["case.duplicate_flagged", admin.id, { matchedCaseIds: [], matchedOn: [] }],
      ],
    );
    const kept = await testApp.db.outboxMessage.findUniqueOrThrow({
      where: { id: secondMail.outboxMessageId },
    });
    assert.deepEqual(
      [kept.status, kept.recipient, kept.payload],
      ["QUEUED", seeded.person.email, { applicantName: "Second Application", caseNumber: secondNumber }],
    );
  });
});

describe("the privacy panel on the case page", () => {
  test("the case page offers an admin the export and the erasure, and says when the data was erased", async () => {
    const seeded = await seed();
    const admin = await signedInStaffBrowser(testApp, "INVITING_ADMIN");
    const page = await admin.get(`/staff/cases/${seeded.id}`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, new RegExp(`<form method="post" action="/staff/cases/${seeded.id}/export">`));
    assert.match(html, new RegExp(`<a href="/staff/cases/${seeded.id}/erase">Erase personal data…</a>`));

    assert.equal(
      (await admin.post(`/staff/cases/${seeded.id}/erase`, { caseNumber: seeded.caseNumber })).status,
      303,
    );
    const after = await admin.get(`/staff/cases/${seeded.id}?done=erased`);
    assert.equal(after.status, 200);
    const afterHtml = await after.text();
    assert.match(afterHtml, /The personal data of this case was erased\./);
    assert.match(afterHtml, /Personal data erased on \d/);
    assert.doesNotMatch(afterHtml, /Erase personal data…/);
    assert.ok(!afterHtml.includes(seeded.person.fullName));
  });

  test("an agent's case page has neither", async () => {
    const seeded = await seed();
    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT");
    const html = await (await agent.get(`/staff/cases/${seeded.id}`)).text();
    assert.doesNotMatch(html, /Export this case/);
    assert.doesNotMatch(html, /Erase personal data/);
  });

  const render = (context: Record<string, unknown>) =>
    renderView(testViews(), "staff/cases/_privacy-panel.njk", {
      urls: { staffCases: "/staff/cases" },
      csrfToken: "token-123",
      ...context,
    });
  const id = "11111111-2222-4333-8444-555555555555";

  test("offers the export button and the erase link to an admin", async () => {
    const html = await render({
      caseView: { id, isErased: false, erasedAt: "" },
      can: { export: true, erase: true },
    });
    assert.match(html, new RegExp(`<form method="post" action="/staff/cases/${id}/export">`));
    assert.match(html, /<input type="hidden" name="_csrf" value="token-123">/);
    assert.match(html, /Export this case \(JSON\)/);
    assert.match(html, new RegExp(`<a href="/staff/cases/${id}/erase">Erase personal data…</a>`));
  });

  test("says when the data was erased, and offers no erasure then", async () => {
    const html = await render({
      caseView: { id, isErased: true, erasedAt: "1 Dec 2026, 10:00 UTC" },
      can: { export: true, erase: false },
    });
    assert.match(html, /Personal data erased on 1 Dec 2026, 10:00 UTC\./);
    assert.doesNotMatch(html, /Erase personal data…/);
  });

  test("shows nothing to an agent on a case that is not erased", async () => {
    const html = await render({
      caseView: { id, isErased: false, erasedAt: "" },
      can: { export: false, erase: false },
    });
    assert.equal(html.trim(), "");
  });
});
