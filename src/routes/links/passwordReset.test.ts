import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { verifyPassword } from "../../domain/password.js";
import { totpCodeAt } from "../../domain/totp.js";
import { startTestApp, type TestApp } from "../../test/app.js";
import { deliverQueuedEmails, linkPathIn, TestBrowser } from "../../test/browser.js";
import { runQueuedJobs } from "../../test/jobs.js";
import { startTestSmtpServer, type TestSmtpServer } from "../../test/smtp.js";
import { createStaffMember, signedInCookie } from "../../test/staff.js";

let testApp: TestApp;
let smtp: TestSmtpServer;
before(async () => {
  testApp = await startTestApp();
  smtp = await startTestSmtpServer({ tls: "none" });
});
after(async () => {
  await smtp.close();
  await testApp.close();
});
beforeEach(async () => {
  await testApp.db.$executeRawUnsafe("TRUNCATE rate_limits");
});

const browser = () => new TestBrowser(testApp.baseUrl);
const NEW_PASSWORD = "violet harbour lanterns drift";

/** The page without what differs per request (CSRF token, nonce, request id). */
function comparable(html: string): string {
  return html
    .replace(/value="[^"]*"/g, 'value=""')
    .replace(/nonce="[^"]*"/g, "")
    .replace(/<code>[^<]*<\/code>/g, "");
}

async function requestLink(email: string) {
  const page = browser();
  await page.get("/staff/password-reset");
  const answer = await page.post("/staff/password-reset", { email });
  // The request only enqueues the lookup (src/jobs/sendRequestedLink.ts); run it as the worker would.
  await runQueuedJobs(testApp, "send_requested_link");
  return answer;
}

describe("asking for a password reset link", () => {
  test("the page answers the same for an unknown and a known address; only the account gets mail", async () => {
    const member = await createStaffMember(testApp.db, testApp.config, {
      role: "VETTING_AGENT",
      name: "Rita Reset",
    });
    const form = await browser().get("/staff/password-reset");
    assert.equal(form.response.status, 200);
    assert.equal(form.response.headers.get("cache-control"), "no-store");

    const unknown = await requestLink("nobody@example.org");
    const known = await requestLink(member.email.toUpperCase());
    assert.equal(unknown.response.status, 200);
    assert.equal(known.response.status, 200);
    assert.match(known.html, /If an account exists for that address, we have sent a link/);
    assert.equal(comparable(known.html), comparable(unknown.html));

    const outbox = await testApp.db.outboxMessage.findMany();
    assert.deepEqual(
      outbox.map((row) => ({
        kind: row.kind,
        recipient: row.recipient,
        payload: row.payload,
        linkSubjectType: row.linkSubjectType,
        linkSubjectId: row.linkSubjectId,
      })),
      [
        {
          kind: "password_reset",
          recipient: member.email,
          payload: { staffName: "Rita Reset" },
          linkSubjectType: "staff_user",
          linkSubjectId: member.id,
        },
      ],
    );
    const audit = await testApp.db.auditEvent.findMany({
      where: { action: "staff.password_reset_requested" },
    });
    assert.deepEqual(
      audit.map((row) => ({ subjectId: row.subjectId, actorLabel: row.actorLabel })),
      [{ subjectId: member.id, actorLabel: "password reset form" }],
    );
    await testApp.db.$executeRawUnsafe(
      "TRUNCATE outbox_messages, link_tokens, graphile_worker._private_jobs CASCADE",
    );
  });

  test("an address gets at most 3 links an hour; the page still says the same", async () => {
    const member = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
    for (let request = 1; request <= 5; request += 1) {
      const { response } = await requestLink(member.email);
      assert.equal(response.status, 200);
    }
    assert.equal(await testApp.db.outboxMessage.count({ where: { recipient: member.email } }), 3);
    await testApp.db.$executeRawUnsafe(
      "TRUNCATE outbox_messages, link_tokens, graphile_worker._private_jobs CASCADE",
    );
  });
});

