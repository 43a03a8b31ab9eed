// Standalone registration tokens with four eyes (issue 18), through the real app, real Postgres, the fake
// Synapse over real HTTP and a real SMTP server on loopback: the form makes a request (no token, no call
// to the homeserver, the other admins emailed); the requester cannot approve it; another inviting admin
// approves and the token is minted, created by the job and revealed through the person's email; two
// approvers racing make one token; a rejection makes none and tells the person nothing; the requester
// withdraws; the per-admin limits count requests; STANDALONE_TOKENS=off and no homeserver.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { issueRegistrationToken } from "../../jobs/issueRegistrationToken.js";
import { createSynapseAdmin } from "../../matrix/synapseAdmin.js";
import { openRegistrationToken } from "../../matrix/tokenSecrets.js";
import { startTestApp, type TestApp } from "../../test/app.js";
import { deliverQueuedEmails, linkPathIn, TestBrowser } from "../../test/browser.js";
import { type FakeSynapse, startFakeSynapse } from "../../test/fakeSynapse.js";
import { truncateTables } from "../../test/reset.js";
import { startTestSmtpServer, type TestSmtpServer } from "../../test/smtp.js";
import {
  createStaffMember,
  type SignedInStaffBrowser,
  signedInCookie,
  signedInStaffBrowser,
} from "../../test/staff.js";

const FORM = "/staff/registration-tokens/new";
const TOKENS = "/staff/registration-tokens";
const decisionPath = (id: string) => `/staff/registration-tokens/requests/${id}/decision`;
const cancelPath = (id: string) => `/staff/registration-tokens/requests/${id}/cancel`;
const GRACE = {
  name: "Grace Guest",
  email: "Grace@Example.org",
  note: "Speaker at the <em>spring</em> meetup.",
};

let testApp: TestApp;
let synapse: FakeSynapse;
let smtp: TestSmtpServer;
/** Asks for tokens. */
let requester: SignedInStaffBrowser;
/** May approve: another inviting admin. */
let approver: SignedInStaffBrowser;

before(async () => {
  synapse = await startFakeSynapse();
  smtp = await startTestSmtpServer({ tls: "none" });
  testApp = await startTestApp({ env: { ...synapse.environment(), MATRIX_REQUEST_TIMEOUT_MS: "2000" } });
});
after(async () => {
  await testApp.close();
  await smtp.close();
  await synapse.close();
});
beforeEach(async () => {
  await truncateTables(testApp.db, [
    "registration_token_requests",
    "registration_tokens",
    "link_tokens",
    "outbox_messages",
    "audit_events",
    "staff_sessions",
    "staff_users",
    "rate_limits",
    "graphile_worker._private_jobs",
  ]);
  synapse.reset();
  smtp.messages.length = 0;
  requester = await signedInStaffBrowser(testApp, "INVITING_ADMIN", "Rhea Requester");
  approver = await signedInStaffBrowser(testApp, "INVITING_ADMIN", "Ira Inviting");
});

/** Asks for Grace's token through the form, as the requester; returns the request's id. */
async function askForGrace(browser = requester): Promise<string> {
  const response = await browser.post(FORM, GRACE);
  assert.equal(response.status, 303);
  const request = await testApp.db.registrationTokenRequest.findFirstOrThrow({
    orderBy: { requestedAt: "desc" },
    select: { id: true },
  });
  return request.id;
}

async function tokensPage(browser: SignedInStaffBrowser) {
  const response = await browser.get(TOKENS);
  assert.equal(response.status, 200);
  return response.text();
}

/** The pending request's entry on the tokens page. */
function requestEntry(html: string, requestId: string): string {
  const entry = new RegExp(`<li class="case-entry" id="request-${requestId}">([\\s\\S]*?)</li>`).exec(html);
  assert.ok(entry?.[1], `no entry for request ${requestId}`);
  return entry[1];
}

async function runIssueJobs(): Promise<void> {
  const matrix = testApp.config.matrix ?? assert.fail("matrix is configured");
  for (const { id } of await testApp.db.registrationToken.findMany({ select: { id: true } })) {
    await issueRegistrationToken(
      { config: testApp.config, db: testApp.db, logger: testApp.logger, synapse: createSynapseAdmin(matrix) },
      id,
    );
  }
}

