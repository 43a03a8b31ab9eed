// Staff acting for the person over HTTP, against real Postgres and a real SMTP server: submitting a draft
// on the person's behalf (each way of consenting, the email with the workspace link, the audit row and
// the timeline, four eyes afterwards), closing a case without a decision (each refusal, the queue's
// open tabs) and reopening it.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import type { ConsentKind, Prisma } from "../../generated/prisma/client.js";
import { startTestApp, type TestApp } from "../../test/app.js";
import { deliverQueuedEmails, linkPathIn } from "../../test/browser.js";
import { truncateTables } from "../../test/reset.js";
import { startTestSmtpServer, type TestSmtpServer } from "../../test/smtp.js";
import { signedInStaffBrowser } from "../../test/staff.js";
import { hashLinkToken } from "../../tokens.js";

let testApp: TestApp;
let smtp: TestSmtpServer;
before(async () => {
  smtp = await startTestSmtpServer({ tls: "none" });
  testApp = await startTestApp({ env: { SMTP_PORTS: String(smtp.port), NEW_CASE_NOTIFICATIONS: "off" } });
});
after(async () => {
  await testApp.close();
  await smtp.close();
});
beforeEach(async () => {
  smtp.messages.length = 0;
  await truncateTables(testApp.db, [
    "case_detail_corrections",
    "case_closures",
    "case_replies",
    "case_comments",
    "case_conflicts",
    "vetting_records",
    "case_decisions",
    "applicant_sessions",
    "vetting_cases",
    "link_tokens",
    "outbox_messages",
    "audit_events",
    "staff_sessions",
    "staff_users",
    "graphile_worker._private_jobs",
  ]);
});

async function createCase(data: Partial<Prisma.VettingCaseUncheckedCreateInput> = {}) {
  return testApp.db.vettingCase.create({
    data: {
      origin: "STAFF",
      fullName: "Pat Person",
      email: "pat@example.org",
      statement: "I run the repair café.",
      state: "DRAFT",
      ...data,
    },
  });
}

const caseNumberOf = (number: number) => `VC-${String(number).padStart(5, "0")}`;

const auditRows = (caseId: string) =>
  testApp.db.auditEvent.findMany({
    where: { subjectType: "vetting_case", subjectId: caseId },
    orderBy: { id: "asc" },
    select: { action: true, actorId: true, details: true },
  });

const CONSENT_TIMELINE: Record<ConsentKind, string> = {
  SIGNED_PAPER_FORM: "signed a paper form",
  VIDEO_CALL: "said so on a video call",
  EMAIL: "wrote so by email",
};
const CONSENT_EMAIL: Record<ConsentKind, string> = {
  SIGNED_PAPER_FORM: "signing a paper form",
  VIDEO_CALL: "saying so on a video call",
  EMAIL: "email",
};

