// Matrix registration tokens from approval to the person's screen, over HTTP against real Postgres, a
// real SMTP server on loopback and the fake Synapse (src/test/fakeSynapse.ts): the approval requests a
// token and emails a one-time reveal link (never the token); the job creates it on the homeserver; GET
// shows a button and consumes nothing; POST shows the token once; a new link by email shows it again; a
// token still being created leaves the link unused. The token never reaches an email or a log line.
// Also the case page's token state, and the feature off (no homeserver configured). The standalone form
// and its second admin are in routes/staff/registrationTokenRequests.test.ts.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { formatCaseNumber } from "../../domain/caseNumber.js";
import { issueRegistrationToken } from "../../jobs/issueRegistrationToken.js";
import { createSynapseAdmin } from "../../matrix/synapseAdmin.js";
import { openRegistrationToken } from "../../matrix/tokenSecrets.js";
import { startTestApp, type TestApp } from "../../test/app.js";
import { deliverQueuedEmails, linkPathIn, TestBrowser } from "../../test/browser.js";
import { type FakeSynapse, startFakeSynapse } from "../../test/fakeSynapse.js";
import { truncateTables } from "../../test/reset.js";
import type { ReceivedMessage } from "../../test/smtp.js";
import { startTestSmtpServer, type TestSmtpServer } from "../../test/smtp.js";
import { createStaffMember, signedInStaffBrowser } from "../../test/staff.js";

const APPLICANT_EMAIL = "ada@example.org";
const REGISTRATION_URL = "https://element.example.org/#/register";

let synapse: FakeSynapse;
let smtp: TestSmtpServer;
let testApp: TestApp;
/** Every message the SMTP server accepted in this file, for the "never in an email" checks. */
const allMessages: ReceivedMessage[] = [];
/** Every registration token string the portal made in this file. */
const tokenStrings = new Set<string>();

before(async () => {
  synapse = await startFakeSynapse();
  smtp = await startTestSmtpServer({ tls: "none" });
  testApp = await startTestApp({
    env: {
      MATRIX_HOMESERVER_URL: synapse.url.origin,
      MATRIX_ADMIN_TOKEN: synapse.adminToken,
      MATRIX_REGISTRATION_URL: REGISTRATION_URL,
      MATRIX_TOKEN_LIFETIME_DAYS: "30",
      MATRIX_REQUEST_TIMEOUT_MS: "2000",
    },
  });
});
after(async () => {
  // Whatever the tests did, no token string may be in any email or log line of this file.
  try {
    assert.ok(tokenStrings.size > 0, "the file made tokens");
    const logText = testApp.logText();
    for (const token of tokenStrings) {
      assert.ok(!logText.includes(token), "a registration token reached a log line");
      for (const message of allMessages) {
        assert.ok(!message.raw.includes(token), `a registration token reached an email: ${message.subject}`);
      }
    }
  } finally {
    await testApp.close();
    await smtp.close();
    await synapse.close();
  }
});
beforeEach(async () => {
  await truncateTables(testApp.db, [
    "registration_tokens",
    "case_decisions",
    "vetting_records",
    "vetting_cases",
    "link_tokens",
    "outbox_messages",
    "audit_events",
    "staff_sessions",
    "staff_users",
    "rate_limits",
    "graphile_worker._private_jobs",
  ]);
  synapse.clearFaults();
  synapse.clearRequests();
});

async function deliver(): Promise<ReceivedMessage[]> {
  const messages = await deliverQueuedEmails(testApp, smtp);
  allMessages.push(...messages);
  return messages;
}

/** Runs the issue_registration_token job for every token, as the worker would. */
async function runIssueJobs(): Promise<void> {
  const admin = createSynapseAdmin(testApp.config.matrix ?? assert.fail("matrix is configured"));
  for (const { id } of await testApp.db.registrationToken.findMany({ select: { id: true } })) {
    await issueRegistrationToken(
      { config: testApp.config, db: testApp.db, logger: testApp.logger, synapse: admin },
      id,
    );
  }
}

async function rememberTokenStrings(): Promise<void> {
  for (const row of await testApp.db.registrationToken.findMany({ select: { tokenSealed: true } })) {
    tokenStrings.add(openRegistrationToken(testApp.config.staff.totpKey, row.tokenSealed));
  }
}