describe("asking for a token for someone without a case", () => {
  test("makes a request: no token, nothing sent to the homeserver or the person, the other admins emailed", async () => {
    const serverAdmin = await createStaffMember(testApp.db, testApp.config, {
      role: "SERVER_ADMIN",
      name: "Sam Server",
    });
    const superadmin = await createStaffMember(testApp.db, testApp.config, {
      role: "SUPERADMIN",
      name: "Sue Super",
    });
    await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT", name: "Val Vetter" });
    await createStaffMember(testApp.db, testApp.config, {
      role: "INVITING_ADMIN",
      name: "Dora Disabled",
      status: "DISABLED",
    });

    const form = await requester.get(FORM);
    assert.equal(form.status, 200);
    const formHtml = await form.text();
    assert.match(formHtml, /<h1>Ask for a registration token<\/h1>/);
    assert.match(formHtml, /your request waits until another inviting admin \(or above\) approves it/);

    const response = await requester.post(FORM, GRACE);
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), `${FORM}?done=requested`);
    const notice = await (await requester.get(`${FORM}?done=requested`)).text();
    assert.match(notice, /Your request waits for a second admin\./);

    const request = await testApp.db.registrationTokenRequest.findFirstOrThrow();
    assert.deepEqual(
      [request.personName, request.personEmail, request.note, request.status, request.requestedById],
      ["Grace Guest", "grace@example.org", GRACE.note, "PENDING", requester.id],
    );
    assert.equal(request.registrationTokenId, null);
    assert.equal(await testApp.db.registrationToken.count(), 0);
    assert.equal(synapse.requests.length, 0, "nothing asked of the homeserver");

    // Audited with ids only: nothing of the person in the append-only log.
    const audit = await testApp.db.auditEvent.findMany({
      where: { action: { startsWith: "matrix_token." } },
      select: { action: true, actorId: true, subjectType: true, subjectId: true, details: true },
    });
    assert.deepEqual(audit, [
      {
        action: "matrix_token.request_submitted",
        actorId: requester.id,
        subjectType: "registration_token_request",
        subjectId: request.id,
        details: {},
      },
    ]);

    // Every active inviting admin and up but the requester; never the person.
    const emails = await deliverQueuedEmails(testApp, smtp);
    const approverAddress = (await testApp.db.staffUser.findUniqueOrThrow({ where: { id: approver.id } }))
      .email;
    assert.deepEqual(
      emails.map((email) => email.to[0]).sort(),
      [approverAddress, serverAdmin.email, superadmin.email].sort(),
    );
    const approverEmail = emails.find((email) => email.to[0] === approverAddress);
    assert.ok(approverEmail);
    assert.equal(approverEmail.subject, "A registration token waits for your approval — Vetting Portal");
    assert.match(approverEmail.text, /Hello Ira Inviting,/);
    assert.match(approverEmail.text, /Rhea Requester asks for a Matrix registration token for Grace Guest,/);
    assert.ok(approverEmail.text.includes("http://127.0.0.1:3000/staff/registration-tokens"));
    assert.ok(!emails.some((email) => email.raw.includes("grace@example.org")));

    // The tokens page: the request waits; the requester may withdraw it, the other admin decide it.
    const requesterPage = requestEntry(await tokensPage(requester), request.id);
    assert.match(requesterPage, /Grace Guest/);
    assert.match(requesterPage, /grace@example.org/);
    assert.match(requesterPage, /Speaker at the &lt;em&gt;spring&lt;\/em&gt; meetup\./);
    assert.match(requesterPage, /Rhea Requester \(you\)/);
    assert.match(requesterPage, /it waits for another inviting admin \(or above\) to approve it/);
    assert.match(requesterPage, /Withdraw the request/);
    assert.ok(!requesterPage.includes('value="approve"'));
    const approverPage = requestEntry(await tokensPage(approver), request.id);
    assert.ok(approverPage.includes(`action="${decisionPath(request.id)}"`));
    assert.ok(approverPage.includes('value="approve"') && approverPage.includes('value="reject"'));
    assert.ok(!approverPage.includes("Withdraw the request"));
  });

  test("with nobody else to approve it, the request is made and the notice says it waits for someone", async () => {
    await testApp.db.staffUser.update({ where: { id: approver.id }, data: { status: "DISABLED" } });
    const response = await requester.post(FORM, GRACE);
    assert.equal(response.headers.get("location"), `${FORM}?done=requested_alone`);
    assert.match(
      await (await requester.get(`${FORM}?done=requested_alone`)).text(),
      /There is no other active inviting admin \(or above\) to approve it at the moment/,
    );
    assert.equal(await testApp.db.registrationTokenRequest.count(), 1);
    assert.equal(await testApp.db.outboxMessage.count(), 0);
  });

  test("vetting agents may not ask (403), and a bad form is shown again with its messages", async () => {
    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT");
    assert.equal((await agent.get(FORM)).status, 403);
    assert.equal((await agent.post(FORM, GRACE)).status, 403);
    const invalid = await requester.post(FORM, { name: "", email: "nope", note: "" });
    assert.equal(invalid.status, 422);
    const html = await invalid.text();
    assert.match(html, /Enter the person’s name\./);
    assert.match(html, /Enter an email address like name@example.org\./);
    assert.equal(await testApp.db.registrationTokenRequest.count(), 0);
    assert.equal(await testApp.db.outboxMessage.count(), 0);
  });

  test("the limits count requests: the 6th of an hour and the 21st of a day are refused, nothing written", async () => {
    const ask = (browser: SignedInStaffBrowser, index: number) =>
      browser.post(FORM, { name: `Guest ${index}`, email: `guest${index}@example.org`, note: "" });
    for (let index = 1; index <= 5; index += 1) {
      assert.equal((await ask(requester, index)).status, 303, `request ${index}`);
    }
    const sixth = await ask(requester, 6);
    assert.equal(sixth.status, 429);
    assert.ok(Number(sixth.headers.get("retry-after")) > 0);
    assert.match(await sixth.text(), /You have asked for 5 registration tokens in the last hour/);
    assert.equal(await testApp.db.registrationTokenRequest.count(), 5);

    // Another admin has their own allowance: 5 in each of four hours (the hourly window made to end
    // between them), and the 21st of the day is refused by the daily limit.
    for (let index = 1; index <= 20; index += 1) {
      if (index % 5 === 1) {
        await testApp.db.$executeRaw`
          UPDATE rate_limits SET expire = ${BigInt(Date.now() - 1)}
           WHERE key = ${`matrix_token_admin_hour:${approver.id}`}`;
      }
      assert.equal((await ask(approver, 100 + index)).status, 303, `request ${index} of the day`);
    }
    await testApp.db.$executeRaw`
      UPDATE rate_limits SET expire = ${BigInt(Date.now() - 1)} WHERE key = ${`matrix_token_admin_hour:${approver.id}`}`;
    const twentyFirst = await ask(approver, 121);
    assert.equal(twentyFirst.status, 429);
    assert.match(await twentyFirst.text(), /You have asked for 20 registration tokens in the last 24 hours/);
    assert.equal(await testApp.db.registrationTokenRequest.count(), 25);
    assert.equal(await testApp.db.registrationToken.count(), 0);

    // Approving is not asking: the requester, past their hourly limit, still approves.
    const theirs = await testApp.db.registrationTokenRequest.findFirstOrThrow({
      where: { requestedById: approver.id },
      select: { id: true },
    });
    assert.equal((await requester.post(decisionPath(theirs.id), { decision: "approve" })).status, 303);
    assert.equal(await testApp.db.registrationToken.count(), 1);
  });
});