describe("the emailed password reset link", () => {
  test("GET shows the form without using the link; POST sets the password once and ends every session", async () => {
    const member = await createStaffMember(testApp.db, testApp.config, {
      role: "SERVER_ADMIN",
      name: "Rob Reset",
    });
    const otherDeviceCookie = await signedInCookie(testApp.db, testApp.config, member.id);
    await requestLink(member.email);
    const [email] = await deliverQueuedEmails(testApp, smtp);
    assert.ok(email);
    assert.deepEqual(email.to, [member.email]);
    assert.equal(email.subject, "Reset your password — Vetting Portal");
    const linkPath = linkPathIn(email, testApp.config.http.publicUrl);
    assert.match(linkPath, /^\/staff\/password-reset\/[A-Za-z0-9_-]{43}$/);

    const page = browser();
    const first = await page.get(linkPath);
    const second = await page.get(linkPath);
    assert.equal(first.response.status, 200);
    assert.equal(second.response.status, 200, "visiting twice uses nothing up");
    assert.equal(first.response.headers.get("cache-control"), "no-store");
    assert.match(first.html, /data-strength-meter="password-strength"/);
    assert.match(
      first.html,
      /<script src="\/static\/js\/password-strength\.[0-9a-f]{12}\.js" nonce="[^"]+" defer><\/script>/,
    );

    const weak = await page.post(linkPath, {
      password: "password1234",
      passwordConfirmation: "password1234",
    });
    assert.equal(weak.response.status, 422);
    assert.match(weak.html, /This password is too common/);
    const mismatch = await page.post(linkPath, {
      password: NEW_PASSWORD,
      passwordConfirmation: "something else",
    });
    assert.equal(mismatch.response.status, 422);
    assert.match(mismatch.html, /The two passwords are not the same/);

    const done = await page.post(linkPath, { password: NEW_PASSWORD, passwordConfirmation: NEW_PASSWORD });
    assert.equal(done.response.status, 303);
    assert.equal(done.response.headers.get("location"), "/staff/sign-in?reset=done");
    const person = await testApp.db.staffUser.findUniqueOrThrow({ where: { id: member.id } });
    assert.ok(await verifyPassword(person.passwordHash ?? "", NEW_PASSWORD));
    assert.equal(await testApp.db.staffSession.count({ where: { staffUserId: member.id } }), 0);
    const otherDevice = await fetch(`${testApp.baseUrl}/staff`, {
      headers: { cookie: otherDeviceCookie },
      redirect: "manual",
    });
    assert.equal(otherDevice.status, 303, "the other device is signed out");
    const [audit] = await testApp.db.auditEvent.findMany({
      where: { action: "staff.password_reset", subjectId: member.id },
    });
    assert.deepEqual(audit?.details, { sessionsEnded: 1 });
    // The owner is told that the password changed (the reset link said nothing had happened yet).
    const [told] = await deliverQueuedEmails(testApp, smtp);
    assert.deepEqual(told?.to, [member.email]);
    assert.equal(told?.subject, "Your password was reset — Vetting Portal");
    assert.match(told?.text ?? "", /was reset through a\s+password reset link at/);
    assert.ok(!told?.text.includes(NEW_PASSWORD), "no password in it");

    const signInPage = await page.get("/staff/sign-in?reset=done");
    assert.match(signInPage.html, /Your new password is in place/);

    const reused = await browser().get(linkPath);
    assert.equal(reused.response.status, 404);
    assert.match(reused.html, /This link has already been used/);
    assert.match(reused.html, /Ask for a fresh link/);
    const reusedPost = await page.post(linkPath, {
      password: "another long passphrase here",
      passwordConfirmation: "another long passphrase here",
    });
    assert.equal(reusedPost.response.status, 404);
    const unchanged = await testApp.db.staffUser.findUniqueOrThrow({ where: { id: member.id } });
    assert.equal(unchanged.passwordHash, person.passwordHash);

    // The new password still needs the second factor.
    const signIn = browser();
    await signIn.get("/staff/sign-in");
    const step1 = await signIn.post("/staff/sign-in", { email: member.email, password: NEW_PASSWORD });
    assert.equal(step1.response.headers.get("location"), "/staff/sign-in/verify");
    assert.equal((await signIn.get("/staff")).response.status, 303);
    await signIn.get("/staff/sign-in/verify");
    const step2 = await signIn.post("/staff/sign-in/verify", {
      code: totpCodeAt(member.totpSecret, new Date()),
    });
    assert.equal(step2.response.status, 303);
    assert.equal((await signIn.get("/staff")).response.status, 200);
  });

  test("an unknown link gets the page offering a fresh one", async () => {
    const { response, html } = await browser().get(`/staff/password-reset/${"x".repeat(43)}`);
    assert.equal(response.status, 404);
    assert.match(html, /This link is not valid/);
    assert.match(html, /href="\/staff\/password-reset">Ask for a fresh link/);
  });
});