/** An in-review case vetted by an agent, approved over HTTP by an inviting admin. */
async function approveCase(app: TestApp = testApp) {
  const agent = await createStaffMember(app.db, app.config, { role: "VETTING_AGENT" });
  const submittedAt = new Date(Date.now() - 86_400_000);
  const vettingCase = await app.db.vettingCase.create({
    data: {
      state: "IN_REVIEW",
      origin: "APPLICANT",
      fullName: "Ada Applicant",
      email: APPLICANT_EMAIL,
      statement: "I would like to join.",
      emailConfirmedAt: submittedAt,
      submittedAt,
      lastSubmittedAt: submittedAt,
    },
    select: { id: true, number: true },
  });
  await app.db.vettingRecord.create({
    data: {
      caseId: vettingCase.id,
      agentId: agent.id,
      identityVerified: true,
      method: "VIDEO_CALL",
      verifiedOn: new Date("2025-03-01"),
      place: "Video call",
      notes: "Checked an identity document.",
      score: 4,
      recommendation: "APPROVE",
    },
  });
  const admin = await signedInStaffBrowser(app, "INVITING_ADMIN", "Ina Admin");
  const response = await admin.post(`/staff/cases/${vettingCase.id}/decision`, {
    decision: "approve",
    reason: "",
  });
  assert.equal(response.status, 303);
  return { caseId: vettingCase.id, caseNumber: formatCaseNumber(vettingCase.number), admin };
}

/** Never cached; the token page also sends no Referer (the others keep same-origin, so their forms work). */
function assertPrivateHeaders(response: Response, options: { isTokenPage: boolean }): void {
  assert.equal(response.headers.get("cache-control"), "no-store");
  assert.equal(response.headers.get("referrer-policy"), options.isTokenPage ? "no-referrer" : "same-origin");
}

/** The text between the token's <code> tags on the revealed page. */
function revealedToken(html: string): string | undefined {
  return /<code class="totp-secret" id="registration-token">([^<]+)<\/code>/.exec(html)?.[1];
}

