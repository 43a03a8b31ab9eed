// Issue 19, item 1: nobody can lock a staff member out by failing to sign in on purpose. An attacker's
// wrong passwords from many addresses lock the account for unknown browsers only; the owner's browser,
// which signed in before and holds a device cookie for the account, still signs in. Another account's
// cookie, or an altered or forged one, counts as no cookie; a cookie that fails too often is locked out
// itself. Over HTTP against the real app, which trusts loopback as its proxy so that X-Forwarded-For
// sets each request's address.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { totpCodeAt } from "../../domain/totp.js";
import { issueDeviceCookie } from "../../security/deviceCookies.js";
import { SIGN_IN_LIMITS } from "../../security/signInLimits.js";
import { startTestApp, type TestApp } from "../../test/app.js";
import { deliverQueuedEmails, TestBrowser } from "../../test/browser.js";
import { truncateTables } from "../../test/reset.js";
import { startTestSmtpServer, type TestSmtpServer } from "../../test/smtp.js";
import { createStaffMember, type TestStaffMember } from "../../test/staff.js";

const DEVICE_COOKIE = "staff_device";
const BLOCKED = /There have been too many failed attempts to sign in to this account/;

let testApp: TestApp;
let smtp: TestSmtpServer;
before(async () => {
  smtp = await startTestSmtpServer({ tls: "none" });
  testApp = await startTestApp({ env: { SMTP_PORTS: String(smtp.port), TRUSTED_PROXIES: "loopback" } });
});
after(async () => {
  await testApp.close();
  await smtp.close();
});
beforeEach(async () => {
  smtp.messages.length = 0;
  await truncateTables(testApp.db, [
    "rate_limits",
    "outbox_messages",
    "link_tokens",
    "graphile_worker._private_jobs",
  ]);
});

/** A browser whose requests come from this address (through the trusted proxy). */
function browserAt(address: string): TestBrowser {
  const page = new TestBrowser(testApp.baseUrl);
  page.headers["x-forwarded-for"] = address;
  return page;
}

async function submitPassword(page: TestBrowser, email: string, password: string) {
  await page.get("/staff/sign-in");
  return page.post("/staff/sign-in", { email, password });
}

/** Both steps; the device cookie the browser holds afterwards. */
async function signIn(page: TestBrowser, member: TestStaffMember): Promise<string> {
  // Several sign-ins of one person within one 30-second step: each needs a code not used yet.
  await testApp.db.staffUser.update({ where: { id: member.id }, data: { totpLastUsedStep: null } });
  const step1 = await submitPassword(page, member.email, member.password);
  assert.equal(step1.response.status, 303, step1.html);
  await page.get("/staff/sign-in/verify");
  const step2 = await page.post("/staff/sign-in/verify", { code: totpCodeAt(member.totpSecret, new Date()) });
  assert.equal(step2.response.status, 303, step2.html);
  assert.equal((await page.get("/staff")).response.status, 200);
  const deviceCookie = page.cookies.get(DEVICE_COOKIE);
  assert.ok(deviceCookie, "the browser holds a device cookie");
  return deviceCookie;
}

/**
 * What an attacker does to lock an account out: 50 wrong passwords spread over a handful of addresses
 * (fewer than 10 from each, under the per-address limit), then the one that blocks it.
 */
async function lockOutByFailures(member: TestStaffMember): Promise<{ status: number; html: string }> {
  const attacker = Array.from({ length: 6 }, (_, index) => browserAt(`198.51.100.${index + 1}`));
  for (let attempt = 1; attempt <= SIGN_IN_LIMITS.failuresPerAccountPerDay; attempt += 1) {
    const page = attacker[attempt % attacker.length] as TestBrowser;
    const { response } = await submitPassword(page, member.email, `guess ${attempt}`);
    assert.equal(response.status, 422, `guess ${attempt}`);
  }
  const blocking = await submitPassword(attacker[0] as TestBrowser, member.email, "one guess more");
  assert.equal(blocking.response.status, 429);
  return { status: blocking.response.status, html: blocking.html };
}

