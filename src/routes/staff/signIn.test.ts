import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { hashRecoveryCode, newRecoveryCodes } from "../../domain/recoveryCodes.js";
import { totpCodeAt, totpStep } from "../../domain/totp.js";
import { startTestApp, type TestApp } from "../../test/app.js";
import { deliverQueuedEmails, linkPathIn, TestBrowser } from "../../test/browser.js";
import { startTestSmtpServer, type TestSmtpServer } from "../../test/smtp.js";
import { createStaffMember, type TestStaffMember } from "../../test/staff.js";
import { CODE_FAILED_MESSAGE, SIGN_IN_FAILED_MESSAGE, safeNextPath } from "./signIn.js";

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
  // Every test starts with clean brute-force counters (all requests come from 127.0.0.1).
  await testApp.db.$executeRawUnsafe("TRUNCATE rate_limits");
});

const browser = () => new TestBrowser(testApp.baseUrl);
const sessionCookieName = "session";
const escapedFailure = SIGN_IN_FAILED_MESSAGE;

async function submitPassword(page: TestBrowser, member: { email: string; password: string }, next?: string) {
  await page.get(next ? `/staff/sign-in?next=${encodeURIComponent(next)}` : "/staff/sign-in");
  return page.post("/staff/sign-in", {
    email: member.email,
    password: member.password,
    ...(next ? { next } : {}),
  });
}

async function signIn(member: TestStaffMember, next?: string): Promise<TestBrowser> {
  const page = browser();
  const step1 = await submitPassword(page, member, next);
  assert.equal(step1.response.status, 303);
  const verify = await page.get(step1.response.headers.get("location") ?? "");
  assert.equal(verify.response.status, 200);
  const step2 = await page.post("/staff/sign-in/verify", {
    code: totpCodeAt(member.totpSecret, new Date()),
    ...(next ? { next } : {}),
  });
  assert.equal(step2.response.status, 303, step2.html);
  return page;
}

function auditRows(action: string, subjectId?: string) {
  return testApp.db.auditEvent.findMany({
    where: { action, ...(subjectId ? { subjectId } : {}) },
    orderBy: { id: "asc" },
  });
}

describe("where sign-in leads afterwards", () => {
  test("only same-origin paths are accepted as next; anything else gives the staff home", () => {
    assert.equal(safeNextPath("/staff/people?x=1"), "/staff/people?x=1");
    assert.equal(safeNextPath("/staff"), "/staff");
    for (const hostile of [
      "//evil.example",
      "/\\evil.example",
      "https://evil.example",
      "javascript:alert(1)",
      "/staff\n/x",
      "/staff\u0000",
      "staff",
      "",
      undefined,
      ["/staff"],
      `/${"a".repeat(2001)}`,
    ]) {
      assert.equal(safeNextPath(hostile), "/staff", JSON.stringify(hostile));
    }
  });
});

