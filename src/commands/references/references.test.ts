// Referees who vouch, end to end over HTTP against real Postgres, with every email delivered through a
// real SMTP server on loopback: the applicant names a referee, the email arrives in the case's language,
// the referee answers through the single-use link, staff see the answer and the applicant only that it
// came. Then each refusal, the link's limits, what each side may see, staff asking, a vetting record
// citing a reference, APPROVAL_REQUIRES_REFERENCE, and erasure, export and the retention purge.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { applicantCookieName, startApplicantSession } from "../../applicantSessions.js";
import { formatCaseNumber } from "../../domain/caseNumber.js";
import type { CaseState } from "../../domain/caseStates.js";
import { purgeDecidedCases } from "../../jobs/purgeDecidedCases.js";
import { createLogger } from "../../logger.js";
import { REFERENCE_LIMITS } from "../../security/referenceLimits.js";
import { startTestApp, type TestApp } from "../../test/app.js";
import { deliverQueuedEmails, linkPathIn, TestBrowser } from "../../test/browser.js";
import { truncateTables } from "../../test/reset.js";
import { startTestSmtpServer, type TestSmtpServer } from "../../test/smtp.js";
import { createStaffMember, type SignedInStaffBrowser, signedInStaffBrowser } from "../../test/staff.js";
import { eraseCase } from "../cases/eraseCase.js";
import { exportCase } from "../cases/exportCase.js";

let testApp: TestApp;
let smtp: TestSmtpServer;
before(async () => {
  smtp = await startTestSmtpServer({ tls: "none" });
  testApp = await startTestApp({
    env: {
      SMTP_PORTS: String(smtp.port),
      NEW_CASE_NOTIFICATIONS: "off",
      REFEREES_MAX: "2",
      REFERENCE_LINK_DAYS: "10",
      APPROVAL_REQUIRES_REFERENCE: "true",
    },
  });
});
after(async () => {
  await testApp.close();
  await smtp.close();
});
beforeEach(async () => {
  smtp.messages.length = 0;
  await truncateTables(testApp.db, [
    "case_references",
    "vetting_records",
    "case_decisions",
    "applicant_sessions",
    "registration_tokens",
    "vetting_cases",
    "link_tokens",
    "outbox_messages",
    "audit_events",
    "staff_sessions",
    "staff_users",
    "rate_limits",
    "graphile_worker._private_jobs",
  ]);
});

const APPLICANT_EMAIL = "wren@example.org";
const VOUCH = {
  answer: "vouch",
  knownHow: "We sang in the same choir",
  knownFor: "Nine years",
  statement: "Wren is exactly who she says.",
};

async function createCase(
  options: { state?: CaseState; email?: string; phone?: string | null; language?: string } = {},
) {
  return testApp.db.vettingCase.create({
    data: {
      state: options.state ?? "SUBMITTED",
      origin: "APPLICANT",
      fullName: "Wren Applicant",
      email: options.email ?? APPLICANT_EMAIL,
      phone: options.phone ?? null,
      statement: "A private statement about my reasons.",
      language: options.language ?? "en",
      privacyNoticeVersion: "built-in-1",
      privacyConsentAt: new Date(),
      emailConfirmedAt: new Date(),
      submittedAt: new Date(),
      lastSubmittedAt: new Date(),
    },
    select: { id: true, number: true },
  });
}

async function applicantBrowser(caseId: string): Promise<TestBrowser> {
  const { token } = await testApp.db.$transaction((tx) =>
    startApplicantSession(tx, { config: testApp.config, caseId }),
  );
  const browser = new TestBrowser(testApp.baseUrl);
  browser.cookies.set(applicantCookieName(testApp.config), token);
  const page = await browser.get("/application/referees");
  assert.equal(page.response.status, 200);
  return browser;
}

async function nameReferee(browser: TestBrowser, refereeEmail: string, relationship = "A choir friend") {
  await browser.get("/application/referees");
  return browser.post("/application/referees", { refereeEmail, relationship });
}