describe("submitting on the person's behalf", () => {
  for (const consentKind of ["SIGNED_PAPER_FORM", "VIDEO_CALL", "EMAIL"] as const) {
    test(`consent by ${consentKind}: submitted, consent stored, audited, in the timeline, emailed with a workspace link`, async () => {
      const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT", "Val Vetter");
      const vettingCase = await createCase({ createdById: agent.id, assignedToId: agent.id });
      const before = Date.now();
      const response = await agent.post(`/staff/cases/${vettingCase.id}/submit-on-behalf`, {
        consentKind,
        consentNote: "Form kept in the office file, 3 December",
        consentConfirmed: "yes",
      });
      assert.equal(response.status, 303);
      assert.equal(
        response.headers.get("location"),
        `/staff/cases/${vettingCase.id}?done=submitted_on_behalf`,
      );

      const stored = await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: vettingCase.id } });
      assert.equal(stored.state, "SUBMITTED");
      assert.equal(stored.privacyConsentKind, consentKind);
      assert.equal(stored.privacyConsentNote, "Form kept in the office file, 3 December");
      assert.equal(stored.privacyNoticeVersion, testApp.config.privacy.noticeVersion);
      assert.equal(stored.privacyNoticeLanguage, "en");
      assert.equal(stored.submittedById, agent.id);
      assert.ok(stored.privacyConsentAt && stored.privacyConsentAt.getTime() >= before);
      assert.ok(stored.submittedAt && stored.lastSubmittedAt);

      // The audit row holds the kind and the notice version, never the note (personal data).
      const [submitted] = (await auditRows(vettingCase.id)).filter((row) => row.action === "case.submitted");
      assert.deepEqual(submitted, {
        action: "case.submitted",
        actorId: agent.id,
        details: {
          from: "DRAFT",
          to: "SUBMITTED",
          onBehalf: true,
          consentKind,
          privacyNoticeVersion: testApp.config.privacy.noticeVersion,
          privacyNoticeLanguage: "en",
          isStatementGiven: false,
        },
      });

      const page = await agent.get(`/staff/cases/${vettingCase.id}?done=submitted_on_behalf`);
      const html = await page.text();
      assert.match(html, /The application was submitted on the person’s behalf\./);
      assert.match(
        html,
        new RegExp(
          `On the person’s behalf; consent to privacy notice ${testApp.config.privacy.noticeVersion}: ${CONSENT_TIMELINE[consentKind]}`,
        ),
      );
      assert.match(html, /<dt>Note on the consent<\/dt><dd class="case-text">Form kept in the office file/);
      assert.doesNotMatch(html, /Submit the application for the person/, "the form is gone once submitted");

      const [email] = await deliverQueuedEmails(testApp, smtp);
      assert.ok(email);
      assert.deepEqual(email.to, ["pat@example.org"]);
      assert.match(
        email.subject,
        new RegExp(`Your application ${caseNumberOf(vettingCase.number)} was submitted for you`),
      );
      assert.match(
        email.text.replace(/\s+/g, " "),
        new RegExp(`You agreed to the privacy notice by ${CONSENT_EMAIL[consentKind]}\\.`),
      );
      const linkPath = linkPathIn(email, testApp.config.http.publicUrl);
      const token = /^\/apply\/submitted\/([A-Za-z0-9_-]{43})$/.exec(linkPath)?.[1];
      assert.ok(token, `the link opens the workspace: ${linkPath}`);
      const linkToken = await testApp.db.linkToken.findUniqueOrThrow({
        where: { tokenHash: hashLinkToken(token) },
      });
      assert.equal(linkToken.purpose, "case_submitted_for_you");
      assert.equal(linkToken.subjectId, vettingCase.id);
      assert.equal(linkToken.usedAt, null);
      // GET says what happened and changes nothing; POST opens the person's workspace.
      const linkPage = await fetch(`${testApp.baseUrl}${linkPath}`);
      assert.equal(linkPage.status, 200);
      const linkHtml = await linkPage.text();
      assert.match(linkHtml, /A vetting agent submitted your application for you\./);
      assert.doesNotMatch(linkHtml, /submit it\./);
      const csrfToken = /name="_csrf" value="([^"]+)"/.exec(linkHtml)?.[1] ?? "";
      const cookie = linkPage.headers
        .getSetCookie()
        .map((value) => value.split(";")[0])
        .join("; ");
      const opened = await fetch(`${testApp.baseUrl}${linkPath}`, {
        method: "POST",
        redirect: "manual",
        headers: {
          cookie,
          origin: testApp.baseUrl,
          "content-type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams({ _csrf: csrfToken }).toString(),
      });
      assert.equal(opened.status, 303);
      assert.equal(opened.headers.get("location"), "/application?done=signed_in");
      const used = await testApp.db.linkToken.findUniqueOrThrow({ where: { id: linkToken.id } });
      assert.ok(used.usedAt);
    });
  }

  test("the consent is to the notice in the case's language, which the person's workspace shows them", async () => {
    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT");
    // A consent from before languages were recorded (to an operator's notice) names no language.
    const vettingCase = await createCase({
      createdById: agent.id,
      assignedToId: agent.id,
      language: "fr",
      privacyNoticeVersion: "2025-01",
      privacyConsentAt: new Date(),
    });
    const before = await (await agent.get(`/staff/cases/${vettingCase.id}`)).text();
    assert.match(before, /<dt>Privacy notice<\/dt><dd>Version 2025-01, accepted [^<(]+<\/dd>/);
    const response = await agent.post(`/staff/cases/${vettingCase.id}/submit-on-behalf`, {
      consentKind: "VIDEO_CALL",
      consentNote: "Call on 3 December",
      consentConfirmed: "yes",
    });
    assert.equal(response.status, 303);
    const stored = await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: vettingCase.id } });
    assert.deepEqual(
      [stored.state, stored.privacyNoticeVersion, stored.privacyNoticeLanguage],
      ["SUBMITTED", testApp.config.privacy.noticeVersion, "fr"],
    );
    const page = await (await agent.get(`/staff/cases/${vettingCase.id}`)).text();
    assert.match(page, /<dt>Privacy notice<\/dt><dd>Version built-in-1 \(French text\), accepted /);
  });

  test("the statement the case lacks is given with the submission; without it nothing is submitted", async () => {
    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT");
    const vettingCase = await createCase({ statement: "" });
    const casePage = await (await agent.get(`/staff/cases/${vettingCase.id}`)).text();
    assert.match(casePage, /name="onBehalfStatement"/);

    const refused = await agent.post(`/staff/cases/${vettingCase.id}/submit-on-behalf`, {
      consentKind: "VIDEO_CALL",
      consentNote: "Call on 2 December",
      consentConfirmed: "yes",
    });
    assert.equal(refused.status, 409);
    assert.match(
      await refused.text(),
      /The application is missing some details, so it cannot be submitted yet/,
    );
    assert.equal(
      (await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: vettingCase.id } })).state,
      "DRAFT",
    );

    const done = await agent.post(`/staff/cases/${vettingCase.id}/submit-on-behalf`, {
      consentKind: "VIDEO_CALL",
      consentNote: "Call on 2 December",
      onBehalfStatement: "I run the repair café and know Mara.",
      consentConfirmed: "yes",
    });
    assert.equal(done.status, 303);
    const stored = await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: vettingCase.id } });
    assert.equal(stored.state, "SUBMITTED");
    assert.equal(stored.statement, "I run the repair café and know Mara.");
  });

  test("a form's mistakes are shown on the case page (422) and nothing changes", async () => {
    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT");
    const vettingCase = await createCase();
    const response = await agent.post(`/staff/cases/${vettingCase.id}/submit-on-behalf`, {
      consentKind: "CARRIER_PIGEON",
      consentNote: "",
    });
    assert.equal(response.status, 422);
    const html = await response.text();
    assert.match(html, /Choose how the person agreed to the privacy notice\./);
    assert.match(html, /Say where the consent can be found/);
    assert.match(html, /Confirm that the person agreed to the privacy notice as it reads now\./);
    const stored = await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: vettingCase.id } });
    assert.equal(stored.state, "DRAFT");
    assert.equal(stored.privacyConsentKind, null);
    assert.equal(await testApp.db.outboxMessage.count(), 0);
  });

  test("refused: a conflicted staff member (403), a case no longer a draft (409); nothing changes", async () => {
    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT");
    const draft = await createCase();
    await testApp.db.caseConflict.create({
      data: { caseId: draft.id, staffUserId: agent.id, declaredById: agent.id, reason: "My cousin" },
    });
    const form = { consentKind: "EMAIL", consentNote: "Email of 1 December", consentConfirmed: "yes" };
    const conflicted = await agent.post(`/staff/cases/${draft.id}/submit-on-behalf`, form);
    assert.equal(conflicted.status, 403);
    assert.match(await conflicted.text(), /You have a conflict of interest on this case\./);
    assert.equal(
      (await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: draft.id } })).state,
      "DRAFT",
    );

    const submitted = await createCase({
      state: "SUBMITTED",
      submittedAt: new Date(),
      email: "sam@example.org",
    });
    const late = await agent.post(`/staff/cases/${submitted.id}/submit-on-behalf`, form);
    assert.equal(late.status, 409);
    assert.match(await late.text(), /This case is submitted, so it cannot be submitted now\./);
    assert.equal(await testApp.db.outboxMessage.count(), 0);
    assert.equal(
      (await auditRows(draft.id)).length + (await auditRows(submitted.id)).length,
      0,
      "no audit rows for refused submissions",
    );
  });

  test("the admin who submitted for the person may not decide the case (four eyes)", async () => {
    const admin = await signedInStaffBrowser(testApp, "INVITING_ADMIN", "Ada Admin");
    const vettingCase = await createCase();
    await admin.post(`/staff/cases/${vettingCase.id}/submit-on-behalf`, {
      consentKind: "SIGNED_PAPER_FORM",
      consentNote: "Paper form, office file",
      consentConfirmed: "yes",
    });
    await admin.post(`/staff/cases/${vettingCase.id}/start-review`);
    const html = await (await admin.get(`/staff/cases/${vettingCase.id}`)).text();
    assert.match(html, /You submitted this application on the person’s behalf\./);
    const decision = await admin.post(`/staff/cases/${vettingCase.id}/decision`, {
      decision: "reject",
      reason: "No.",
    });
    assert.equal(decision.status, 403);
    assert.equal(
      (await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: vettingCase.id } })).state,
      "IN_REVIEW",
    );
  });
});