describe("signing in with a password and a code from the authenticator app", () => {
  test("the sign-in pages are never cached and ask for the password, then for a code", async () => {
    const page = browser();
    const { response, html } = await page.get("/staff/sign-in");
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("cache-control"), "no-store");
    assert.match(html, /<h1>Staff sign-in<\/h1>/);
    assert.match(html, /autocomplete="current-password"/);
    const verify = await page.get("/staff/sign-in/verify");
    assert.equal(verify.response.status, 303, "no pending session: back to the first step");
    assert.equal(verify.response.headers.get("location"), "/staff/sign-in");
  });

  test("password, then code: a new session id, the person's name on /staff, and an audit row", async () => {
    const member = await createStaffMember(testApp.db, testApp.config, {
      role: "VETTING_AGENT",
      name: "Vera Verifier",
    });
    const page = browser();
    const step1 = await submitPassword(page, member);
    assert.equal(step1.response.status, 303);
    assert.equal(step1.response.headers.get("location"), "/staff/sign-in/verify");
    const pendingToken = page.cookies.get(sessionCookieName);
    assert.ok(pendingToken);
    const [pending] = await testApp.db.staffSession.findMany({ where: { staffUserId: member.id } });
    assert.ok(pending);
    assert.equal(pending.authenticatedAt, null, "the first step opens nothing yet");
    assert.ok(pending.expiresAt.getTime() - pending.createdAt.getTime() === 5 * 60_000);
    const stillOutside = await page.get("/staff");
    assert.equal(stillOutside.response.status, 303, "a pending session does not open /staff");

    const verifyPage = await page.get("/staff/sign-in/verify");
    assert.equal(verifyPage.response.status, 200);
    assert.equal(verifyPage.response.headers.get("cache-control"), "no-store");
    assert.match(verifyPage.html, /autocomplete="one-time-code"/);
    const now = new Date();
    const step2 = await page.post("/staff/sign-in/verify", { code: totpCodeAt(member.totpSecret, now) });
    assert.equal(step2.response.status, 303);
    assert.equal(step2.response.headers.get("location"), "/staff");
    const fullToken = page.cookies.get(sessionCookieName);
    assert.ok(fullToken && fullToken !== pendingToken, "a new cookie value");

    const sessions = await testApp.db.staffSession.findMany({ where: { staffUserId: member.id } });
    assert.equal(sessions.length, 1, "the pending session was replaced");
    assert.notEqual(sessions[0]?.id, pending.id, "with a new session id");
    assert.ok(sessions[0]?.authenticatedAt);
    const person = await testApp.db.staffUser.findUniqueOrThrow({ where: { id: member.id } });
    assert.ok(person.lastSignInAt);
    assert.ok(person.totpLastUsedStep !== null && person.totpLastUsedStep >= totpStep(now) - 1n);

    const home = await page.get("/staff");
    assert.equal(home.response.status, 200);
    assert.match(home.html, /Signed in as Vera Verifier \(Vetting agent\)/);
    assert.match(
      home.html,
      /<button class="button button--secondary button--small" type="submit">Sign out<\/button>/,
    );

    const [signedIn] = await auditRows("staff.signed_in", member.id);
    assert.equal(signedIn?.actorId, member.id);
    assert.deepEqual(signedIn?.details, { method: "totp", sessionId: sessions[0]?.id });
    assert.match(signedIn?.ipAddress ?? "", /127\.0\.0\.1/);
    assert.equal(signedIn?.userAgent, "TestBrowser/1.0");
  });

  test("a code works once: the same code in a second sign-in is refused and counted", async () => {
    const member = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
    const code = totpCodeAt(member.totpSecret, new Date());
    const first = browser();
    await submitPassword(first, member);
    await first.get("/staff/sign-in/verify");
    assert.equal((await first.post("/staff/sign-in/verify", { code })).response.status, 303);

    const second = browser();
    await submitPassword(second, member);
    await second.get("/staff/sign-in/verify");
    const replay = await second.post("/staff/sign-in/verify", { code });
    assert.equal(replay.response.status, 422);
    assert.ok(replay.html.includes(CODE_FAILED_MESSAGE));
    assert.equal((await second.get("/staff")).response.status, 303, "still signed out");
    const failures = await auditRows("staff.sign_in_failed", member.id);
    assert.deepEqual(
      failures.map((row) => row.details),
      [{ reason: "wrong_code", stage: "second_factor" }],
    );
  });

  test("a recovery code signs in once, is marked used and audited", async () => {
    const member = await createStaffMember(testApp.db, testApp.config, { role: "SERVER_ADMIN" });
    const codes = newRecoveryCodes();
    await testApp.db.recoveryCode.createMany({
      data: codes.map((code) => ({
        staffUserId: member.id,
        codeHash: hashRecoveryCode(testApp.config.staff.totpKey, code),
      })),
    });
    const code = codes[3] ?? "";
    const page = browser();
    await submitPassword(page, member);
    await page.get("/staff/sign-in/verify");
    const used = await page.post("/staff/sign-in/verify", { code: ` ${code.toUpperCase()} ` });
    assert.equal(used.response.status, 303);
    assert.equal((await page.get("/staff")).response.status, 200);
    assert.equal(
      await testApp.db.recoveryCode.count({ where: { staffUserId: member.id, usedAt: { not: null } } }),
      1,
    );
    const [audit] = await auditRows("staff.recovery_code_used", member.id);
    assert.deepEqual(audit?.details, { remaining: 9 });
    const [signedIn] = await auditRows("staff.signed_in", member.id);
    assert.equal((signedIn?.details as { method?: string } | undefined)?.method, "recovery_code");

    const again = browser();
    await submitPassword(again, member);
    await again.get("/staff/sign-in/verify");
    const reused = await again.post("/staff/sign-in/verify", { code });
    assert.equal(reused.response.status, 422);
    assert.ok(reused.html.includes(CODE_FAILED_MESSAGE));
  });

  test("after the code, sign-in goes to a same-site next page, never to another site", async () => {
    const member = await createStaffMember(testApp.db, testApp.config, { role: "SUPERADMIN" });
    const page = browser();
    const step1 = await submitPassword(page, member, "/staff/people?x=1");
    assert.equal(
      step1.response.headers.get("location"),
      "/staff/sign-in/verify?next=%2Fstaff%2Fpeople%3Fx%3D1",
    );
    await page.get(step1.response.headers.get("location") ?? "");
    const step2 = await page.post("/staff/sign-in/verify", {
      code: totpCodeAt(member.totpSecret, new Date()),
      next: "/staff/people?x=1",
    });
    assert.equal(step2.response.headers.get("location"), "/staff/people?x=1");

    const other = await createStaffMember(testApp.db, testApp.config, { role: "SUPERADMIN" });
    const hostile = browser();
    const hostileStep1 = await submitPassword(hostile, other, "//evil.example");
    assert.equal(hostileStep1.response.headers.get("location"), "/staff/sign-in/verify?next=%2Fstaff");
    await hostile.get("/staff/sign-in/verify?next=//evil.example");
    const hostileStep2 = await hostile.post("/staff/sign-in/verify", {
      code: totpCodeAt(other.totpSecret, new Date()),
      next: "//evil.example",
    });
    assert.equal(hostileStep2.response.headers.get("location"), "/staff");
  });
});