/** Delivers the queued email to the referee and returns its link's path. */
async function refereeLink(recipient: string): Promise<string> {
  const delivered = await deliverQueuedEmails(testApp, smtp);
  const message = delivered.find((candidate) => candidate.to.includes(recipient));
  assert.ok(message, `an email reached ${recipient}`);
  return linkPathIn(message, testApp.config.http.publicUrl);
}

async function caseAudit(caseId: string) {
  return (
    await testApp.db.auditEvent.findMany({
      where: { subjectType: "vetting_case", subjectId: caseId },
      orderBy: { id: "asc" },
      select: { action: true, actorLabel: true, details: true },
    })
  ).filter((row) => row.action.startsWith("case.reference_"));
}

/** The staff case page's references panel alone. */
function referencesPanel(html: string): string {
  const start = html.indexOf('id="references"');
  const end = html.indexOf('id="decision-heading"');
  assert.ok(start > 0 && end > start, "the page has the references panel before the decision panel");
  return html.slice(start, end);
}

describe("the round trip", () => {
  test("applicant names a referee → email at the SMTP server → the referee vouches → staff see it; the applicant sees only 'answered'", async () => {
    const vettingCase = await createCase();
    const applicant = await applicantBrowser(vettingCase.id);
    // Without the Matrix bot, referees are named by email alone: no Matrix ID field is offered.
    const form = await applicant.get("/application/referees");
    assert.match(form.html, /name="refereeEmail"/);
    assert.ok(!form.html.includes('name="refereeMatrixId"') && !form.html.includes("Matrix"));
    const named = await nameReferee(applicant, "Mara.Referee@Example.org", "My choir leader");
    assert.equal(named.response.status, 303);
    assert.equal(named.response.headers.get("location"), "/application/referees?done=requested");

    const reference = await testApp.db.caseReference.findFirstOrThrow({ where: { caseId: vettingCase.id } });
    assert.equal(reference.refereeEmail, "mara.referee@example.org");
    assert.equal(reference.relationship, "My choir leader");
    assert.equal(reference.status, "REQUESTED");
    assert.equal(reference.requestedById, null);

    const delivered = await deliverQueuedEmails(testApp, smtp);
    assert.equal(delivered.length, 1);
    const [email] = delivered;
    assert.ok(email);
    assert.deepEqual(email.to, ["mara.referee@example.org"]);
    assert.match(email.subject, /^Wren Applicant named you as a referee — /);
    assert.match(email.text, /Wren Applicant has asked to join the community and named you/);
    // Nothing about the application beyond the name and the community.
    for (const secret of [APPLICANT_EMAIL, "private statement", "My choir leader", "VC-"]) {
      assert.ok(
        !email.text.includes(secret) && !email.html.includes(secret),
        `the email never says ${secret}`,
      );
    }
    const linkPath = linkPathIn(email, testApp.config.http.publicUrl);
    assert.match(linkPath, /^\/reference\/[A-Za-z0-9_-]{43}$/);
    const token = await testApp.db.linkToken.findFirstOrThrow({ where: { purpose: "reference_request" } });
    assert.deepEqual([token.subjectType, token.subjectId], ["case_reference", reference.id]);
    const lifetimeDays = (token.expiresAt.getTime() - token.createdAt.getTime()) / 86_400_000;
    assert.ok(Math.abs(lifetimeDays - 10) < 0.01, "REFERENCE_LINK_DAYS sets the link's lifetime");

    // GET shows the question and consumes nothing; no session is granted.
    const referee = new TestBrowser(testApp.baseUrl);
    const question = await referee.get(linkPath);
    assert.equal(question.response.status, 200);
    assert.equal(question.response.headers.get("cache-control"), "no-store");
    assert.match(question.html, /Do you know Wren Applicant\?/);
    const { number } = await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: vettingCase.id } });
    // The applicant's name and the community's, nothing else: not the statement, the address, the
    // relationship the applicant gave, the case's number or its state.
    const neverSaid = [
      "private statement",
      APPLICANT_EMAIL,
      "My choir leader",
      formatCaseNumber(number),
      "Submitted",
    ];
    for (const secret of neverSaid) {
      assert.ok(!question.html.includes(secret), `the referee's page never says ${secret}`);
    }
    assert.equal((await testApp.db.linkToken.findFirstOrThrow({ where: { id: token.id } })).usedAt, null);

    const answered = await referee.post(linkPath, VOUCH);
    assert.equal(answered.response.status, 200);
    assert.match(answered.html, /Your answer has been sent to the vetting team of the community\./);
    for (const secret of neverSaid) {
      assert.ok(!answered.html.includes(secret), `the referee's thanks never say ${secret}`);
    }
    const stored = await testApp.db.caseReference.findUniqueOrThrow({ where: { id: reference.id } });
    assert.equal(stored.status, "VOUCHED");
    assert.deepEqual(
      [stored.knownHow, stored.knownFor, stored.statement],
      [VOUCH.knownHow, VOUCH.knownFor, VOUCH.statement],
    );
    assert.ok(stored.answeredAt);
    assert.deepEqual(await caseAudit(vettingCase.id), [
      {
        action: "case.reference_requested",
        actorLabel: "applicant",
        details: {
          referenceId: reference.id,
          requestedBy: "applicant",
          channel: "email",
          outboxMessageId: (await testApp.db.outboxMessage.findFirstOrThrow()).id,
        },
      },
      {
        action: "case.reference_answered",
        actorLabel: "referee",
        details: { referenceId: reference.id, answer: "vouched" },
      },
    ]);
    // The referee's browser holds no session of any kind: the link opened that page and nothing else.
    assert.deepEqual(
      [...referee.cookies.keys()].filter((name) => !/csrf/i.test(name)),
      [],
    );
    assert.equal((await referee.get("/application")).response.status, 303);
    assert.equal((await referee.get(`/staff/cases/${vettingCase.id}`)).response.status, 303);
    // Its token opens no other emailed-link page either: each link has one purpose.
    const token43 = linkPath.slice("/reference/".length);
    for (const otherPage of [
      `/apply/sign-in/${token43}`,
      `/apply/confirm/${token43}`,
      `/apply/matrix-id/${token43}`,
      `/registration-token/${token43}`,
    ]) {
      const other = await referee.get(otherPage);
      assert.ok(
        other.response.status >= 400 || other.response.status === 303,
        `${otherPage} refuses the token`,
      );
      assert.ok(!other.html.includes("Wren Applicant"), `${otherPage} says nothing of the person`);
    }
    assert.equal((await referee.get("/application")).response.status, 303);

    // Staff see the answer in full.
    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT", "Agnes Agent");
    const panel = referencesPanel(await (await agent.get(`/staff/cases/${vettingCase.id}`)).text());
    for (const text of [
      "mara.referee@example.org",
      "Vouched on",
      "We sang in the same choir",
      "Nine years",
    ]) {
      assert.ok(panel.includes(text), `staff see ${text}`);
    }
    assert.ok(panel.includes("Named by the applicant"));

    // The applicant sees that it was answered, never what was written.
    const own = await applicant.get("/application/referees");
    assert.match(own.html, /mara\.referee@example\.org[\s\S]*Answered/);
    const workspace = await applicant.get("/application");
    for (const page of [own.html, workspace.html]) {
      for (const text of [VOUCH.knownHow, VOUCH.knownFor, VOUCH.statement]) {
        assert.ok(!page.includes(text), `the applicant never sees "${text}"`);
      }
    }
  });

  test("the email and the referee's page speak the case's language; the switcher still works", async () => {
    const vettingCase = await createCase({ language: "de" });
    const applicant = await applicantBrowser(vettingCase.id);
    assert.equal((await nameReferee(applicant, "kai@example.org")).response.status, 303);
    const delivered = await deliverQueuedEmails(testApp, smtp);
    const [email] = delivered;
    assert.ok(email);
    assert.equal(email.subject.startsWith("Wren Applicant hat Sie als Referenz genannt"), true);
    assert.match(email.text, /Dieser Link funktioniert einmal, bis/);
    assert.match(email.html, /<html lang="de">/);
    const linkPath = linkPathIn(email, testApp.config.http.publicUrl);

    const referee = new TestBrowser(testApp.baseUrl);
    const question = await referee.get(linkPath);
    assert.equal(question.response.headers.get("content-language"), "de");
    assert.match(question.html, /Kennen Sie Wren Applicant\?/);

    // A validation mistake keeps the link unused and answers in the same language.
    const mistaken = await referee.post(linkPath, { answer: "vouch", knownHow: "", knownFor: "" });
    assert.equal(mistaken.response.status, 422);
    assert.match(mistaken.html, /Geben Sie an, woher Sie diese Person kennen\./);
    assert.equal(await testApp.db.linkToken.count({ where: { usedAt: { not: null } } }), 0);

    // The visitor's own choice wins over the case's language.
    referee.cookies.set("language", "fr");
    const french = await referee.get(linkPath);
    assert.match(french.html, /Connaissez-vous Wren Applicant/);
  });

  test("a referee who declines is recorded as declined, with nothing they did not write", async () => {
    const vettingCase = await createCase();
    const applicant = await applicantBrowser(vettingCase.id);
    await nameReferee(applicant, "lou@example.org");
    const linkPath = await refereeLink("lou@example.org");
    const referee = new TestBrowser(testApp.baseUrl);
    await referee.get(linkPath);
    const declined = await referee.post(linkPath, { answer: "decline", knownHow: "ignored", statement: "" });
    assert.equal(declined.response.status, 200);
    assert.match(declined.html, /you do not vouch for this person/);
    const stored = await testApp.db.caseReference.findFirstOrThrow({ where: { caseId: vettingCase.id } });
    assert.deepEqual([stored.status, stored.knownHow, stored.statement], ["DECLINED", null, null]);
  });
});

