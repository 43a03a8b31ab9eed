// The session cookie as production sends it, and CSRF tokens bound to their session.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { totpCodeAt } from "../../domain/totp.js";
import { startTestApp, type TestApp } from "../../test/app.js";
import { TestBrowser } from "../../test/browser.js";
import { createStaffMember } from "../../test/staff.js";

let testApp: TestApp;
before(async () => {
  testApp = await startTestApp({
    env: {
      NODE_ENV: "production",
      PUBLIC_URL: "https://vetting.example.org",
      SESSION_SECRET: "s".repeat(48),
      TOTP_ENCRYPTION_KEY: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
      MAIL_FROM_ADDRESS: "vetting@example.org",
    },
  });
});
after(() => testApp.close());

async function signIn(browser: TestBrowser, email: string, password: string, totpSecret: string, at: Date) {
  await browser.get("/staff/sign-in");
  const step1 = await browser.post("/staff/sign-in", { email, password });
  assert.equal(step1.response.status, 303, step1.html);
  await browser.get("/staff/sign-in/verify");
  const step2 = await browser.post("/staff/sign-in/verify", { code: totpCodeAt(totpSecret, at) });
  assert.equal(step2.response.status, 303, step2.html);
  return step2.response;
}

test("in production the session cookie is __Host- prefixed, Secure, HttpOnly and SameSite=Lax", async () => {
  const member = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
  const browser = new TestBrowser(testApp.baseUrl);
  const response = await signIn(browser, member.email, member.password, member.totpSecret, new Date());
  const cookie = response.headers.getSetCookie().find((line) => line.startsWith("__Host-session="));
  assert.ok(cookie, "the session cookie is named __Host-session");
  const attributes = cookie
    .split(";")
    .slice(1)
    .map((attribute) => attribute.trim().toLowerCase());
  assert.ok(attributes.includes("secure"));
  assert.ok(attributes.includes("httponly"));
  assert.ok(attributes.includes("samesite=lax"));
  assert.ok(attributes.includes("path=/"));
  assert.ok(
    !attributes.some((attribute) => attribute.startsWith("domain=")),
    "no Domain: bound to this host",
  );
  const value = cookie.split(";")[0]?.split("=")[1] ?? "";
  assert.equal(Buffer.from(value, "base64url").length, 32, "256 random bits");
});

test("a CSRF token works only in the session it was made for", async () => {
  const alice = await createStaffMember(testApp.db, testApp.config, { role: "SERVER_ADMIN" });
  const bob = await createStaffMember(testApp.db, testApp.config, { role: "SERVER_ADMIN" });
  const aliceBrowser = new TestBrowser(testApp.baseUrl);
  const bobBrowser = new TestBrowser(testApp.baseUrl);
  await signIn(aliceBrowser, alice.email, alice.password, alice.totpSecret, new Date());
  await signIn(bobBrowser, bob.email, bob.password, bob.totpSecret, new Date(Date.now() + 30_000));
  await aliceBrowser.get("/staff/profile");
  await bobBrowser.get("/staff/profile");
  assert.notEqual(aliceBrowser.csrfToken, bobBrowser.csrfToken);

  // Bob's session with Alice's token: refused, and Bob is still signed in.
  bobBrowser.csrfToken = aliceBrowser.csrfToken;
  const forged = await bobBrowser.post("/staff/sign-out", {});
  assert.equal(forged.response.status, 403);
  assert.equal((await bobBrowser.get("/staff")).response.status, 200);
});