describe("failed sign-ins", () => {
  test("unknown address, wrong password and disabled account get the same answer, each audited", async () => {
    const member = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
    const disabled = await createStaffMember(testApp.db, testApp.config, {
      role: "VETTING_AGENT",
      status: "DISABLED",
    });
    const attempts = [
      { email: "nobody@example.org", password: member.password },
      { email: member.email, password: "not the password at all" },
      { email: disabled.email, password: disabled.password },
    ];
    const answers: { status: number; body: string }[] = [];
    for (const attempt of attempts) {
      const page = browser();
      const { response, html } = await submitPassword(page, attempt);
      assert.equal(page.cookies.has(sessionCookieName), false, "no session for a failure");
      answers.push({
        status: response.status,
        // The page differs only in its per-request values (CSRF token, nonce, request id) and the address typed.
        body: html
          .replace(/value="[^"]*"/g, 'value=""')
          .replace(/nonce="[^"]*"/g, "")
          .replace(/<code>[^<]*<\/code>/g, ""),
      });
      assert.ok(html.includes(escapedFailure));
    }
    assert.equal(answers[0]?.status, 422);
    assert.deepEqual(answers[1], answers[0]);
    assert.deepEqual(answers[2], answers[0]);

    const failures = await testApp.db.auditEvent.findMany({
      where: { action: "staff.sign_in_failed" },
      orderBy: { id: "asc" },
      select: { subjectId: true, actorId: true, details: true, ipAddress: true, userAgent: true },
    });
    assert.deepEqual(
      failures.slice(-3).map((row) => ({ ...row, ipAddress: row.ipAddress?.includes("127.0.0.1") })),
      [
        {
          subjectId: null,
          actorId: null,
          details: { reason: "unknown_account", stage: "password", email: "nobody@example.org" },
          ipAddress: true,
          userAgent: "TestBrowser/1.0",
        },
        {
          subjectId: member.id,
          actorId: null,
          details: { reason: "wrong_password", stage: "password" },
          ipAddress: true,
          userAgent: "TestBrowser/1.0",
        },
        {
          subjectId: disabled.id,
          actorId: null,
          details: { reason: "account_disabled", stage: "password" },
          ipAddress: true,
          userAgent: "TestBrowser/1.0",
        },
      ],
    );
    const everything = JSON.stringify(await testApp.db.auditEvent.findMany({ select: { details: true } }));
    assert.ok(!everything.includes("not the password at all"), "never the password");
  });

  test("the 11th failure blocks for an hour (429, Retry-After) and emails the owner a reset link", async () => {
    const member = await createStaffMember(testApp.db, testApp.config, {
      role: "VETTING_AGENT",
      name: "Bea Blocked",
    });
    const page = browser();
    await page.get("/staff/sign-in");
    for (let attempt = 1; attempt <= 10; attempt += 1) {
      const { response } = await page.post("/staff/sign-in", {
        email: member.email,
        password: `wrong ${attempt}`,
      });
      assert.equal(response.status, 422, `attempt ${attempt}`);
    }
    assert.equal(await testApp.db.outboxMessage.count({ where: { kind: "account_blocked" } }), 0);
    const eleventh = await page.post("/staff/sign-in", { email: member.email, password: "wrong 11" });
    assert.equal(eleventh.response.status, 429);
    const retryAfter = Number(eleventh.response.headers.get("retry-after"));
    assert.ok(retryAfter > 3500 && retryAfter <= 3600, `Retry-After ${retryAfter}`);
    assert.match(eleventh.html, /too many failed attempts to sign in/);

    // Blocked means blocked: even the right password is refused now, before it is checked.
    await page.get("/staff/sign-in");
    const rightPassword = await page.post("/staff/sign-in", {
      email: member.email,
      password: member.password,
    });
    assert.equal(rightPassword.response.status, 429);
    assert.equal(page.cookies.has(sessionCookieName), false);

    const [blocked] = await auditRows("staff.account_blocked", member.id);
    assert.deepEqual(blocked?.details, { blockedForSeconds: 3600, ownerNotified: true });
    const outbox = await testApp.db.outboxMessage.findMany({ where: { kind: "account_blocked" } });
    assert.equal(outbox.length, 1, "one email, not one per refused attempt");
    assert.equal(outbox[0]?.recipient, member.email);
    assert.deepEqual(outbox[0]?.payload, { staffName: "Bea Blocked", blockedFor: "1 hour" });

    const [email] = await deliverQueuedEmails(testApp, smtp);
    assert.ok(email);
    assert.deepEqual(email.to, [member.email]);
    assert.equal(email.subject, "Sign-in to your staff account was blocked — Vetting Portal");
    assert.match(email.text, /Hello Bea Blocked,/);
    assert.match(email.text, /signing in is blocked for 1 hour/);
    const linkPath = linkPathIn(email, testApp.config.http.publicUrl);
    assert.match(linkPath, /^\/staff\/password-reset\/[A-Za-z0-9_-]{43}$/);
    const resetPage = await browser().get(linkPath);
    assert.equal(resetPage.response.status, 200);
    assert.match(resetPage.html, /<h1>Choose a new password<\/h1>/);
  });
});

