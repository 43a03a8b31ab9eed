// The conversation between an applicant and the vetting team, over HTTP against real Postgres and a
// real SMTP server: the applicant's reply (answering a request for more information, or a message of its
// own), who is emailed about it, what each side's page shows (never internal comments, never another
// case's messages), escaping, the length and hourly limits, and the states in which no reply is taken.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { applicantCookieName, startApplicantSession } from "../../applicantSessions.js";
import { formatCaseNumber } from "../../domain/caseNumber.js";
import type { CaseState } from "../../domain/caseStates.js";
import { REPLIES_PER_HOUR_PER_CASE } from "../../security/applicantReplyLimits.js";
import { startTestApp, type TestApp } from "../../test/app.js";
import { deliverQueuedEmails, TestBrowser } from "../../test/browser.js";
import { truncateTables } from "../../test/reset.js";
import { startTestSmtpServer, type TestSmtpServer } from "../../test/smtp.js";
import { createStaffMember, signedInStaffBrowser } from "../../test/staff.js";

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
    "case_replies",
    "case_comments",
    "case_decisions",
    "applicant_sessions",
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

async function createCase(options: { state?: CaseState; email?: string; assignedToId?: string | null } = {}) {
  return testApp.db.vettingCase.create({
    data: {
      state: options.state ?? "IN_REVIEW",
      origin: "APPLICANT",
      fullName: "Wren Applicant",
      email: options.email ?? "wren@example.org",
      statement: "I know Mara from birdwatching.",
      privacyNoticeVersion: "built-in-1",
      privacyConsentAt: new Date(),
      emailConfirmedAt: new Date(),
      submittedAt: new Date(),
      assignedToId: options.assignedToId ?? null,
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
  const page = await browser.get("/application");
  assert.equal(page.response.status, 200);
  return browser;
}

/** A case waiting for more information: an admin's request, a comment shown to the applicant, an internal one. */
async function caseWithConversation(options: { email: string; assignedToId?: string | null; tag: string }) {
  const admin = await createStaffMember(testApp.db, testApp.config, {
    role: "INVITING_ADMIN",
    name: `Adam ${options.tag}`,
    email: `adam-${options.tag}@example.org`,
  });
  const vettingCase = await createCase({
    state: "MORE_INFORMATION_REQUESTED",
    email: options.email,
    assignedToId: options.assignedToId ?? null,
  });
  const request = await testApp.db.caseDecision.create({
    data: {
      caseId: vettingCase.id,
      kind: "REQUEST_MORE_INFORMATION",
      decidedById: admin.id,
      reason: `Who referred you? (${options.tag})`,
      isReasonSharedWithApplicant: true,
      decidedAt: new Date(Date.now() - 60_000),
    },
  });
  await testApp.db.caseComment.createMany({
    data: [
      {
        caseId: vettingCase.id,
        authorId: admin.id,
        body: `Visible note ${options.tag}`,
        isVisibleToApplicant: true,
      },
      {
        caseId: vettingCase.id,
        authorId: admin.id,
        body: `Internal note ${options.tag}`,
        isVisibleToApplicant: false,
      },
    ],
  });
  return { ...vettingCase, request, admin, browser: await applicantBrowser(vettingCase.id) };
}

/** The staff case page's conversation section alone. */
function conversationSection(html: string): string {
  const start = html.indexOf('id="conversation"');
  const end = html.indexOf('id="comments"');
  assert.ok(start > 0 && end > start, "the page has the conversation section before the comments");
  return html.slice(start, end);
}

describe("replying", () => {
  test("a reply answers the open request: stored, audited, shown under the question on both sides, emailed to the assignee", async () => {
    const assignee = await createStaffMember(testApp.db, testApp.config, {
      role: "VETTING_AGENT",
      name: "Agnes Agent",
      email: "agnes@example.org",
    });
    const vettingCase = await caseWithConversation({
      email: "wren@example.org",
      assignedToId: assignee.id,
      tag: "one",
    });
    const sent = await vettingCase.browser.post("/application/messages", {
      message: "Mara referred me.\r\nShe knows me <b>well</b>.",
    });
    assert.equal(sent.response.status, 303);
    assert.equal(sent.response.headers.get("location"), "/application?done=replied");

    const reply = await testApp.db.caseReply.findFirstOrThrow({ where: { caseId: vettingCase.id } });
    assert.equal(reply.body, "Mara referred me.\nShe knows me <b>well</b>.");
    assert.equal(reply.answersDecisionId, vettingCase.request.id);
    const audit = await testApp.db.auditEvent.findMany({
      where: { subjectId: vettingCase.id, action: "case.applicant_replied" },
      select: { actorId: true, actorLabel: true, ipAddress: true, details: true },
    });
    assert.deepEqual(audit, [
      {
        actorId: null,
        actorLabel: "applicant",
        ipAddress: null,
        details: { replyId: reply.id, answersDecisionId: vettingCase.request.id },
      },
    ]);
    // The case still waits for the resubmission: a reply is not one.
    assert.equal(
      (await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: vettingCase.id } })).state,
      "MORE_INFORMATION_REQUESTED",
    );

    const workspace = await vettingCase.browser.get("/application?done=replied");
    assert.match(workspace.html, /Your message was sent to the vetting team\./);
    assert.match(workspace.html, /Request for more information \(answered\)/);
    assert.match(workspace.html, /Who referred you\? \(one\)/);
    assert.match(workspace.html, /Mara referred me\.\nShe knows me &lt;b&gt;well&lt;\/b&gt;\./);
    assert.match(workspace.html, new RegExp(`href="#message-${vettingCase.request.id}">Answers the request`));
    assert.match(workspace.html, /Visible note one/);
    assert.doesNotMatch(workspace.html, /Internal note one/);
    assert.doesNotMatch(workspace.html, /Adam one|Agnes/, "the applicant never sees staff names");

    const staff = await signedInStaffBrowser(testApp, "VETTING_AGENT");
    const casePage = await (await staff.get(`/staff/cases/${vettingCase.id}`)).text();
    const conversation = conversationSection(casePage);
    assert.match(conversation, /The applicant<\/strong>/);
    assert.match(conversation, /From the applicant/);
    assert.match(conversation, /Mara referred me\.\nShe knows me &lt;b&gt;well&lt;\/b&gt;\./);
    assert.match(conversation, /Request for more information, answered/);
    assert.match(conversation, /Visible note one/);
    assert.doesNotMatch(conversation, /Internal note one/, "internal comments stay in their own section");
    assert.match(casePage.slice(casePage.indexOf('id="comments"')), /Internal note one/);
    assert.match(casePage, /Replied to the vetting team/, "the timeline has the reply");

    const emails = await deliverQueuedEmails(testApp, smtp);
    assert.equal(emails.length, 1);
    const [email] = emails;
    assert.ok(email);
    assert.deepEqual(email.to, ["agnes@example.org"]);
    assert.match(
      email.subject,
      new RegExp(`Answer to your request on case ${formatCaseNumber(vettingCase.number)}`),
    );
    assert.match(email.text, /answered the request for more/);
    assert.match(email.text, new RegExp(`/staff/cases/${vettingCase.id}`));
    assert.doesNotMatch(email.text + email.html, /Mara referred me/, "the message is read on the case page");
    assert.match(email.text, /is assigned to you/);
  });

  test("without an assignee, every active agent hears of a message; it answers nothing while the case is in review", async () => {
    const agents = await Promise.all(
      ["ann", "bob"].map((name) =>
        createStaffMember(testApp.db, testApp.config, {
          role: "VETTING_AGENT",
          name,
          email: `${name}@example.org`,
        }),
      ),
    );
    await createStaffMember(testApp.db, testApp.config, {
      role: "VETTING_AGENT",
      name: "Gone",
      email: "gone@example.org",
      status: "DISABLED",
    });
    const vettingCase = await createCase({ state: "IN_REVIEW" });
    const browser = await applicantBrowser(vettingCase.id);
    assert.match((await browser.get("/application")).html, /Write to the vetting team/);
    const sent = await browser.post("/application/messages", { message: "I will be away next week." });
    assert.equal(sent.response.status, 303);
    const reply = await testApp.db.caseReply.findFirstOrThrow({ where: { caseId: vettingCase.id } });
    assert.equal(reply.answersDecisionId, null);
    const emails = await deliverQueuedEmails(testApp, smtp);
    assert.deepEqual(emails.map((email) => email.to[0]).sort(), agents.map((agent) => agent.email).sort());
    for (const email of emails) {
      assert.match(email.subject, new RegExp(`New message on case ${formatCaseNumber(vettingCase.number)}`));
      assert.match(email.text.replace(/\s+/g, " "), /has no assignee/);
    }
  });
});