describe("approval with registration tokens on", () => {
  test("requests a token, emails a reveal link without it, the job creates it, and the link shows it once", async () => {
    const { caseId, caseNumber, admin } = await approveCase();

    // The approval wrote a PENDING row for the case, its job and its audit row, in its transaction.
    const [row, ...others] = await testApp.db.registrationToken.findMany();
    assert.ok(row);
    assert.equal(others.length, 0);
    assert.deepEqual(
      [row.caseId, row.personName, row.personEmail, row.state, row.createdById, row.revealCount],
      [caseId, "Ada Applicant", APPLICANT_EMAIL, "PENDING", admin.id, 0],
    );
    const lifetimeMs = row.expiresAt.getTime() - row.createdAt.getTime();
    assert.ok(Math.abs(lifetimeMs - 30 * 86_400_000) < 60_000, `30 days, not ${lifetimeMs} ms`);
    const jobs = await testApp.db.$queryRaw<{ key: string }[]>`
      SELECT key FROM graphile_worker._private_jobs WHERE key LIKE 'issue_registration_token:%'`;
    assert.deepEqual(jobs, [{ key: `issue_registration_token:${row.id}` }]);
    const requested = await testApp.db.auditEvent.findMany({ where: { action: "matrix_token.requested" } });
    assert.deepEqual(
      requested.map((event) => [event.actorId, event.subjectType, event.subjectId, event.details]),
      [[admin.id, "registration_token", row.id, { caseId, replacesId: null }]],
    );
    await rememberTokenStrings();
    const [token] = tokenStrings;
    assert.ok(token);

    // The approval email: the reveal link and the token's expiry, not the token.
    const [email, ...moreEmails] = await deliver();
    assert.ok(email);
    assert.equal(moreEmails.length, 0);
    assert.deepEqual(email.to, [APPLICANT_EMAIL]);
    assert.equal(email.subject, `Your application ${caseNumber} was approved — Vetting Portal`);
    assert.ok(!email.raw.includes(token));
    assert.match(email.text, /the token is not in this email/);
    const linkPath = linkPathIn(email, testApp.config.http.publicUrl);
    assert.match(linkPath, /^\/registration-token\/[A-Za-z0-9_-]{43}$/);

    // Before the homeserver has it: the page says it is being prepared, and the link stays unused.
    const browser = new TestBrowser(testApp.baseUrl);
    const early = await browser.get(linkPath);
    assert.equal(early.response.status, 200);
    assert.match(early.html, /Your registration token is being prepared/);
    assert.ok(!early.html.includes("Show my registration token"));

    await runIssueJobs();
    assert.equal(
      (await testApp.db.registrationToken.findUniqueOrThrow({ where: { id: row.id } })).state,
      "CREATED",
    );
    assert.deepEqual(
      synapse.tokens().map((held) => [held.token === token, held.uses_allowed]),
      [[true, 1]],
    );

    // GET (twice, as a mail scanner and then the person): a button, nothing consumed.
    for (let visit = 0; visit < 2; visit += 1) {
      const page = await browser.get(linkPath);
      assert.equal(page.response.status, 200);
      assertPrivateHeaders(page.response, { isTokenPage: false });
      assert.match(page.html, /<button[^>]*>\s*Show my registration token\s*<\/button>/);
      assert.ok(!page.html.includes(token));
    }
    const linkRow = await testApp.db.linkToken.findFirstOrThrow({
      where: { purpose: "registration_token_reveal" },
    });
    assert.equal(linkRow.usedAt, null);
    assert.deepEqual([linkRow.subjectType, linkRow.subjectId], ["registration_token", row.id]);

    // POST: the token, once, with the registration URL and the instructions.
    const revealed = await browser.post(linkPath, {});
    assert.equal(revealed.response.status, 200);
    assertPrivateHeaders(revealed.response, { isTokenPage: true });
    assert.equal(revealedToken(revealed.html), token);
    assert.ok(revealed.html.includes(`href="${REGISTRATION_URL}"`));
    assert.match(revealed.html, /When it asks for a registration token, paste this one\./);
    assert.match(
      revealed.html,
      /The token works once, for one account, until \d{1,2} \w+ \d{4}(,| at) \d\d:\d\d UTC\./,
    );
    const afterReveal = await testApp.db.registrationToken.findUniqueOrThrow({ where: { id: row.id } });
    assert.equal(afterReveal.revealCount, 1);
    assert.ok(afterReveal.revealedAt);
    const revealedAudit = await testApp.db.auditEvent.findMany({
      where: { action: "matrix_token.revealed" },
    });
    assert.deepEqual(
      revealedAudit.map((event) => [
        event.actorId,
        event.actorLabel,
        event.ipAddress,
        event.subjectId,
        event.details,
      ]),
      [[null, "registration token link", null, row.id, { caseId, revealCount: 1 }]],
    );

    // The same link again: used, explained, no token; GET says the same.
    const again = await browser.post(linkPath, {});
    assert.equal(again.response.status, 410);
    assertPrivateHeaders(again.response, { isTokenPage: false });
    assert.match(again.html, /This link has already been used/);
    assert.equal(revealedToken(again.html), undefined);
    assert.ok(!again.html.includes(token));
    assert.equal((await browser.get(linkPath)).response.status, 410);
    assert.equal(
      (await testApp.db.registrationToken.findUniqueOrThrow({ where: { id: row.id } })).revealCount,
      1,
    );

    // A new link by email shows it again (and only through that new link).
    const form = await browser.get("/registration-token/new-link");
    assert.equal(form.response.status, 200);
    const request = await browser.post("/registration-token/new-link", { email: "ADA@example.org" });
    assert.equal(request.response.status, 303);
    assert.equal(request.response.headers.get("location"), "/registration-token/new-link/sent");
    const [newLinkEmail, ...extra] = await deliver();
    assert.ok(newLinkEmail);
    assert.equal(extra.length, 0);
    assert.deepEqual(newLinkEmail.to, [APPLICANT_EMAIL]);
    assert.ok(!newLinkEmail.raw.includes(token));
    const newLinkPath = linkPathIn(newLinkEmail, testApp.config.http.publicUrl);
    assert.notEqual(newLinkPath, linkPath);
    await browser.get(newLinkPath);
    const second = await browser.post(newLinkPath, {});
    assert.equal(second.response.status, 200);
    assert.equal(revealedToken(second.html), token);
    assert.equal(
      (await testApp.db.registrationToken.findUniqueOrThrow({ where: { id: row.id } })).revealCount,
      2,
    );
    assert.deepEqual(
      (await testApp.db.auditEvent.findMany({ where: { action: "matrix_token.reveal_link_sent" } })).map(
        (event) => [event.subjectId, event.ipAddress, event.details],
      ),
      [[row.id, null, { caseId, requestedBy: "person" }]],
    );

    // The case page says what happened, without the token.
    const casePage = await (await admin.get(`/staff/cases/${caseId}`)).text();
    assert.match(casePage, /<h2 id="registration-token-heading">Matrix registration token<\/h2>/);
    assert.match(casePage, /<span class="status status--sent">Revealed<\/span>/);
    assert.match(casePage, /Revealed to the person twice, last /);
    assert.ok(!casePage.includes(token));

    // Once the person has registered with it, the homeserver's list says so, and so does the case page
    // (after the status cache's lifetime: the page above asked the homeserver already).
    synapse.markUsed(token);
    testApp.homeserver?.status.invalidate();
    const afterUse = await (await admin.get(`/staff/cases/${caseId}`)).text();
    assert.match(afterUse, /<span class="status status--sent">Used<\/span>/);
    assert.match(afterUse, /The homeserver says the person has registered with it\./);
  });

  test("a new link is asked for with the same answer whatever the address, and sent only for a live token", async () => {
    await approveCase();
    await rememberTokenStrings();
    await deliver();
    const browser = new TestBrowser(testApp.baseUrl);
    await browser.get("/registration-token/new-link");

    // PENDING (not created on the homeserver yet): nothing is sent, the answer is the same.
    const pending = await browser.post("/registration-token/new-link", { email: APPLICANT_EMAIL });
    assert.equal(pending.response.headers.get("location"), "/registration-token/new-link/sent");
    const unknown = await browser.post("/registration-token/new-link", { email: "nobody@example.org" });
    assert.equal(unknown.response.headers.get("location"), "/registration-token/new-link/sent");
    assert.equal(await testApp.db.outboxMessage.count({ where: { status: "QUEUED" } }), 0);

    // A bad address is a form error.
    const bad = await browser.post("/registration-token/new-link", { email: "not an address" });
    assert.equal(bad.response.status, 422);
    assert.match(bad.html, /Enter an email address like name@example.org\./);

    // Revoked or expired: nothing is sent either.
    await runIssueJobs();
    await testApp.db.registrationToken.updateMany({ data: { expiresAt: new Date(Date.now() - 1000) } });
    await browser.post("/registration-token/new-link", { email: APPLICANT_EMAIL });
    assert.equal(await testApp.db.outboxMessage.count({ where: { status: "QUEUED" } }), 0);
  });

  test("an expired, revoked or failed token is explained and never shown, and its link is not consumed", async () => {
    await approveCase();
    await rememberTokenStrings();
    const [email] = await deliver();
    assert.ok(email);
    const linkPath = linkPathIn(email, testApp.config.http.publicUrl);
    await runIssueJobs();
    const [token] = [...tokenStrings].slice(-1);
    assert.ok(token);
    const browser = new TestBrowser(testApp.baseUrl);
    await browser.get(linkPath);

    const cases = [
      {
        data: { state: "REVOKED" as const, revokedAt: new Date() },
        text: /was withdrawn and no longer works/,
      },
      {
        data: { state: "FAILED" as const, failedAt: new Date() },
        text: /Something went wrong while creating/,
      },
      { data: { state: "CREATED" as const, expiresAt: new Date(Date.now() - 1000) }, text: /expired on/ },
    ];
    for (const { data, text } of cases) {
      await testApp.db.registrationToken.updateMany({ data: { revokedAt: null, ...data } });
      for (const response of [await browser.get(linkPath), await browser.post(linkPath, {})]) {
        assert.equal(response.response.status, 410, data.state);
        assert.match(response.html, text);
        assert.ok(!response.html.includes(token));
      }
    }
    assert.equal(
      (await testApp.db.linkToken.findFirstOrThrow({ where: { purpose: "registration_token_reveal" } }))
        .usedAt,
      null,
    );
    assert.equal((await testApp.db.registrationToken.findFirstOrThrow()).revealCount, 0);
  });

  test("a pending token's link is not consumed by POST either; unknown links are 404", async () => {
    await approveCase();
    await rememberTokenStrings();
    const [email] = await deliver();
    assert.ok(email);
    const linkPath = linkPathIn(email, testApp.config.http.publicUrl);
    const browser = new TestBrowser(testApp.baseUrl);
    // The pending page has no form of its own (nothing to press yet; the footer's language switcher
    // posts elsewhere): a CSRF token from another page, as a browser that posted an old copy of the
    // button page would hold.
    assert.ok(!(await browser.get(linkPath)).html.includes(`action="${linkPath}"`));
    await browser.get("/registration-token/new-link");
    const pending = await browser.post(linkPath, {});
    assert.equal(pending.response.status, 200);
    assert.match(pending.html, /Your link has not been used/);
    assert.equal(
      (await testApp.db.linkToken.findFirstOrThrow({ where: { purpose: "registration_token_reveal" } }))
        .usedAt,
      null,
    );

    const unknown = await browser.get(`/registration-token/${"A".repeat(43)}`);
    assert.equal(unknown.response.status, 404);
    assert.match(unknown.html, /This link is not valid/);
    assert.match(unknown.html, /Email me a new link/);
  });

  test("the case page alerts admins when the homeserver refused our credentials", async () => {
    const { caseId, admin } = await approveCase();
    await rememberTokenStrings();
    synapse.fail("create", { status: 401 });
    await runIssueJobs();
    const row = await testApp.db.registrationToken.findFirstOrThrow();
    assert.equal(row.state, "FAILED");

    const page = await (await admin.get(`/staff/cases/${caseId}`)).text();
    assert.match(page, /<span class="status status--failed">Failed<\/span>/);
    assert.match(page, /The homeserver refused our credentials\./);
    assert.ok(row.lastError && page.includes("The homeserver’s last answer:"));

    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT");
    const agentPage = await (await agent.get(`/staff/cases/${caseId}`)).text();
    assert.match(agentPage, /<span class="status status--failed">Failed<\/span>/);
    assert.ok(!agentPage.includes("The homeserver refused our credentials."), "the alert is for admins");
  });
});