describe("refusals", () => {
  test("the applicant's own address, another case's address of the same person, an address named twice, and one past REFEREES_MAX are refused with a message, nothing written or sent", async () => {
    const vettingCase = await createCase({ phone: "+441234567890" });
    // Another application by the same person (same phone), under another address.
    await createCase({ email: "wren.other@example.org", phone: "+441234567890" });
    const applicant = await applicantBrowser(vettingCase.id);

    const own = await nameReferee(applicant, "WREN@example.org");
    assert.equal(own.response.status, 409);
    assert.match(own.html, /This is your own email address\./);
    const samePerson = await nameReferee(applicant, "wren.other@example.org");
    assert.equal(samePerson.response.status, 409);
    assert.match(samePerson.html, /This address belongs to another application of yours\./);
    assert.equal(await testApp.db.caseReference.count(), 0);

    assert.equal((await nameReferee(applicant, "a@example.org")).response.status, 303);
    const twice = await nameReferee(applicant, "A@example.org");
    assert.equal(twice.response.status, 409);
    assert.match(twice.html, /You have already named this person\./);
    assert.equal((await nameReferee(applicant, "b@example.org")).response.status, 303);
    const full = await applicant.get("/application/referees");
    assert.match(full.html, /You have named 2 referees, the most you can\./);
    assert.ok(!full.html.includes('name="refereeEmail"'), "the form is gone once the limit is reached");
    const pastMax = await applicant.post("/application/referees", {
      refereeEmail: "c@example.org",
      relationship: "Neighbour",
    });
    assert.equal(pastMax.response.status, 409);
    assert.match(pastMax.html, /You have named 2 referees, the most you can\./);
    assert.equal(await testApp.db.caseReference.count(), 2);
    assert.equal(await testApp.db.outboxMessage.count({ where: { kind: "reference_request" } }), 2);
    assert.equal((await caseAudit(vettingCase.id)).length, 2);
  });

  test("a malformed form is answered beside its fields, and a decided case takes no referees", async () => {
    const vettingCase = await createCase();
    const applicant = await applicantBrowser(vettingCase.id);
    const bad = await nameReferee(applicant, "not-an-address", "");
    assert.equal(bad.response.status, 422);
    assert.match(bad.html, /Enter an email address like name@example\.org\./);
    assert.match(bad.html, /Say how this person knows you\./);
    await testApp.db.vettingCase.update({ where: { id: vettingCase.id }, data: { state: "REJECTED" } });
    const closed = await applicant.post("/application/referees", {
      refereeEmail: "x@example.org",
      relationship: "Friend",
    });
    assert.equal(closed.response.status, 409);
    assert.equal(await testApp.db.caseReference.count(), 0);
  });

  test("a used link, an expired link and an unknown one are refused, and the answer stays the first one", async () => {
    const vettingCase = await createCase();
    const applicant = await applicantBrowser(vettingCase.id);
    await nameReferee(applicant, "ola@example.org");
    await nameReferee(applicant, "pat@example.org");
    await deliverQueuedEmails(testApp, smtp);
    const [first, second] = smtp.messages;
    assert.ok(first && second);
    const usedPath = linkPathIn(first, testApp.config.http.publicUrl);
    const expiredPath = linkPathIn(second, testApp.config.http.publicUrl);

    const referee = new TestBrowser(testApp.baseUrl);
    await referee.get(usedPath);
    assert.equal((await referee.post(usedPath, VOUCH)).response.status, 200);
    const again = await referee.post(usedPath, { answer: "decline", statement: "" });
    assert.equal(again.response.status, 410);
    assert.match(again.html, /This link has already been used/);
    assert.equal((await referee.get(usedPath)).response.status, 410);

    await testApp.db.linkToken.updateMany({
      where: { usedAt: null, purpose: "reference_request" },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const expired = await referee.get(expiredPath);
    assert.equal(expired.response.status, 410);
    assert.match(expired.html, /This link has expired/);
    assert.equal((await referee.post(expiredPath, VOUCH)).response.status, 410);

    const unknown = await referee.get(`/reference/${"x".repeat(43)}`);
    assert.equal(unknown.response.status, 404);
    const statuses = await testApp.db.caseReference.findMany({ orderBy: { refereeEmail: "asc" } });
    assert.deepEqual(
      statuses.map((row) => [row.refereeEmail, row.status]),
      [
        ["ola@example.org", "VOUCHED"],
        ["pat@example.org", "REQUESTED"],
      ],
    );
  });

  test("the referee page is rate-limited per client address, in the shared store", async () => {
    const referee = new TestBrowser(testApp.baseUrl);
    const path = `/reference/${"y".repeat(43)}`;
    for (let attempt = 0; attempt < REFERENCE_LIMITS.linkPagesPerIpPerHour; attempt += 1) {
      assert.equal((await referee.get(path)).response.status, 404);
    }
    const limited = await referee.get(path);
    assert.equal(limited.response.status, 429);
    assert.ok(Number(limited.response.headers.get("retry-after")) > 0);
    assert.equal(
      await testApp.db.rateLimit.count({ where: { key: { startsWith: "reference_link_ip" } } }),
      1,
    );
  });

  test("naming referees is rate-limited per case, refused attempts included", async () => {
    const vettingCase = await createCase();
    const applicant = await applicantBrowser(vettingCase.id);
    for (let attempt = 0; attempt < REFERENCE_LIMITS.requestsPerCasePerDay; attempt += 1) {
      assert.equal((await nameReferee(applicant, APPLICANT_EMAIL)).response.status, 409);
    }
    const limited = await nameReferee(applicant, "fine@example.org");
    assert.equal(limited.response.status, 429);
    assert.match(limited.html, /Too many requests have come from here/);
    assert.equal(await testApp.db.caseReference.count(), 0);
  });
});

describe("staff", () => {
  async function answeredStaffReference(vettingCaseId: string, staff: SignedInStaffBrowser) {
    const asked = await staff.post(`/staff/cases/${vettingCaseId}/references`, {
      refereeEmail: "quinn@example.org",
      relationship: "Her landlord",
    });
    assert.equal(asked.status, 303);
    assert.equal(asked.headers.get("location"), `/staff/cases/${vettingCaseId}?done=reference_requested`);
    const linkPath = await refereeLink("quinn@example.org");
    const referee = new TestBrowser(testApp.baseUrl);
    await referee.get(linkPath);
    assert.equal((await referee.post(linkPath, VOUCH)).response.status, 200);
    return testApp.db.caseReference.findFirstOrThrow({ where: { refereeEmail: "quinn@example.org" } });
  }

  test("staff ask a referee from the case page; the request is theirs, audited, and refused for the applicant's own address", async () => {
    const vettingCase = await createCase();
    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT", "Agnes Agent");
    const own = await agent.post(`/staff/cases/${vettingCase.id}/references`, {
      refereeEmail: APPLICANT_EMAIL,
      relationship: "Self",
    });
    assert.equal(own.status, 409);
    assert.match(await own.text(), /This is the applicant’s own address\./);

    const reference = await answeredStaffReference(vettingCase.id, agent);
    assert.equal(reference.requestedById, agent.id);
    const audit = await caseAudit(vettingCase.id);
    assert.deepEqual(
      audit.map((row) => [row.action, (row.details as { requestedBy?: string }).requestedBy ?? null]),
      [
        ["case.reference_requested", "staff"],
        ["case.reference_answered", null],
      ],
    );
    const panel = referencesPanel(await (await agent.get(`/staff/cases/${vettingCase.id}`)).text());
    assert.ok(panel.includes("Asked by Agnes Agent"));
    // Staff requests are not the applicant's: their page does not list them.
    const applicant = await applicantBrowser(vettingCase.id);
    assert.ok(!(await applicant.get("/application/referees")).html.includes("quinn@example.org"));
  });

  test("asking referees is rate-limited per staff member, refused attempts included, in the shared store", async () => {
    const vettingCase = await createCase();
    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT");
    for (let attempt = 0; attempt < REFERENCE_LIMITS.requestsPerStaffPerHour; attempt += 1) {
      const refused = await agent.post(`/staff/cases/${vettingCase.id}/references`, {
        refereeEmail: APPLICANT_EMAIL,
        relationship: "Self",
      });
      assert.equal(refused.status, 409);
    }
    const limited = await agent.post(`/staff/cases/${vettingCase.id}/references`, {
      refereeEmail: "fine@example.org",
      relationship: "Her landlord",
    });
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get("retry-after")) > 0);
    assert.match(await limited.text(), /Too many requests have come from here/);
    assert.equal(await testApp.db.caseReference.count(), 0);
    // Another staff member is counted apart.
    const colleague = await signedInStaffBrowser(testApp, "VETTING_AGENT");
    const asked = await colleague.post(`/staff/cases/${vettingCase.id}/references`, {
      refereeEmail: "fine@example.org",
      relationship: "Her landlord",
    });
    assert.equal(asked.status, 303);
  });

  test("a staff member with a conflict of interest cannot ask", async () => {
    const vettingCase = await createCase();
    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT");
    await testApp.db.caseConflict.create({
      data: { caseId: vettingCase.id, staffUserId: agent.id, declaredById: agent.id, reason: "Neighbour" },
    });
    const refused = await agent.post(`/staff/cases/${vettingCase.id}/references`, {
      refereeEmail: "r@example.org",
      relationship: "Friend",
    });
    assert.equal(refused.status, 403);
    assert.equal(await testApp.db.caseReference.count(), 0);
  });

  test("a trusted-referral vetting record cites an answered reference of the case, and nothing else", async () => {
    const vettingCase = await createCase();
    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT", "Agnes Agent");
    const reference = await answeredStaffReference(vettingCase.id, agent);
    const page = await (await agent.get(`/staff/cases/${vettingCase.id}`)).text();
    assert.match(page, new RegExp(`<option value="${reference.id}">quinn@example\\.org — Vouched on`));

    const record = {
      identityVerified: "yes",
      verifiedOn: "2026-01-05",
      place: "Video call",
      notes: "",
      score: "4",
      recommendation: "APPROVE",
    };
    const wrongMethod = await agent.post(`/staff/cases/${vettingCase.id}/vetting-records`, {
      ...record,
      method: "VIDEO_CALL",
      citedReferenceId: reference.id,
    });
    assert.equal(wrongMethod.status, 422);
    assert.match(await wrongMethod.text(), /Only a trusted referral can cite a reference\./);
    const otherCase = await createCase({ email: "someone@example.org" });
    const foreign = await agent.post(`/staff/cases/${otherCase.id}/vetting-records`, {
      ...record,
      method: "TRUSTED_REFERRAL",
      citedReferenceId: reference.id,
    });
    assert.equal(foreign.status, 409);
    assert.equal(await testApp.db.vettingRecord.count(), 0);

    const cited = await agent.post(`/staff/cases/${vettingCase.id}/vetting-records`, {
      ...record,
      method: "TRUSTED_REFERRAL",
      citedReferenceId: reference.id,
    });
    assert.equal(cited.status, 303);
    const stored = await testApp.db.vettingRecord.findFirstOrThrow({ where: { caseId: vettingCase.id } });
    assert.equal(stored.citedReferenceId, reference.id);
    const panel = referencesPanel(await (await agent.get(`/staff/cases/${vettingCase.id}`)).text());
    assert.ok(panel.includes("Cited by the vetting record of Agnes Agent"));
  });

  test("APPROVAL_REQUIRES_REFERENCE: no approval until a referee vouched, said on the decision panel; then approval", async () => {
    const vettingCase = await createCase({ state: "IN_REVIEW" });
    const agent = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
    await testApp.db.vettingRecord.create({
      data: {
        caseId: vettingCase.id,
        agentId: agent.id,
        identityVerified: true,
        method: "VIDEO_CALL",
        verifiedOn: new Date("2026-01-05"),
        place: "Video call",
        notes: "",
        score: 4,
        recommendation: "APPROVE",
      },
    });
    const admin = await signedInStaffBrowser(testApp, "INVITING_ADMIN", "Ina Admin");
    const before = await (await admin.get(`/staff/cases/${vettingCase.id}`)).text();
    assert.match(
      before,
      /Not ready for approval\.<\/strong> Approval needs a referee who answered and vouched/,
    );
    const refused = await admin.post(`/staff/cases/${vettingCase.id}/decision`, { decision: "approve" });
    assert.equal(refused.status, 403);
    assert.equal(
      (await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: vettingCase.id } })).state,
      "IN_REVIEW",
    );

    // A declined reference does not count.
    const colleague = await signedInStaffBrowser(testApp, "VETTING_AGENT", "Colin Colleague");
    await colleague.post(`/staff/cases/${vettingCase.id}/references`, {
      refereeEmail: "dee@example.org",
      relationship: "Colleague",
    });
    const declinePath = await refereeLink("dee@example.org");
    const decliner = new TestBrowser(testApp.baseUrl);
    await decliner.get(declinePath);
    await decliner.post(declinePath, { answer: "decline", statement: "" });
    assert.equal(
      (await admin.post(`/staff/cases/${vettingCase.id}/decision`, { decision: "approve" })).status,
      403,
    );

    await answeredStaffReference(vettingCase.id, colleague);
    const after = await (await admin.get(`/staff/cases/${vettingCase.id}`)).text();
    assert.ok(!after.includes("Approval needs a referee"));
    const approved = await admin.post(`/staff/cases/${vettingCase.id}/decision`, { decision: "approve" });
    assert.equal(approved.status, 303);
    assert.equal(
      (await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: vettingCase.id } })).state,
      "APPROVED",
    );
  });
});

