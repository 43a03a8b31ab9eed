// Passkeys on the server side, where a browser is not needed to show it: the challenge a registration
// asks for (stored, bound to the session, five minutes, answered once), the page that carries it, the
// name's validation, STAFF_PASSKEYS_REQUIRED_FOR, and the vendored browser library. The ceremonies
// themselves run in Chromium: e2e/staff-sign-in-with-passkeys.spec.ts.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { projectRoot } from "../../config.js";
import { postForm, startTestApp, type TestApp } from "../../test/app.js";
import { truncateTables } from "../../test/reset.js";
import { createStaffMember, signedInCookie } from "../../test/staff.js";

let testApp: TestApp;
before(async () => {
  testApp = await startTestApp();
});
after(async () => {
  await testApp.close();
});
beforeEach(async () => {
  await truncateTables(testApp.db, [
    "audit_events",
    "staff_sessions",
    "staff_passkeys",
    "passkey_challenges",
    "outbox_messages",
    "staff_users",
    "rate_limits",
    "graphile_worker._private_jobs",
  ]);
});

async function signedIn(app: TestApp, role: "VETTING_AGENT" | "INVITING_ADMIN" = "VETTING_AGENT") {
  const member = await createStaffMember(app.db, app.config, { role });
  const cookie = await signedInCookie(app.db, app.config, member.id);
  const page = await fetch(`${app.baseUrl}/staff/profile`, { headers: { cookie }, redirect: "manual" });
  const html = await page.text();
  const csrfToken = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
  const post = (target: string, fields: Record<string, string> = {}) =>
    postForm(`${app.baseUrl}${target}`, { _csrf: csrfToken, ...fields }, { cookie });
  return { member, cookie, csrfToken, post, profileStatus: page.status };
}

/** A made-up answer naming this challenge: enough to reach the challenge check, never a valid one. */
function answerNaming(challenge: string): string {
  const clientDataJSON = Buffer.from(
    JSON.stringify({ type: "webauthn.create", challenge, origin: "http://127.0.0.1:3000" }),
  ).toString("base64url");
  return JSON.stringify({
    id: "AAAA",
    rawId: "AAAA",
    type: "public-key",
    response: { clientDataJSON, attestationObject: "AAAA", transports: ["internal", "teleport"] },
    clientExtensionResults: {},
  });
}

function decodeHtml(value: string): string {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&");
}