describe("with no homeserver configured", () => {
  let offApp: TestApp;
  before(async () => {
    offApp = await startTestApp();
  });
  after(async () => {
    await offApp.close();
  });

  test("approval works without a token or a link, and the pages say tokens are not issued here", async () => {
    const { caseId, caseNumber } = await approveCase(offApp);
    assert.equal(
      (await offApp.db.vettingCase.findUniqueOrThrow({ where: { id: caseId } })).state,
      "APPROVED",
    );
    assert.equal(await offApp.db.registrationToken.count(), 0);
    const [message] = await offApp.db.outboxMessage.findMany();
    assert.deepEqual(
      [message?.kind, message?.linkSubjectType, message?.payload],
      ["decision_approved", null, { applicantName: "Ada Applicant", caseNumber }],
    );
    const [email] = await deliverQueuedEmails(offApp, smtp);
    assert.ok(email);
    allMessages.push(email);
    assert.match(email.text, /We will send you what you need to join in a separate email/);
    assert.ok(!email.text.includes("/registration-token/"), "no reveal link");
    assert.equal(await offApp.db.linkToken.count(), 0);

    const browser = new TestBrowser(offApp.baseUrl);
    for (const path of ["/registration-token/new-link", `/registration-token/${"A".repeat(43)}`]) {
      const page = await browser.get(path);
      assert.equal(page.response.status, 404, path);
      assert.match(page.html, /Registration tokens are not issued here/);
    }
    const admin = await signedInStaffBrowser(offApp, "SUPERADMIN");
    const form = await admin.get("/staff/registration-tokens/new");
    assert.equal(form.status, 200);
    const formHtml = await form.text();
    assert.match(formHtml, /Registration tokens are not issued here/);
    assert.ok(!formHtml.includes('name="email"'));
    const post = await admin.post("/staff/registration-tokens/new", {
      name: "A",
      email: "a@example.org",
      note: "",
    });
    assert.equal(post.status, 409);
    assert.equal(await offApp.db.registrationToken.count(), 0);
    const casePage = await (await admin.get(`/staff/cases/${caseId}`)).text();
    assert.match(casePage, /Registration tokens are not issued here: no Matrix homeserver is configured\./);
  });
});