describe("privacy", () => {
  async function caseWithAnsweredReference() {
    const vettingCase = await createCase();
    const applicant = await applicantBrowser(vettingCase.id);
    await nameReferee(applicant, "sam@example.org", "My old teacher");
    const linkPath = await refereeLink("sam@example.org");
    const referee = new TestBrowser(testApp.baseUrl);
    await referee.get(linkPath);
    await referee.post(linkPath, VOUCH);
    // A second referee whose link is still unused, and whose email is still waiting.
    await nameReferee(applicant, "tia@example.org", "A neighbour");
    return vettingCase;
  }

  async function assertReferencesErased(caseId: string) {
    const references = await testApp.db.caseReference.findMany({
      where: { caseId },
      orderBy: { requestedAt: "asc" },
    });
    assert.deepEqual(
      references.map((row) => [
        row.refereeEmail,
        row.relationship,
        row.knownHow,
        row.knownFor,
        row.statement,
        row.status,
      ]),
      [
        [null, "", null, null, null, "VOUCHED"],
        [null, "", null, null, null, "REQUESTED"],
      ],
    );
    assert.equal(await testApp.db.linkToken.count({ where: { subjectType: "case_reference" } }), 0);
    const emails = await testApp.db.outboxMessage.findMany({
      where: { kind: "reference_request" },
      orderBy: { createdAt: "asc" },
    });
    assert.deepEqual(
      emails.map((row) => [row.recipient, row.payload, row.status]),
      [
        ["erased@invalid", {}, "SENT"],
        ["erased@invalid", {}, "CANCELLED"],
      ],
    );
  }

  test("the export lists every reference with its answer, and the record's citation", async () => {
    const vettingCase = await caseWithAnsweredReference();
    const exported = await exportCase(testApp.db, {
      caseId: vettingCase.id,
      exportedBy: { id: "00000000-0000-4000-8000-000000000000", name: "Ina Admin" },
      audit: { label: "test" },
    });
    assert.ok(exported);
    assert.deepEqual(
      exported.document.references.map((row) => [
        row.refereeEmail,
        row.relationship,
        row.requestedBy,
        row.status,
        row.knownHow,
        row.knownFor,
        row.statement,
      ]),
      [
        [
          "sam@example.org",
          "My old teacher",
          "applicant",
          "VOUCHED",
          VOUCH.knownHow,
          VOUCH.knownFor,
          VOUCH.statement,
        ],
        ["tia@example.org", "A neighbour", "applicant", "REQUESTED", null, null, null],
      ],
    );
  });

  test("erasure blanks the references, deletes their links and blanks (or cancels) the referees' emails", async () => {
    const vettingCase = await caseWithAnsweredReference();
    await testApp.db.$transaction((tx) =>
      eraseCase(tx, { caseId: vettingCase.id, audit: { label: "test" }, reason: "applicant_request" }),
    );
    await assertReferencesErased(vettingCase.id);
  });

  test("the retention purge erases the references with the case", async () => {
    const vettingCase = await caseWithAnsweredReference();
    const decidedAt = new Date(Date.now() - (testApp.config.privacy.retentionDays + 1) * 86_400_000);
    await testApp.db.vettingCase.update({
      where: { id: vettingCase.id },
      data: { state: "REJECTED", decidedAt },
    });
    const logger = createLogger({ level: "silent", pretty: false });
    await purgeDecidedCases({ db: testApp.db, config: testApp.config, logger });
    assert.ok((await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: vettingCase.id } })).erasedAt);
    await assertReferencesErased(vettingCase.id);
  });

  test("a referee's link stops working once the case is erased", async () => {
    const vettingCase = await createCase();
    const applicant = await applicantBrowser(vettingCase.id);
    await nameReferee(applicant, "uma@example.org");
    const linkPath = await refereeLink("uma@example.org");
    await testApp.db.$transaction((tx) =>
      eraseCase(tx, { caseId: vettingCase.id, audit: { label: "test" }, reason: "applicant_request" }),
    );
    const referee = new TestBrowser(testApp.baseUrl);
    const page = await referee.get(linkPath);
    assert.equal(page.response.status, 404);
    assert.ok(!page.html.includes("Wren"));
  });
});