describe("closing without a decision, and reopening", () => {
  test("an admin closes a case as a duplicate of a named case: row, state, audit, timeline; it leaves the open tabs", async () => {
    const admin = await signedInStaffBrowser(testApp, "INVITING_ADMIN", "Ada Admin");
    const original = await createCase({
      state: "SUBMITTED",
      submittedAt: new Date(),
      email: "one@example.org",
    });
    const duplicate = await createCase({
      state: "SUBMITTED",
      submittedAt: new Date(),
      lastSubmittedAt: new Date(),
      email: "two@example.org",
    });
    const queueBefore = await (await admin.get("/staff/cases?tab=submitted")).text();
    assert.match(queueBefore, new RegExp(caseNumberOf(duplicate.number)));

    const response = await admin.post(`/staff/cases/${duplicate.id}/close`, {
      closureKind: "DUPLICATE",
      duplicateOf: caseNumberOf(original.number),
      closureReason: "Applied twice with two addresses.",
    });
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), `/staff/cases/${duplicate.id}?done=closed`);

    const stored = await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: duplicate.id } });
    assert.equal(stored.state, "CLOSED");
    assert.ok(stored.closedAt);
    const closure = await testApp.db.caseClosure.findFirstOrThrow({ where: { caseId: duplicate.id } });
    assert.equal(closure.kind, "DUPLICATE");
    assert.equal(closure.duplicateOfCaseId, original.id);
    assert.equal(closure.reason, "Applied twice with two addresses.");
    assert.equal(closure.closedById, admin.id);
    assert.deepEqual(await auditRows(duplicate.id), [
      {
        action: "case.closed",
        actorId: admin.id,
        details: {
          from: "SUBMITTED",
          to: "CLOSED",
          closureId: closure.id,
          closureKind: "DUPLICATE",
          duplicateOfCaseId: original.id,
        },
      },
    ]);
    assert.equal(await testApp.db.outboxMessage.count(), 0, "nobody is emailed");

    const page = await (await admin.get(`/staff/cases/${duplicate.id}?done=closed`)).text();
    assert.match(page, /Closed without a decision/);
    assert.match(page, /Closed the case without a decision/);
    assert.match(page, /As a duplicate of another case/);
    assert.match(
      page,
      new RegExp(`\\(of <a href="/staff/cases/${original.id}">${caseNumberOf(original.number)}</a>\\)`),
    );
    assert.match(page, /Reopen the case/);

    for (const tab of ["submitted", "in_review", "more_information", "assigned"]) {
      const queue = await (await admin.get(`/staff/cases?tab=${tab}`)).text();
      assert.doesNotMatch(queue, new RegExp(caseNumberOf(duplicate.number)), tab);
    }
    const all = await (await admin.get("/staff/cases?tab=all")).text();
    assert.match(all, new RegExp(caseNumberOf(duplicate.number)), "still found in All");
  });

  test("each kind of closing is recorded; a closed case cannot be closed again (409)", async () => {
    const admin = await signedInStaffBrowser(testApp, "INVITING_ADMIN");
    for (const closureKind of ["SPAM", "ABANDONED", "PERSON_REQUEST"] as const) {
      const vettingCase = await createCase({
        state: "IN_REVIEW",
        submittedAt: new Date(),
        email: `${closureKind}@example.org`,
      });
      const response = await admin.post(`/staff/cases/${vettingCase.id}/close`, {
        closureKind,
        closureReason: "See the emails.",
      });
      assert.equal(response.status, 303, closureKind);
      const closure = await testApp.db.caseClosure.findFirstOrThrow({ where: { caseId: vettingCase.id } });
      assert.equal(closure.kind, closureKind);
      const again = await admin.post(`/staff/cases/${vettingCase.id}/close`, {
        closureKind,
        closureReason: "Again.",
      });
      assert.equal(again.status, 409);
      assert.match(await again.text(), /This case is closed, so it cannot be closed now\./);
      assert.equal(await testApp.db.caseClosure.count({ where: { caseId: vettingCase.id } }), 1);
    }
  });

  test("refused: an agent (403), a conflicted admin (403), a decided case (409), an unknown or own original (409), a missing reason (422)", async () => {
    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT");
    const admin = await signedInStaffBrowser(testApp, "INVITING_ADMIN");
    const open = await createCase({ state: "SUBMITTED", submittedAt: new Date() });
    const form = { closureKind: "SPAM", closureReason: "Advertising." };

    assert.equal((await agent.post(`/staff/cases/${open.id}/close`, form)).status, 403);

    const missing = await admin.post(`/staff/cases/${open.id}/close`, {
      closureKind: "SPAM",
      closureReason: " ",
    });
    assert.equal(missing.status, 422);
    assert.match(await missing.text(), /Say why the case is closed\./);

    const noNumber = await admin.post(`/staff/cases/${open.id}/close`, {
      closureKind: "DUPLICATE",
      closureReason: "Twice.",
    });
    assert.equal(noNumber.status, 422);
    assert.match(await noNumber.text(), /Enter the number of the case this one duplicates/);

    const unknown = await admin.post(`/staff/cases/${open.id}/close`, {
      closureKind: "DUPLICATE",
      duplicateOf: "VC-99999",
      closureReason: "Twice.",
    });
    assert.equal(unknown.status, 409);
    assert.match(await unknown.text(), /There is no case with that number to name as the original\./);
    const itself = await admin.post(`/staff/cases/${open.id}/close`, {
      closureKind: "DUPLICATE",
      duplicateOf: caseNumberOf(open.number),
      closureReason: "Twice.",
    });
    assert.equal(itself.status, 409);
    assert.match(await itself.text(), /A case cannot be a duplicate of itself\./);

    const decided = await createCase({ state: "APPROVED", email: "done@example.org" });
    const late = await admin.post(`/staff/cases/${decided.id}/close`, form);
    assert.equal(late.status, 409);
    assert.match(await late.text(), /This case is approved, so it cannot be closed now\./);

    await testApp.db.caseConflict.create({
      data: { caseId: open.id, staffUserId: admin.id, declaredById: admin.id, reason: "Neighbour" },
    });
    assert.equal((await admin.post(`/staff/cases/${open.id}/close`, form)).status, 403);

    assert.equal(await testApp.db.caseClosure.count(), 0);
    assert.equal(
      (await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: open.id } })).state,
      "SUBMITTED",
    );
    assert.equal(await testApp.db.auditEvent.count({ where: { action: "case.closed" } }), 0);
  });

  test("an admin reopens: a submitted case goes back to the queue as submitted, a never-submitted one as a draft", async () => {
    const admin = await signedInStaffBrowser(testApp, "INVITING_ADMIN", "Ada Admin");
    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT");
    const wasSubmitted = await createCase({
      state: "IN_REVIEW",
      submittedAt: new Date(),
      email: "a@example.org",
    });
    const neverSubmitted = await createCase({ state: "DRAFT", email: "b@example.org" });
    for (const vettingCase of [wasSubmitted, neverSubmitted]) {
      await admin.post(`/staff/cases/${vettingCase.id}/close`, {
        closureKind: "ABANDONED",
        closureReason: "No answer.",
      });
    }
    assert.equal(
      (await agent.post(`/staff/cases/${wasSubmitted.id}/reopen`)).status,
      403,
      "agents do not reopen",
    );

    const reopened = await admin.post(`/staff/cases/${wasSubmitted.id}/reopen`);
    assert.equal(reopened.status, 303);
    assert.equal(reopened.headers.get("location"), `/staff/cases/${wasSubmitted.id}?done=reopened`);
    const storedSubmitted = await testApp.db.vettingCase.findUniqueOrThrow({
      where: { id: wasSubmitted.id },
    });
    assert.equal(storedSubmitted.state, "SUBMITTED");
    assert.equal(storedSubmitted.closedAt, null);
    const closure = await testApp.db.caseClosure.findFirstOrThrow({ where: { caseId: wasSubmitted.id } });
    assert.equal(closure.reopenedById, admin.id);
    assert.ok(closure.reopenedAt);
    const reopenedAudit = (await auditRows(wasSubmitted.id)).at(-1);
    assert.deepEqual(reopenedAudit, {
      action: "case.reopened",
      actorId: admin.id,
      details: { from: "CLOSED", to: "SUBMITTED", closureId: closure.id },
    });
    const page = await (await admin.get(`/staff/cases/${wasSubmitted.id}`)).text();
    assert.match(page, /Reopened by Ada Admin/);
    assert.match(page, /Reopened the case/);

    const asDraft = await admin.post(`/staff/cases/${neverSubmitted.id}/reopen`);
    assert.equal(asDraft.headers.get("location"), `/staff/cases/${neverSubmitted.id}?done=reopened_as_draft`);
    assert.equal(
      (await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: neverSubmitted.id } })).state,
      "DRAFT",
    );

    const again = await admin.post(`/staff/cases/${neverSubmitted.id}/reopen`);
    assert.equal(again.status, 409);
    assert.match(await again.text(), /This case is a draft, so it cannot be reopened now\./);
  });
});