describe("who sees the conversation", () => {
  test("an applicant sees only their own case's messages, never internal comments, and cannot post to another case", async () => {
    const first = await caseWithConversation({ email: "first@example.org", tag: "first" });
    const second = await caseWithConversation({ email: "second@example.org", tag: "second" });
    await second.browser.post("/application/messages", { message: "Reply from the second applicant" });
    await first.browser.post("/application/messages", { message: "Reply from the first applicant" });

    const firstPage = (await first.browser.get("/application")).html;
    assert.match(firstPage, /Reply from the first applicant/);
    assert.match(firstPage, /Visible note first/);
    for (const foreign of [
      "Reply from the second applicant",
      "Visible note second",
      "Who referred you? (second)",
      "Internal note first",
    ]) {
      assert.equal(firstPage.includes(foreign), false, foreign);
    }
    // The reply address carries no case: a posted case id changes nothing.
    await first.browser.post("/application/messages", { message: "Sneaky", caseId: second.id });
    assert.equal(await testApp.db.caseReply.count({ where: { caseId: second.id, body: "Sneaky" } }), 0);
    assert.equal(await testApp.db.caseReply.count({ where: { caseId: first.id, body: "Sneaky" } }), 1);

    // Without an applicant session there is no conversation at all.
    const anonymous = await fetch(`${testApp.baseUrl}/application`, { redirect: "manual" });
    assert.notEqual(anonymous.status, 200);
    assert.doesNotMatch(await anonymous.text(), /Reply from/);
  });

  test("a staff member with a conflict of interest does not see the conversation", async () => {
    const vettingCase = await caseWithConversation({ email: "c@example.org", tag: "conflicted" });
    await vettingCase.browser.post("/application/messages", { message: "Private answer" });
    const staff = await signedInStaffBrowser(testApp, "VETTING_AGENT");
    await testApp.db.caseConflict.create({
      data: { caseId: vettingCase.id, staffUserId: staff.id, declaredById: staff.id, reason: "Friend" },
    });
    const page = await (await staff.get(`/staff/cases/${vettingCase.id}`)).text();
    assert.doesNotMatch(page, /Private answer|Visible note conflicted|Conversation with the applicant/);
  });
});