describe("failed second-factor codes", () => {
  test("count like wrong passwords: the 11th blocks, ends the pending session and emails the owner", async () => {
    const member = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
    const page = browser();
    await submitPassword(page, member);
    await page.get("/staff/sign-in/verify");
    for (let attempt = 1; attempt <= 10; attempt += 1) {
      const { response } = await page.post("/staff/sign-in/verify", { code: "000000" });
      assert.equal(response.status, 422, `attempt ${attempt}`);
    }
    const eleventh = await page.post("/staff/sign-in/verify", { code: "000000" });
    assert.equal(eleventh.response.status, 429);
    assert.ok(Number(eleventh.response.headers.get("retry-after")) > 3500);
    assert.equal(await testApp.db.staffSession.count({ where: { staffUserId: member.id } }), 0);
    assert.equal(
      await testApp.db.outboxMessage.count({ where: { kind: "account_blocked", recipient: member.email } }),
      1,
    );
    const failures = await auditRows("staff.sign_in_failed", member.id);
    assert.equal(failures.length, 11);
    await testApp.db.$executeRawUnsafe(
      "TRUNCATE outbox_messages, link_tokens, graphile_worker._private_jobs CASCADE",
    );
  });
});

describe("signing out", () => {
  test("deletes the session, clears the site's data, and the old cookie opens nothing", async () => {
    const member = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
    const page = await signIn(member);
    const home = await page.get("/staff");
    assert.equal(home.response.status, 200);
    const oldCookie = page.cookieHeader();
    const [session] = await testApp.db.staffSession.findMany({ where: { staffUserId: member.id } });
    assert.ok(session);

    const byGet = await page.get("/staff/sign-out");
    assert.equal(byGet.response.status, 405, "no sign-out by GET");
    assert.equal(await testApp.db.staffSession.count({ where: { staffUserId: member.id } }), 1);

    await page.get("/staff");
    const { response } = await page.post("/staff/sign-out", {});
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), "/staff/sign-in");
    // Not "cookies": the session cookie is cleared by name, and the device cookie stays (it keeps this
    // browser from being locked out by others' failures: signInDeviceCookies.test.ts).
    assert.equal(response.headers.get("clear-site-data"), '"cache", "storage"');
    assert.equal(page.cookies.has(sessionCookieName), false, "the cookie is cleared");
    assert.ok(page.cookies.has("staff_device"), "the device cookie stays");
    assert.equal(await testApp.db.staffSession.count({ where: { staffUserId: member.id } }), 0);

    const replayed = await fetch(`${testApp.baseUrl}/staff`, {
      headers: { cookie: oldCookie },
      redirect: "manual",
    });
    assert.equal(replayed.status, 303);
    assert.equal(replayed.headers.get("location"), "/staff/sign-in?next=%2Fstaff");
    const [signedOut] = await auditRows("staff.signed_out", member.id);
    assert.equal(signedOut?.actorId, member.id);
    assert.deepEqual(signedOut?.details, { sessionId: session.id, wasAuthenticated: true });
  });

  test("a sign-out form without the CSRF token is refused", async () => {
    const member = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
    const page = await signIn(member);
    page.csrfToken = "forged";
    const { response } = await page.post("/staff/sign-out", {});
    assert.equal(response.status, 403);
    assert.equal(await testApp.db.staffSession.count({ where: { staffUserId: member.id } }), 1);
  });
});