describe("correcting the person's details", () => {
  const correction = (overrides: Record<string, string> = {}) => ({
    correctFullName: "Pat Persson",
    correctEmail: "pat@example.org",
    correctMatrixId: "@pat:example.org",
    correctPhone: "",
    correctionReason: "Typo in the surname; Matrix ID given on the phone",
    ...overrides,
  });

  test("name and Matrix ID change at once; the timeline shows before and after with the reason", async () => {
    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT", "Val Vetter");
    const vettingCase = await createCase({
      state: "IN_REVIEW",
      fullName: "Pat Preson",
      submittedAt: new Date(),
    });
    const response = await agent.post(`/staff/cases/${vettingCase.id}/details`, correction());
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), `/staff/cases/${vettingCase.id}?done=details_corrected`);
    const stored = await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: vettingCase.id } });
    assert.equal(stored.fullName, "Pat Persson");
    assert.equal(stored.matrixId, "@pat:example.org");
    assert.equal(stored.pendingEmail, null);
    const row = await testApp.db.caseDetailCorrection.findFirstOrThrow({ where: { caseId: vettingCase.id } });
    assert.deepEqual(row.changes, {
      fullName: { before: "Pat Preson", after: "Pat Persson" },
      matrixId: { before: "", after: "@pat:example.org" },
    });
    assert.equal(row.changedById, agent.id);
    // The audit row names the fields, never their values.
    const [audit] = (await auditRows(vettingCase.id)).filter(
      (entry) => entry.action === "case.details_corrected",
    );
    assert.deepEqual(audit, {
      action: "case.details_corrected",
      actorId: agent.id,
      details: { correctionId: row.id, changedFields: ["fullName", "matrixId"], isEmailPending: false },
    });
    const page = await (await agent.get(`/staff/cases/${vettingCase.id}`)).text();
    assert.match(page, /Corrected the person’s details/);
    assert.match(
      page,
      /Full name: “Pat Preson” → “Pat Persson”; Matrix ID: none → “@pat:example.org”\. Reason: Typo in the surname; Matrix ID given on the phone/,
    );
    assert.equal(await testApp.db.outboxMessage.count(), 0, "no email when the address stays");

    const unchanged = await agent.post(`/staff/cases/${vettingCase.id}/details`, correction());
    assert.equal(unchanged.status, 409);
    assert.match(await unchanged.text(), /Nothing was changed: the details are as they were\./);
  });

  test("a new email waits for its confirmation link; the old address is told; confirming makes it the case's", async () => {
    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT");
    const vettingCase = await createCase({ state: "SUBMITTED", submittedAt: new Date() });
    const response = await agent.post(
      `/staff/cases/${vettingCase.id}/details`,
      correction({ correctFullName: "Pat Person", correctMatrixId: "", correctEmail: "pat.new@example.org" }),
    );
    assert.equal(
      response.headers.get("location"),
      `/staff/cases/${vettingCase.id}?done=details_corrected_email_pending`,
    );
    let stored = await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: vettingCase.id } });
    assert.equal(stored.email, "pat@example.org", "not used before it is confirmed");
    assert.equal(stored.pendingEmail, "pat.new@example.org");
    const page = await (await agent.get(`/staff/cases/${vettingCase.id}`)).text();
    assert.match(
      page,
      /Email address: “pat@example\.org” → “pat\.new@example\.org” \(used once the person confirms it\)/,
    );
    assert.match(
      page,
      /The new address <strong>pat\.new@example\.org<\/strong> waits for the person to confirm it/,
    );

    const emails = await deliverQueuedEmails(testApp, smtp);
    const toNew = emails.find((email) => email.to[0] === "pat.new@example.org");
    const toOld = emails.find((email) => email.to[0] === "pat@example.org");
    assert.ok(toNew && toOld);
    assert.equal(emails.length, 2);
    assert.match(toOld.subject, /is being changed/);
    assert.doesNotMatch(toOld.text, /pat\.new/, "the old address is not told the new one");
    const linkPath = linkPathIn(toNew, testApp.config.http.publicUrl);
    assert.match(linkPath, /^\/apply\/new-address\/[A-Za-z0-9_-]{43}$/);

    // GET changes nothing; POST confirms.
    const linkPage = await fetch(`${testApp.baseUrl}${linkPath}`);
    const linkHtml = await linkPage.text();
    assert.match(linkHtml, /Confirm your new email address/);
    stored = await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: vettingCase.id } });
    assert.equal(stored.email, "pat@example.org");
    const csrfToken = /name="_csrf" value="([^"]+)"/.exec(linkHtml)?.[1] ?? "";
    const cookie = linkPage.headers
      .getSetCookie()
      .map((value) => value.split(";")[0])
      .join("; ");
    const confirm = () =>
      fetch(`${testApp.baseUrl}${linkPath}`, {
        method: "POST",
        redirect: "manual",
        headers: { cookie, origin: testApp.baseUrl, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ _csrf: csrfToken }).toString(),
      });
    const confirmed = await confirm();
    assert.equal(confirmed.status, 200);
    assert.match(await confirmed.text(), /Your new email address is confirmed/);
    stored = await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: vettingCase.id } });
    assert.equal(stored.email, "pat.new@example.org");
    assert.equal(stored.pendingEmail, null);
    assert.ok(stored.emailConfirmedAt);
    assert.equal(
      await testApp.db.auditEvent.count({
        where: { subjectId: vettingCase.id, action: "case.email_change_confirmed" },
      }),
      1,
    );
    assert.equal((await confirm()).status, 410, "the link works once");
  });

  test("a second correction voids the first address's link", async () => {
    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT");
    const vettingCase = await createCase({ state: "SUBMITTED", submittedAt: new Date() });
    await agent.post(
      `/staff/cases/${vettingCase.id}/details`,
      correction({ correctFullName: "Pat Person", correctMatrixId: "", correctEmail: "wrong@example.org" }),
    );
    const [first] = (await deliverQueuedEmails(testApp, smtp)).filter(
      (email) => email.to[0] === "wrong@example.org",
    );
    assert.ok(first);
    await agent.post(
      `/staff/cases/${vettingCase.id}/details`,
      correction({ correctFullName: "Pat Person", correctMatrixId: "", correctEmail: "right@example.org" }),
    );
    const firstLink = await fetch(`${testApp.baseUrl}${linkPathIn(first, testApp.config.http.publicUrl)}`);
    assert.equal(firstLink.status, 404);
    assert.equal(
      (await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: vettingCase.id } })).pendingEmail,
      "right@example.org",
    );
  });

  test("refused: a reason is required (422), a conflicted staff member (403), an erased case (409)", async () => {
    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT");
    const vettingCase = await createCase();
    const noReason = await agent.post(
      `/staff/cases/${vettingCase.id}/details`,
      correction({ correctionReason: "" }),
    );
    assert.equal(noReason.status, 422);
    assert.match(await noReason.text(), /Say why the details are corrected/);
    const badEmail = await agent.post(
      `/staff/cases/${vettingCase.id}/details`,
      correction({ correctEmail: "not an address" }),
    );
    assert.equal(badEmail.status, 422);

    await testApp.db.caseConflict.create({
      data: { caseId: vettingCase.id, staffUserId: agent.id, declaredById: agent.id, reason: "Cousin" },
    });
    assert.equal((await agent.post(`/staff/cases/${vettingCase.id}/details`, correction())).status, 403);
    const erased = await createCase({ email: "gone@example.org", erasedAt: new Date(), fullName: "" });
    assert.equal((await agent.post(`/staff/cases/${erased.id}/details`, correction())).status, 409);
    assert.equal(await testApp.db.caseDetailCorrection.count(), 0);
  });
});