describe("adding a passkey", () => {
  test("asking for one stores a five-minute challenge bound to this session, and the page carries it", async () => {
    const agent = await signedIn(testApp);
    const before = Date.now();
    const response = await agent.post("/staff/profile/passkeys", { name: "  Work laptop  " });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("cache-control"), "no-store");
    const html = await response.text();
    const options = JSON.parse(decodeHtml(/data-passkey-options="([^"]+)"/.exec(html)?.[1] ?? "{}"));
    const [challenge] = await testApp.db.passkeyChallenge.findMany();
    assert.ok(challenge);
    const [session] = await testApp.db.staffSession.findMany({ where: { staffUserId: agent.member.id } });
    assert.deepEqual(
      {
        purpose: challenge.purpose,
        binding: challenge.binding,
        staffUserId: challenge.staffUserId,
        passkeyName: challenge.passkeyName,
      },
      {
        purpose: "registration",
        binding: `session:${session?.id}`,
        staffUserId: agent.member.id,
        passkeyName: "Work laptop",
      },
    );
    const lifetime = challenge.expiresAt.getTime() - before;
    assert.ok(lifetime > 4.9 * 60_000 && lifetime <= 5 * 60_000 + 1_000, `lifetime ${lifetime}`);
    assert.equal(options.challenge, challenge.challenge);
    assert.equal(options.rp.id, "127.0.0.1");
    assert.equal(options.user.name, agent.member.email);
    assert.deepEqual(options.authenticatorSelection, {
      residentKey: "preferred",
      userVerification: "required",
      requireResidentKey: false,
    });
    assert.match(
      html,
      /<script src="\/static\/js\/vendor\/simplewebauthn-browser\.min\.[0-9a-f]{12}\.js" nonce="/,
    );
  });

  test("an answer from another session finds no challenge; the right session's is used up even when refused", async () => {
    const agent = await signedIn(testApp);
    await agent.post("/staff/profile/passkeys", { name: "Phone" });
    const [challenge] = await testApp.db.passkeyChallenge.findMany();
    assert.ok(challenge);

    // The same person in another session: not the session the challenge is bound to.
    const otherCookie = await signedInCookie(testApp.db, testApp.config, agent.member.id);
    const otherPage = await (
      await fetch(`${testApp.baseUrl}/staff/profile`, { headers: { cookie: otherCookie } })
    ).text();
    const otherToken = /name="_csrf" value="([^"]+)"/.exec(otherPage)?.[1] ?? "";
    const foreign = await postForm(
      `${testApp.baseUrl}/staff/profile/passkeys/register`,
      { _csrf: otherToken, response: answerNaming(challenge.challenge) },
      { cookie: otherCookie },
    );
    assert.equal(foreign.status, 422);
    assert.match(await foreign.text(), /The passkey was not added/);
    assert.equal(await testApp.db.passkeyChallenge.count(), 1);

    // Its own session: the challenge is claimed, the made-up attestation refused, nothing stored.
    const own = await agent.post("/staff/profile/passkeys/register", {
      response: answerNaming(challenge.challenge),
    });
    assert.equal(own.status, 422);
    assert.equal(await testApp.db.passkeyChallenge.count(), 0);
    assert.equal(await testApp.db.staffPasskey.count(), 0);
    assert.equal(await testApp.db.auditEvent.count({ where: { action: "staff.passkey_added" } }), 0);
  });

  test("an expired challenge is refused and the purge removes what nobody answered", async () => {
    const agent = await signedIn(testApp);
    await agent.post("/staff/profile/passkeys", { name: "Phone" });
    await testApp.db.passkeyChallenge.updateMany({ data: { expiresAt: new Date(Date.now() - 1_000) } });
    const [challenge] = await testApp.db.passkeyChallenge.findMany();
    assert.ok(challenge);
    const late = await agent.post("/staff/profile/passkeys/register", {
      response: answerNaming(challenge.challenge),
    });
    assert.equal(late.status, 422);

    await agent.post("/staff/profile/passkeys", { name: "Tablet" });
    await testApp.db.passkeyChallenge.updateMany({ data: { expiresAt: new Date(Date.now() - 1_000) } });
    const { purgeExpiredPasskeyChallenges } = await import("../../security/passkeys.js");
    assert.equal(await purgeExpiredPasskeyChallenges(testApp.db), 1);
  });

  test("a passkey needs a name of at most 60 characters", async () => {
    const agent = await signedIn(testApp);
    const empty = await agent.post("/staff/profile/passkeys", { name: "   " });
    assert.equal(empty.status, 422);
    assert.match(await empty.text(), /Give the passkey a name/);
    const long = await agent.post("/staff/profile/passkeys", { name: "x".repeat(61) });
    assert.equal(long.status, 422);
    assert.match(await long.text(), /Use at most 60 characters/);
    assert.equal(await testApp.db.passkeyChallenge.count(), 0);
  });

  test("another person's passkey cannot be removed: not found, and it stays", async () => {
    const owner = await signedIn(testApp);
    const passkey = await testApp.db.staffPasskey.create({
      data: {
        staffUserId: owner.member.id,
        name: "Owner's key",
        credentialId: "b3duZXIta2V5",
        publicKey: new Uint8Array([1, 2, 3]),
        signCount: 0n,
        transports: ["internal"],
        deviceType: "singleDevice",
        isBackedUp: false,
      },
    });
    const other = await signedIn(testApp);
    const response = await other.post(`/staff/profile/passkeys/${passkey.id}/remove`);
    assert.equal(response.status, 404);
    assert.equal(await testApp.db.staffPasskey.count(), 1);
  });
});