describe("deciding a request", () => {
  test("the requester cannot approve or reject their own request (403), and nothing is minted", async () => {
    const requestId = await askForGrace();
    for (const decision of ["approve", "reject"]) {
      const response = await requester.post(decisionPath(requestId), { decision, note: "" });
      assert.equal(response.status, 403, decision);
    }
    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT");
    assert.equal((await agent.get(TOKENS)).status, 403);
    assert.equal((await agent.post(decisionPath(requestId), { decision: "approve" })).status, 403);
    assert.equal((await agent.post(cancelPath(requestId))).status, 403);
    assert.equal((await approver.post(cancelPath(requestId))).status, 403, "only the requester withdraws");

    const request = await testApp.db.registrationTokenRequest.findUniqueOrThrow({ where: { id: requestId } });
    assert.equal(request.status, "PENDING");
    assert.equal(await testApp.db.registrationToken.count(), 0);
    assert.equal(synapse.requests.length, 0);
  });

  test("another inviting admin approves: the token is minted, created on the homeserver, and revealed to the person", async () => {
    const requestId = await askForGrace();
    const response = await approver.post(decisionPath(requestId), {
      decision: "approve",
      note: "I know her from the meetup.",
    });
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), `${TOKENS}?done=approved`);

    const token = await testApp.db.registrationToken.findFirstOrThrow();
    assert.deepEqual(
      [token.caseId, token.personName, token.personEmail, token.note, token.state, token.createdById],
      [null, "Grace Guest", "grace@example.org", GRACE.note, "PENDING", approver.id],
    );
    const request = await testApp.db.registrationTokenRequest.findUniqueOrThrow({ where: { id: requestId } });
    assert.deepEqual(
      [request.status, request.decidedById, request.decisionNote, request.registrationTokenId],
      ["APPROVED", approver.id, "I know her from the meetup.", token.id],
    );
    assert.ok(request.decidedAt);
    const audit = await testApp.db.auditEvent.findMany({
      where: { action: { in: ["matrix_token.requested", "matrix_token.request_approved"] } },
      orderBy: { id: "asc" },
      select: { action: true, actorId: true, subjectId: true, details: true },
    });
    assert.deepEqual(audit, [
      {
        action: "matrix_token.requested",
        actorId: approver.id,
        subjectId: token.id,
        details: { caseId: null, replacesId: null },
      },
      {
        action: "matrix_token.request_approved",
        actorId: approver.id,
        subjectId: requestId,
        details: { requestedById: requester.id, registrationTokenId: token.id },
      },
    ]);

    // The job creates it on the homeserver, with the string we sealed.
    await runIssueJobs();
    const tokenString = openRegistrationToken(testApp.config.staff.totpKey, token.tokenSealed);
    assert.ok(synapse.token(tokenString), "created on the homeserver");

    // The approvers' emails not yet sent were cancelled; the person gets the reveal link, not the token.
    assert.deepEqual(
      (await testApp.db.outboxMessage.findMany({ where: { kind: "approval_needed" } })).map((m) => m.status),
      ["CANCELLED"],
    );
    const [email, ...more] = await deliverQueuedEmails(testApp, smtp);
    assert.equal(more.length, 0);
    assert.ok(email);
    assert.deepEqual(email.to, ["grace@example.org"]);
    assert.equal(email.subject, "Your invitation to the community — Vetting Portal");
    assert.ok(!email.raw.includes(tokenString));
    const person = new TestBrowser(testApp.baseUrl);
    const linkPath = linkPathIn(email, testApp.config.http.publicUrl);
    await person.get(linkPath);
    const revealed = await person.post(linkPath, {});
    assert.equal(
      /<code class="totp-secret" id="registration-token">([^<]+)<\/code>/.exec(revealed.html)?.[1],
      tokenString,
    );

    // The tokens page: no longer waiting; the token names who approved it and who asked.
    const html = await tokensPage(requester);
    assert.ok(!html.includes(`id="request-${requestId}"`));
    assert.match(html, /Ira Inviting<br><span class="records-table__small">asked by Rhea Requester<\/span>/);
  });

  test("two admins approving at once make one token; the other is told on the page (409)", async () => {
    const second = await signedInStaffBrowser(testApp, "SERVER_ADMIN", "Sam Server");
    for (let round = 0; round < 3; round += 1) {
      const requestId = await askForGrace();
      const responses = await Promise.all(
        [approver, second].map((browser) => browser.post(decisionPath(requestId), { decision: "approve" })),
      );
      assert.deepEqual(responses.map((response) => response.status).sort(), [303, 409], `round ${round}`);
      const refused = responses.find((response) => response.status === 409);
      assert.match(await (refused?.text() ?? ""), /This request was already decided by another admin/);
      assert.equal(
        await testApp.db.registrationToken.count({ where: { request: { id: requestId } } }),
        1,
        `round ${round}`,
      );
    }
    assert.equal(await testApp.db.registrationToken.count(), 3);
    assert.equal(
      await testApp.db.auditEvent.count({ where: { action: "matrix_token.request_approved" } }),
      3,
    );
    assert.equal(await testApp.db.outboxMessage.count({ where: { kind: "registration_token_ready" } }), 3);
  });

  test("a rejection records the note, makes no token, and the person is never emailed", async () => {
    const requestId = await askForGrace();
    // A note too long: the page again with the message beside the note, nothing decided.
    const tooLong = await approver.post(decisionPath(requestId), {
      decision: "reject",
      note: "x".repeat(1001),
    });
    assert.equal(tooLong.status, 422);
    const tooLongHtml = await tooLong.text();
    assert.match(tooLongHtml, /<title>Error: Registration tokens/);
    assert.match(requestEntry(tooLongHtml, requestId), /Use at most 1000 characters\./);
    assert.equal(
      (await testApp.db.registrationTokenRequest.findUniqueOrThrow({ where: { id: requestId } })).status,
      "PENDING",
    );

    const response = await approver.post(decisionPath(requestId), {
      decision: "reject",
      note: "Nobody here knows her.",
    });
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), `${TOKENS}?done=rejected`);
    const request = await testApp.db.registrationTokenRequest.findUniqueOrThrow({ where: { id: requestId } });
    assert.deepEqual(
      [request.status, request.decidedById, request.decisionNote, request.registrationTokenId],
      ["REJECTED", approver.id, "Nobody here knows her.", null],
    );
    assert.equal(await testApp.db.registrationToken.count(), 0);
    assert.equal(synapse.requests.length, 0);
    const audit = await testApp.db.auditEvent.findFirstOrThrow({
      where: { action: "matrix_token.request_rejected" },
    });
    assert.deepEqual(
      [audit.actorId, audit.subjectId, audit.details],
      [approver.id, requestId, { requestedById: requester.id }],
    );
    // Nothing to the person, ever; the approvers' unsent emails are cancelled.
    assert.deepEqual(await deliverQueuedEmails(testApp, smtp), []);
    assert.equal(await testApp.db.outboxMessage.count({ where: { recipient: "grace@example.org" } }), 0);

    // The requester sees the outcome and the note; approving it now is a conflict shown on the page.
    const html = await (await requester.get(`${TOKENS}?done=rejected`)).text();
    assert.match(html, /The request was rejected\./);
    assert.match(html, /Rejected by Ira Inviting/);
    assert.match(html, /Nobody here knows her\./);
    const late = await approver.post(decisionPath(requestId), { decision: "approve" });
    assert.equal(late.status, 409);
    assert.match(await late.text(), /already decided by another admin, or withdrawn/);
    assert.equal(await testApp.db.registrationToken.count(), 0);
  });

  test("the requester withdraws a request; it can then be neither approved nor withdrawn again", async () => {
    const requestId = await askForGrace();
    const response = await requester.post(cancelPath(requestId));
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), `${TOKENS}?done=cancelled`);
    const request = await testApp.db.registrationTokenRequest.findUniqueOrThrow({ where: { id: requestId } });
    assert.deepEqual([request.status, request.decidedById], ["CANCELLED", requester.id]);
    assert.ok(request.decidedAt);
    assert.equal(
      await testApp.db.auditEvent.count({
        where: { action: "matrix_token.request_cancelled", actorId: requester.id, subjectId: requestId },
      }),
      1,
    );
    assert.deepEqual(
      (await testApp.db.outboxMessage.findMany({ where: { kind: "approval_needed" } })).map((m) => m.status),
      ["CANCELLED"],
    );
    assert.match(await (await requester.get(TOKENS)).text(), /Withdrawn by Rhea Requester/);
    assert.equal((await approver.post(decisionPath(requestId), { decision: "approve" })).status, 409);
    assert.equal((await requester.post(cancelPath(requestId))).status, 409);
    assert.equal(await testApp.db.registrationToken.count(), 0);
  });

  test("a decision without the CSRF token changes nothing", async () => {
    const requestId = await askForGrace();
    const response = await fetch(`${testApp.baseUrl}${decisionPath(requestId)}`, {
      method: "POST",
      redirect: "manual",
      headers: {
        cookie: approver.cookie,
        "content-type": "application/x-www-form-urlencoded",
        origin: testApp.baseUrl,
      },
      body: "decision=approve",
    });
    assert.equal(response.status, 403);
    assert.equal(await testApp.db.registrationToken.count(), 0);
    assert.equal(
      (await testApp.db.registrationTokenRequest.findUniqueOrThrow({ where: { id: requestId } })).status,
      "PENDING",
    );
  });
});