describe("what a reply may be, and when", () => {
  test("empty, too long or with direction overrides: 422 with the text kept, nothing saved or sent", async () => {
    const vettingCase = await createCase();
    const browser = await applicantBrowser(vettingCase.id);
    const empty = await browser.post("/application/messages", { message: "   " });
    assert.equal(empty.response.status, 422);
    assert.match(empty.html, /Write your message\./);
    const long = "x".repeat(4001);
    const tooLong = await browser.post("/application/messages", { message: long });
    assert.equal(tooLong.response.status, 422);
    assert.match(tooLong.html, /Use at most 4000 characters\./);
    assert.match(tooLong.html, new RegExp(`>${long}</textarea>`), "what was typed is kept");
    const override = await browser.post("/application/messages", { message: "abc\u202Edef" });
    assert.equal(override.response.status, 422);
    assert.equal(await testApp.db.caseReply.count(), 0);
    assert.equal(await testApp.db.outboxMessage.count(), 0);
  });

  for (const state of ["APPROVED", "REJECTED", "WITHDRAWN", "CLOSED"] as const) {
    test(`a case ${state.toLowerCase()} takes no reply (409) and offers no form`, async () => {
      const vettingCase = await createCase({ state });
      const browser = await applicantBrowser(vettingCase.id);
      assert.doesNotMatch((await browser.get("/application")).html, /action="\/application\/messages"/);
      const refused = await browser.post("/application/messages", { message: "Hello?" });
      assert.equal(refused.response.status, 409);
      assert.match(refused.html, /so messages to the vetting team can no longer be sent from here\./);
      assert.equal(await testApp.db.caseReply.count(), 0);
    });
  }

  test(`more than ${REPLIES_PER_HOUR_PER_CASE} messages an hour are refused (429, Retry-After), the text kept`, async () => {
    const vettingCase = await createCase();
    const browser = await applicantBrowser(vettingCase.id);
    for (let index = 0; index < REPLIES_PER_HOUR_PER_CASE; index += 1) {
      const sent = await browser.post("/application/messages", { message: `Message ${index}` });
      assert.equal(sent.response.status, 303, `message ${index}`);
    }
    const refused = await browser.post("/application/messages", { message: "One too many" });
    assert.equal(refused.response.status, 429);
    assert.ok(Number(refused.response.headers.get("retry-after")) > 0);
    assert.match(refused.html, /You have sent many messages in the last hour\./);
    assert.match(refused.html, />One too many<\/textarea>/);
    assert.equal(await testApp.db.caseReply.count(), REPLIES_PER_HOUR_PER_CASE);
    // The count lives in Postgres, shared by every instance.
    assert.ok(
      (await testApp.db.rateLimit.count({ where: { key: { startsWith: "applicant_reply_case" } } })) > 0,
    );
  });

  test("without the CSRF token: 403 and nothing saved", async () => {
    const vettingCase = await createCase();
    const browser = await applicantBrowser(vettingCase.id);
    const response = await fetch(`${testApp.baseUrl}/application/messages`, {
      method: "POST",
      redirect: "manual",
      headers: {
        cookie: browser.cookieHeader(),
        "content-type": "application/x-www-form-urlencoded",
        origin: testApp.baseUrl,
      },
      body: new URLSearchParams({ message: "No token" }).toString(),
    });
    assert.equal(response.status, 403);
    assert.equal(await testApp.db.caseReply.count(), 0);
  });
});