test("a person's page shows admins their passkeys: name, added, last used", async () => {
  const agent = await createStaffMember(testApp.db, testApp.config, {
    role: "VETTING_AGENT",
    name: "Petra Person",
  });
  await testApp.db.staffPasskey.create({
    data: {
      staffUserId: agent.id,
      name: "Petra's <laptop>",
      credentialId: "cGV0cmE",
      publicKey: new Uint8Array([1]),
      signCount: 3n,
      transports: ["internal"],
      deviceType: "singleDevice",
      isBackedUp: false,
      createdAt: new Date("2026-03-04T10:20:00Z"),
    },
  });
  const admin = await createStaffMember(testApp.db, testApp.config, { role: "SERVER_ADMIN" });
  const cookie = await signedInCookie(testApp.db, testApp.config, admin.id);
  const page = await fetch(`${testApp.baseUrl}/staff/people/${agent.id}`, { headers: { cookie } });
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(
    html,
    /<dt>Passkeys<\/dt><dd><ul class="plain-list"><li>Petra&#39;s &lt;laptop&gt;: added [^<]*2026[^<]* UTC, last used never<\/li><\/ul><\/dd>/,
  );
});

describe("STAFF_PASSKEYS_REQUIRED_FOR=admins", () => {
  let strictApp: TestApp;
  before(async () => {
    strictApp = await startTestApp({
      // A domain, as passkeys need (browsers refuse an IP address as the relying party).
      env: { STAFF_PASSKEYS_REQUIRED_FOR: "admins", PUBLIC_URL: "http://localhost:3000" },
    });
  });
  after(async () => {
    await strictApp.close();
  });

  test("an admin without a passkey reaches only the page that asks for one", async () => {
    const admin = await signedIn(strictApp, "INVITING_ADMIN");
    assert.equal(admin.profileStatus, 303);
    const home = await fetch(`${strictApp.baseUrl}/staff`, {
      headers: { cookie: admin.cookie },
      redirect: "manual",
    });
    assert.equal(home.status, 303);
    assert.equal(home.headers.get("location"), "/staff/passkey-required");
    const page = await fetch(`${strictApp.baseUrl}/staff/passkey-required`, {
      headers: { cookie: admin.cookie },
    });
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /<h1>Add a passkey to continue<\/h1>/);
    const csrfToken = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
    const post = (target: string, fields: Record<string, string> = {}) =>
      postForm(`${strictApp.baseUrl}${target}`, { _csrf: csrfToken, ...fields }, { cookie: admin.cookie });
    assert.equal((await post("/staff/profile/theme", { theme: "DARK" })).status, 403);
    assert.equal((await post("/staff/profile/passkeys", { name: "Laptop" })).status, 200);

    // With a passkey, everything opens, and the page that asked sends them home.
    await strictApp.db.staffPasskey.create({
      data: {
        staffUserId: admin.member.id,
        name: "Laptop",
        credentialId: "bGFwdG9w",
        publicKey: new Uint8Array([1]),
        signCount: 0n,
        transports: [],
        deviceType: "multiDevice",
        isBackedUp: true,
      },
    });
    const after = await fetch(`${strictApp.baseUrl}/staff`, {
      headers: { cookie: admin.cookie },
      redirect: "manual",
    });
    assert.equal(after.status, 200);
    const asked = await fetch(`${strictApp.baseUrl}/staff/passkey-required`, {
      headers: { cookie: admin.cookie },
      redirect: "manual",
    });
    assert.equal(asked.status, 303);
    assert.equal(asked.headers.get("location"), "/staff");
  });

  test("a vetting agent is not asked", async () => {
    const agent = await signedIn(strictApp);
    assert.equal(agent.profileStatus, 200);
  });
});

test("the browser library served from static/ is the installed @simplewebauthn/browser bundle", async () => {
  const served = await readFile(path.join(projectRoot, "static/js/vendor/simplewebauthn-browser.min.js"));
  const installed = await readFile(
    path.join(projectRoot, "node_modules/@simplewebauthn/browser/dist/bundle/index.umd.min.js"),
  );
  assert.ok(served.equals(installed), "copy the package's dist/bundle/index.umd.min.js after upgrading it");
});