describe("switched off", () => {
  test("STANDALONE_TOKENS=off: no form (404) and no link to it; waiting requests can be rejected, not approved", async () => {
    const requestId = await askForGrace();
    const second = await askForGrace();
    const off = await startTestApp({
      databaseUrl: testApp.databaseUrl,
      env: { ...synapse.environment(), STANDALONE_TOKENS: "off" },
    });
    try {
      const admin = await signedInStaffBrowser(off, "INVITING_ADMIN", "Otto Off");
      const form = await admin.get(FORM);
      assert.equal(form.status, 404);
      const formHtml = await form.text();
      assert.match(formHtml, /Tokens for people without a case are switched off/);
      assert.ok(!formHtml.includes('name="email"'));
      const post = await admin.post(FORM, GRACE);
      assert.equal(post.status, 404);
      assert.equal(await off.db.registrationTokenRequest.count(), 2);

      const page = await admin.get(TOKENS);
      assert.equal(page.status, 200);
      const html = await page.text();
      assert.ok(!html.includes(`href="${FORM}"`), "the tokens page no longer links the form");
      assert.match(
        html,
        /switched off here \(STANDALONE_TOKENS=off\), so waiting requests can no longer be approved/,
      );
      const entry = requestEntry(html, requestId);
      assert.ok(!entry.includes('value="approve"'));
      assert.ok(entry.includes('value="reject"'));

      const approve = await admin.post(decisionPath(requestId), { decision: "approve" });
      assert.equal(approve.status, 409);
      assert.match(await approve.text(), /STANDALONE_TOKENS=off/);
      assert.equal(await off.db.registrationToken.count(), 0);
      assert.equal((await admin.post(decisionPath(requestId), { decision: "reject" })).status, 303);
      // The requester may still withdraw theirs.
      const requesterOnOff = new TestBrowser(off.baseUrl);
      const [cookieName = "", cookieValue = ""] = (
        await signedInCookie(off.db, off.config, requester.id)
      ).split("=");
      requesterOnOff.cookies.set(cookieName, cookieValue);
      assert.match(requestEntry((await requesterOnOff.get(TOKENS)).html, second), /Withdraw the request/);
      assert.equal((await requesterOnOff.post(cancelPath(second), {})).response.status, 303);
    } finally {
      await off.close();
    }
  });

  test("no homeserver configured: the form says tokens are not issued here, and requests cannot be approved", async () => {
    const requestId = await askForGrace();
    const off = await startTestApp({ databaseUrl: testApp.databaseUrl });
    try {
      const admin = await signedInStaffBrowser(off, "SUPERADMIN");
      const form = await admin.get(FORM);
      assert.equal(form.status, 200);
      assert.match(await form.text(), /Registration tokens are not issued here/);
      assert.equal((await admin.post(FORM, GRACE)).status, 409);
      const html = await (await admin.get(TOKENS)).text();
      assert.ok(!html.includes(`href="${FORM}"`));
      assert.match(
        html,
        /no Matrix homeserver is configured \(MATRIX_HOMESERVER_URL\), so waiting requests cannot be approved/,
      );
      const approve = await admin.post(decisionPath(requestId), { decision: "approve" });
      assert.equal(approve.status, 409);
      assert.equal(await off.db.registrationToken.count(), 0);
      assert.equal(await off.db.registrationTokenRequest.count(), 1);
    } finally {
      await off.close();
    }
  });
});