describe("device cookies keep the owner's browser in while others' failures lock unknown browsers out", () => {
  test("the cookie is set only once both factors succeed, and a new one at every sign-in", async () => {
    const member = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
    const page = browserAt("203.0.113.10");
    const step1 = await submitPassword(page, member.email, member.password);
    assert.equal(step1.response.status, 303);
    assert.ok(
      step1.response.headers.getSetCookie().every((line) => !line.startsWith(`${DEVICE_COOKIE}=`)),
      "not after the password alone",
    );
    await page.get("/staff/sign-in/verify");
    const wrongCode = await page.post("/staff/sign-in/verify", { code: "000000" });
    assert.equal(wrongCode.response.status, 422);
    assert.equal(page.cookies.has(DEVICE_COOKIE), false, "not after a wrong code");

    const step2 = await page.post("/staff/sign-in/verify", {
      code: totpCodeAt(member.totpSecret, new Date()),
    });
    assert.equal(step2.response.status, 303);
    const [line, ...others] = step2.response.headers
      .getSetCookie()
      .filter((header) => header.startsWith(`${DEVICE_COOKIE}=`));
    assert.equal(others.length, 0);
    assert.ok(line);
    assert.match(line, /^staff_device=[0-9a-f-]{36}\.\d+\.[A-Za-z0-9_-]{22}\.[0-9a-f]{64}; /);
    // The attributes themselves (and Secure over https) are checked in security/deviceCookies.test.ts.
    assert.match(line, /; path=\/staff; expires=[^;]+; samesite=strict; httponly$/);
    const first = page.cookies.get(DEVICE_COOKIE);
    assert.ok(first?.startsWith(`${member.id}.`), "bound to the account");

    // Signing out leaves it: the browser is still the owner's next time.
    await page.get("/staff");
    const signOut = await page.post("/staff/sign-out", {});
    assert.equal(signOut.response.headers.get("clear-site-data"), '"cache", "storage"');
    assert.equal(page.cookies.get(DEVICE_COOKIE), first);
    const second = await signIn(page, member);
    assert.notEqual(second, first, "a fresh nonce at every sign-in");
  });

  test("an attacker's 50 failures from several addresses lock unknown browsers out; the owner's browser still signs in", async () => {
    const owner = await createStaffMember(testApp.db, testApp.config, {
      role: "SUPERADMIN",
      name: "Olga Owner",
    });
    const ownersBrowser = browserAt("203.0.113.20");
    await signIn(ownersBrowser, owner);
    await ownersBrowser.post("/staff/sign-out", {});

    const blocked = await lockOutByFailures(owner);
    assert.match(blocked.html, BLOCKED);

    // Any browser without the cookie is refused, even with the right password, from a fresh address.
    const stranger = await submitPassword(browserAt("192.0.2.77"), owner.email, owner.password);
    assert.equal(stranger.response.status, 429);
    const retryAfter = Number(stranger.response.headers.get("retry-after"));
    assert.ok(retryAfter > 3500 && retryAfter <= 3600, `Retry-After ${retryAfter}`);

    // The owner's browser signs in as ever, both steps.
    await signIn(ownersBrowser, owner);

    // The owner was told once, with a reset link, as before.
    const delivered = await deliverQueuedEmails(testApp, smtp);
    assert.deepEqual(
      delivered.map((message) => ({ to: message.to, subject: message.subject })),
      [{ to: [owner.email], subject: "Sign-in to your staff account was blocked — Vetting Portal" }],
    );
    assert.match(delivered[0]?.text ?? "", /Hello Olga Owner,/);
    const [audit, ...more] = await testApp.db.auditEvent.findMany({
      where: { action: "staff.account_blocked", subjectId: owner.id },
    });
    assert.equal(more.length, 0);
    assert.deepEqual(audit?.details, { blockedForSeconds: 3600, ownerNotified: true });
  });

  test("another account's cookie, an altered one or a forged one does not let a browser past the lock", async () => {
    const target = await createStaffMember(testApp.db, testApp.config, { role: "SERVER_ADMIN" });
    const colleague = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
    const colleaguesBrowser = browserAt("203.0.113.30");
    const colleaguesCookie = await signIn(colleaguesBrowser, colleague);
    const targetsCookie = await signIn(browserAt("203.0.113.31"), target);
    await lockOutByFailures(target);

    const [userId, issuedAt, nonce, signature] = targetsCookie.split(".");
    const cookies = {
      "another account's": colleaguesCookie,
      "another account's id with this one's signature": [colleague.id, issuedAt, nonce, signature].join("."),
      // The first character changes: the last one of 16 bytes in base64url is A, Q, g or w, so writing
      // "A" there left the nonce as it was once in four runs.
      "an altered nonce": [
        userId,
        issuedAt,
        `${nonce?.startsWith("A") ? "B" : "A"}${nonce?.slice(1)}`,
        signature,
      ].join("."),
      "signed with another key": issueDeviceCookie(
        "not the portal's session secret, but long enough",
        target.id,
      ),
    };
    for (const [label, cookie] of Object.entries(cookies)) {
      const page = browserAt("192.0.2.88");
      page.cookies.set(DEVICE_COOKIE, cookie);
      const { response, html } = await submitPassword(page, target.email, target.password);
      assert.equal(response.status, 429, label);
      assert.match(html, BLOCKED, label);
    }
    // The colleague's own browser is not affected by the lock on the target.
    await signIn(colleaguesBrowser, colleague);
  });

  test("a cookie used to guess is locked out itself after 10 failures, and the owner is told", async () => {
    const owner = await createStaffMember(testApp.db, testApp.config, {
      role: "SUPERADMIN",
      name: "Stan Stolen",
    });
    const stolenCookie = await signIn(browserAt("203.0.113.40"), owner);

    // The thief has the cookie and moves between addresses (each under the per-address limit).
    const thiefAt = (address: string) => {
      const page = browserAt(address);
      page.cookies.set(DEVICE_COOKIE, stolenCookie);
      return page;
    };
    for (let attempt = 1; attempt <= SIGN_IN_LIMITS.failuresPerTrustedDevicePerDay; attempt += 1) {
      const { response } = await submitPassword(
        thiefAt(`198.51.100.${attempt}`),
        owner.email,
        `guess ${attempt}`,
      );
      assert.equal(response.status, 422, `guess ${attempt}`);
    }
    const blocking = await submitPassword(thiefAt("198.51.100.50"), owner.email, "one guess more");
    assert.equal(blocking.response.status, 429);
    assert.match(blocking.html, BLOCKED, "the same answer as the lock on unknown browsers");
    const rightPassword = await submitPassword(thiefAt("198.51.100.51"), owner.email, owner.password);
    assert.equal(rightPassword.response.status, 429, "the cookie is refused before the password is checked");
    const retryAfter = Number(rightPassword.response.headers.get("retry-after"));
    assert.ok(retryAfter > 3500 && retryAfter <= 3600, `Retry-After ${retryAfter}`);

    const delivered = await deliverQueuedEmails(testApp, smtp);
    assert.deepEqual(
      delivered.map((message) => message.to),
      [[owner.email]],
    );
    // The cookie's failures did not count against the account: a browser without it is not locked.
    const fresh = await submitPassword(browserAt("192.0.2.99"), owner.email, owner.password);
    assert.equal(fresh.response.status, 303);
  });
});