describe("accounts without an authenticator app", () => {
  test("cannot sign in while the second factor is required, and are told why", async () => {
    const member = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
    await testApp.db.staffUser.update({
      where: { id: member.id },
      data: { totpSecretSealed: null, totpEnabledAt: null },
    });
    const page = browser();
    const { response, html } = await submitPassword(page, member);
    assert.equal(response.status, 422);
    assert.match(html, /Your account has no authenticator app set up/);
    assert.equal(page.cookies.has(sessionCookieName), false);
    const [failure] = await auditRows("staff.sign_in_failed", member.id);
    assert.deepEqual(failure?.details, { reason: "no_second_factor", stage: "password" });
  });

  test("sign in with the password alone where the configuration allows it (development only)", async () => {
    const relaxedApp = await startTestApp({ env: { STAFF_REQUIRE_2FA: "false" } });
    try {
      const member = await createStaffMember(relaxedApp.db, relaxedApp.config, { role: "VETTING_AGENT" });
      await relaxedApp.db.staffUser.update({
        where: { id: member.id },
        data: { totpSecretSealed: null, totpEnabledAt: null },
      });
      const page = new TestBrowser(relaxedApp.baseUrl);
      await page.get("/staff/sign-in");
      const { response } = await page.post("/staff/sign-in", {
        email: member.email,
        password: member.password,
      });
      assert.equal(response.status, 303);
      assert.equal(response.headers.get("location"), "/staff");
      assert.equal((await page.get("/staff")).response.status, 200);
      const [signedIn] = await relaxedApp.db.auditEvent.findMany({
        where: { action: "staff.signed_in", subjectId: member.id },
      });
      assert.equal((signedIn?.details as { method?: string } | undefined)?.method, "password_only");
    } finally {
      await relaxedApp.close();
    }
  });
});
