// Single sign-on against a real OpenID provider (oidc-provider, its own process on loopback): the first
// sign-in that links an account by its verified address, later sign-ins by the subject alone, and every
// way an answer is refused (wrong state, replayed answer, wrong nonce, expired ID token, unknown
// subject, disabled account, provider down), each with the page the person sees, the audit row and the
// session that was (not) made.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, beforeEach, describe, test } from "node:test";
import { enableStaffMember } from "../../commands/staff/enableStaffMember.js";
import { purgeExpiredOidcRequests } from "../../security/oidc.js";
import { startTestApp, type TestApp } from "../../test/app.js";
import {
  browse,
  CookieJar,
  signInAtProvider,
  signInAtProviderFrom,
  startOidcProvider,
  type TestOidcProvider,
} from "../../test/oidcProvider.js";
import { truncateTables } from "../../test/reset.js";
import { createStaffMember, signedInCookie } from "../../test/staff.js";
import { issueLinkToken } from "../../tokens.js";

const PUBLIC_URL = "http://127.0.0.1:3000";

let provider: TestOidcProvider;
let testApp: TestApp;
let portal: { baseUrl: string; publicUrl: string };

before(async () => {
  provider = await startOidcProvider({
    portalUrl: PUBLIC_URL,
    accounts: {
      "ada-at-provider": { email: "ada@example.org", email_verified: true },
      "unverified-at-provider": { email: "grace@example.org", email_verified: false },
      "stranger-at-provider": { email: "stranger@example.org", email_verified: true },
      "disabled-at-provider": { email: "disabled@example.org", email_verified: true },
    },
  });
  testApp = await startTestApp({ env: { ...provider.env, OIDC_LINK_BY_EMAIL: "true" } });
  portal = { baseUrl: testApp.baseUrl, publicUrl: PUBLIC_URL };
});
after(async () => {
  await testApp.close();
  await provider.stop();
});
beforeEach(async () => {
  await truncateTables(testApp.db, [
    "audit_events",
    "staff_sessions",
    "oidc_sign_in_requests",
    "outbox_messages",
    "link_tokens",
    "staff_invitations",
    "staff_users",
    "rate_limits",
    "graphile_worker._private_jobs",
  ]);
  await provider.setClockOffset(0);
  await provider.hang(null);
});

async function failures() {
  const rows = await testApp.db.auditEvent.findMany({
    where: { action: "staff.sign_in_failed" },
    orderBy: { occurredAt: "asc" },
  });
  return rows.map((row) => row.details as { reason: string; stage: string });
}

async function sessionsOf(staffUserId: string) {
  return testApp.db.staffSession.findMany({ where: { staffUserId } });
}

describe("the sign-in page", () => {
  test("offers the provider by its name, beside the password form", async () => {
    const html = await (await fetch(`${testApp.baseUrl}/staff/sign-in`)).text();
    assert.match(html, /<button class="button" id="sso" type="submit">Sign in with Example ID<\/button>/);
    assert.match(html, /name="password"/);
  });
});

describe("the stored request", () => {
  test("holds state, nonce and PKCE verifier for ten minutes, bound to the cookie's hash; the expired are purged", async () => {
    const jar = new CookieJar();
    const page = await browse(jar, `${testApp.baseUrl}/staff/sign-in`);
    const csrfToken = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? "";
    const before = Date.now();
    const started = await browse(jar, `${testApp.baseUrl}/staff/sign-in/sso`, { form: { _csrf: csrfToken } });
    assert.equal(started.status, 303);
    const authorization = new URL(started.headers.get("location") ?? "");
    const [request] = await testApp.db.oidcSignInRequest.findMany();
    assert.ok(request);
    assert.equal(authorization.origin, provider.issuer);
    assert.equal(authorization.searchParams.get("state"), request.state);
    assert.equal(authorization.searchParams.get("nonce"), request.nonce);
    assert.equal(authorization.searchParams.get("code_challenge_method"), "S256");
    assert.equal(authorization.searchParams.get("redirect_uri"), `${PUBLIC_URL}/staff/sign-in/sso/callback`);
    assert.equal(authorization.searchParams.get("code_verifier"), null);
    assert.ok(!authorization.href.includes(request.codeVerifier), "the verifier never leaves the server");
    const cookie = jar.get(testApp.baseUrl, "sso-request") ?? "";
    assert.equal(request.binding, `cookie:${createHash("sha256").update(cookie).digest("hex")}`);
    const lifetime = request.expiresAt.getTime() - before;
    assert.ok(lifetime > 9 * 60_000 && lifetime <= 10 * 60_000 + 1000, `lifetime ${lifetime}`);

    assert.equal(await purgeExpiredOidcRequests(testApp.db), 0);
    assert.equal(await purgeExpiredOidcRequests(testApp.db, new Date(Date.now() + 11 * 60_000)), 1);
  });
});

describe("first sign-in and later ones", () => {
  test("a verified address matching one active account links it, audited and emailed, and signs in", async () => {
    const ada = await createStaffMember(testApp.db, testApp.config, {
      role: "VETTING_AGENT",
      email: "ada@example.org",
    });
    const jar = new CookieJar();
    const { callbackUrl } = await signInAtProvider(jar, portal, "ada-at-provider", "pwd mfa");
    const callback = await browse(jar, callbackUrl);
    assert.equal(callback.status, 303);
    assert.equal(callback.headers.get("location"), "/staff");

    const account = await testApp.db.staffUser.findUniqueOrThrow({ where: { id: ada.id } });
    assert.equal(account.oidcIssuer, provider.issuer);
    assert.equal(account.oidcSubject, "ada-at-provider");
    assert.ok(account.oidcLinkedAt);
    assert.equal(account.role, "VETTING_AGENT");
    const [session] = await sessionsOf(ada.id);
    assert.ok(session?.authenticatedAt, "a full session");
    assert.ok(session?.secondFactorAt, "the provider's second factor counts");

    const home = await browse(jar, `${testApp.baseUrl}/staff`);
    assert.equal(home.status, 200);
    const profile = await browse(jar, `${testApp.baseUrl}/staff/profile`);
    assert.match(await profile.text(), /<dt>Single sign-on<\/dt><dd>Linked since /);

    const audit = await testApp.db.auditEvent.findMany({
      where: { subjectId: ada.id },
      orderBy: { occurredAt: "asc" },
    });
    assert.deepEqual(
      audit.map((row) => row.action),
      ["staff.sso_linked", "staff.signed_in"],
    );
    assert.deepEqual(audit[0]?.details, {
      issuer: provider.issuer,
      subject: "ada-at-provider",
      by: "verified_email",
    });
    assert.equal((audit[1]?.details as { method?: string } | undefined)?.method, "sso_multi_factor");
    const [email] = await testApp.db.outboxMessage.findMany({ where: { recipient: "ada@example.org" } });
    assert.equal(email?.kind, "credentials_changed");
    assert.equal((email?.payload as { change?: string } | undefined)?.change, "sso_linked");

    // An admin sees the link on the person's page.
    const admin = await createStaffMember(testApp.db, testApp.config, { role: "SUPERADMIN" });
    const personPage = await fetch(`${testApp.baseUrl}/staff/people/${ada.id}`, {
      headers: { cookie: await signedInCookie(testApp.db, testApp.config, admin.id) },
    });
    assert.equal(personPage.status, 200);
    assert.match(
      await personPage.text(),
      new RegExp(
        `<dt>Single sign-on</dt><dd>Linked since [^<]+ \\(${provider.issuer.replace(/[.]/g, "\\.")}\\)</dd>`,
      ),
    );
  });

  test("a later sign-in finds the account by its subject, even after the address changed here", async () => {
    const ada = await createStaffMember(testApp.db, testApp.config, {
      role: "INVITING_ADMIN",
      email: "ada.lovelace@example.org",
    });
    await testApp.db.staffUser.update({
      where: { id: ada.id },
      data: { oidcIssuer: provider.issuer, oidcSubject: "ada-at-provider", oidcLinkedAt: new Date() },
    });
    const jar = new CookieJar();
    const { callbackUrl } = await signInAtProvider(jar, portal, "ada-at-provider", "pwd mfa");
    const callback = await browse(jar, callbackUrl);
    assert.equal(callback.status, 303);
    assert.equal(callback.headers.get("location"), "/staff");
    assert.equal((await sessionsOf(ada.id)).length, 1);
    const actions = (await testApp.db.auditEvent.findMany({ where: { subjectId: ada.id } })).map(
      (row) => row.action,
    );
    assert.deepEqual(actions, ["staff.signed_in"]);
    assert.equal(await testApp.db.outboxMessage.count(), 0);
  });

  test("without a second factor at the provider, the portal asks for its own code", async () => {
    const ada = await createStaffMember(testApp.db, testApp.config, {
      role: "VETTING_AGENT",
      email: "ada@example.org",
    });
    const jar = new CookieJar();
    const { callbackUrl } = await signInAtProvider(jar, portal, "ada-at-provider", "pwd");
    const callback = await browse(jar, callbackUrl);
    assert.equal(callback.status, 303);
    assert.equal(callback.headers.get("location"), "/staff/sign-in/verify");
    const [session] = await sessionsOf(ada.id);
    assert.equal(session?.authenticatedAt, null, "a pending session opens nothing");
    const home = await browse(jar, `${testApp.baseUrl}/staff`);
    assert.equal(home.status, 303);
  });
});

describe("answers that are refused", () => {
  test("a state this browser did not start is refused, and nothing is redeemed", async () => {
    const ada = await createStaffMember(testApp.db, testApp.config, {
      role: "VETTING_AGENT",
      email: "ada@example.org",
    });
    const jar = new CookieJar();
    const { callbackUrl } = await signInAtProvider(jar, portal, "ada-at-provider", "pwd mfa");
    const forged = new URL(callbackUrl);
    forged.searchParams.set("state", "a-state-nobody-issued");
    const response = await browse(jar, forged.href);
    assert.equal(response.status, 400);
    assert.match(await response.text(), /That sign-in did not work/);
    assert.equal((await sessionsOf(ada.id)).length, 0);
    assert.deepEqual(await failures(), [
      { reason: "sso_request_invalid", stage: "sso", email: "unknown-sso-identity" },
    ]);
  });

  test("the right state from another browser is refused", async () => {
    await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT", email: "ada@example.org" });
    const { callbackUrl } = await signInAtProvider(new CookieJar(), portal, "ada-at-provider", "pwd mfa");
    const response = await browse(new CookieJar(), callbackUrl);
    assert.equal(response.status, 400);
    assert.equal(await testApp.db.staffSession.count(), 0);
  });

  test("a replayed answer is refused: the code counts once", async () => {
    const ada = await createStaffMember(testApp.db, testApp.config, {
      role: "VETTING_AGENT",
      email: "ada@example.org",
    });
    const jar = new CookieJar();
    const { callbackUrl } = await signInAtProvider(jar, portal, "ada-at-provider", "pwd mfa");
    const requestCookie = jar.get(testApp.baseUrl, "sso-request") ?? "";
    const [request] = await testApp.db.oidcSignInRequest.findMany();
    assert.ok(request);
    assert.equal((await browse(jar, callbackUrl)).status, 303);

    // The same answer again, with the same cookie: the request is gone.
    const replayJar = new CookieJar();
    replayJar.set(testApp.baseUrl, "sso-request", requestCookie);
    assert.equal((await browse(replayJar, callbackUrl)).status, 400);

    // Even with the request put back, the provider refuses a code it redeemed already.
    const { id: _id, ...withoutId } = request;
    await testApp.db.oidcSignInRequest.create({ data: withoutId });
    replayJar.set(testApp.baseUrl, "sso-request", requestCookie);
    const redeemedAgain = await browse(replayJar, callbackUrl);
    assert.equal(redeemedAgain.status, 400);
    assert.equal((await sessionsOf(ada.id)).length, 1);
    assert.deepEqual(
      (await failures()).map((failure) => failure.reason),
      ["sso_request_invalid", "sso_rejected"],
    );
  });

  test("an ID token whose nonce is not the request's is refused", async () => {
    const ada = await createStaffMember(testApp.db, testApp.config, {
      role: "VETTING_AGENT",
      email: "ada@example.org",
    });
    const jar = new CookieJar();
    const { callbackUrl } = await signInAtProvider(jar, portal, "ada-at-provider", "pwd mfa");
    await testApp.db.oidcSignInRequest.updateMany({ data: { nonce: "another-nonce-entirely" } });
    const response = await browse(jar, callbackUrl);
    assert.equal(response.status, 400);
    assert.equal((await sessionsOf(ada.id)).length, 0);
    assert.deepEqual(
      (await failures()).map((failure) => failure.reason),
      ["sso_rejected"],
    );
    assert.ok(testApp.logText().includes("single sign-on answer refused"));
  });

  test("an ID token that has expired is refused", async () => {
    const ada = await createStaffMember(testApp.db, testApp.config, {
      role: "VETTING_AGENT",
      email: "ada@example.org",
    });
    // The provider's clock two hours behind: its ID tokens expired long before they arrive.
    await provider.setClockOffset(-2 * 3600);
    const jar = new CookieJar();
    const { callbackUrl } = await signInAtProvider(jar, portal, "ada-at-provider", "pwd mfa");
    const response = await browse(jar, callbackUrl);
    assert.equal(response.status, 400);
    assert.equal((await sessionsOf(ada.id)).length, 0);
    assert.deepEqual(
      (await failures()).map((failure) => failure.reason),
      ["sso_rejected"],
    );
  });

  test("an identity linked to no account gets a clear page, never an account", async () => {
    await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT", email: "ada@example.org" });
    const jar = new CookieJar();
    const { callbackUrl } = await signInAtProvider(jar, portal, "stranger-at-provider", "pwd mfa");
    const response = await browse(jar, callbackUrl);
    assert.equal(response.status, 403);
    assert.match(await response.text(), /No staff account is linked to that sign-in/);
    assert.equal(await testApp.db.staffUser.count(), 1);
    assert.equal(await testApp.db.staffSession.count(), 0);
    assert.deepEqual(
      (await failures()).map((failure) => failure.reason),
      ["sso_unknown_subject"],
    );
  });

  test("an address the provider did not verify links nothing", async () => {
    const grace = await createStaffMember(testApp.db, testApp.config, {
      role: "VETTING_AGENT",
      email: "grace@example.org",
    });
    const jar = new CookieJar();
    const { callbackUrl } = await signInAtProvider(jar, portal, "unverified-at-provider", "pwd mfa");
    assert.equal((await browse(jar, callbackUrl)).status, 403);
    const account = await testApp.db.staffUser.findUniqueOrThrow({ where: { id: grace.id } });
    assert.equal(account.oidcSubject, null);
  });

  test("a disabled account is refused, linked or not", async () => {
    const disabled = await createStaffMember(testApp.db, testApp.config, {
      role: "VETTING_AGENT",
      email: "disabled@example.org",
      status: "DISABLED",
    });
    const jar = new CookieJar();
    const first = await signInAtProvider(jar, portal, "disabled-at-provider", "pwd mfa");
    assert.equal((await browse(jar, first.callbackUrl)).status, 403);
    assert.equal(
      (await testApp.db.staffUser.findUniqueOrThrow({ where: { id: disabled.id } })).oidcSubject,
      null,
    );

    await testApp.db.staffUser.update({
      where: { id: disabled.id },
      data: { oidcIssuer: provider.issuer, oidcSubject: "disabled-at-provider" },
    });
    const second = await signInAtProvider(jar, portal, "disabled-at-provider", "pwd mfa");
    const response = await browse(jar, second.callbackUrl);
    assert.equal(response.status, 403);
    assert.match(await response.text(), /This staff account cannot sign in/);
    assert.equal((await sessionsOf(disabled.id)).length, 0);
    assert.deepEqual(
      (await failures()).map((failure) => failure.reason),
      ["sso_unknown_subject", "account_disabled"],
    );
  });
});

/** An invited account with its SENT invitation and the link's token, as the invitation email carries. */
async function invite(email: string): Promise<{ staffUserId: string; token: string }> {
  const inviter = await createStaffMember(testApp.db, testApp.config, { role: "SUPERADMIN" });
  return testApp.db.$transaction(async (tx) => {
    const invitee = await tx.staffUser.create({
      data: { name: "Invited Person", email, role: "VETTING_AGENT", status: "INVITED" },
    });
    const invitation = await tx.staffInvitation.create({
      data: { inviteeId: invitee.id, invitedById: inviter.id, status: "SENT", sentAt: new Date() },
    });
    const link = await issueLinkToken(tx, {
      purpose: "staff_invitation",
      subject: { type: "staff_invitation", id: invitation.id },
      lifetimeMs: 3_600_000,
    });
    return { staffUserId: invitee.id, token: link.token };
  });
}

/** Presses "Link my … account" on the invitation page and signs in at the provider; the callback URL. */
async function linkFromInvitation(jar: CookieJar, token: string, subject: string, amr: string) {
  const page = await browse(jar, `${testApp.baseUrl}/staff/invitation/${token}`);
  const html = await page.text();
  assert.match(html, /Link my Example ID account/);
  const csrfToken = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
  const started = await browse(jar, `${testApp.baseUrl}/staff/invitation/${token}/sso`, {
    form: { _csrf: csrfToken },
  });
  assert.equal(started.status, 303);
  const answer = new URL(
    await signInAtProviderFrom(jar, new URL(started.headers.get("location") ?? "").href, subject, amr),
  );
  return `${testApp.baseUrl}${answer.pathname}${answer.search}`;
}

describe("linking from the invitation page", () => {
  test("accepts the invitation with the identity instead of a password, audited and emailed", async () => {
    const { staffUserId, token } = await invite("newcomer@example.org");
    const jar = new CookieJar();
    const callbackUrl = await linkFromInvitation(jar, token, "stranger-at-provider", "pwd mfa");
    const callback = await browse(jar, callbackUrl);
    assert.equal(callback.status, 303);
    assert.equal(callback.headers.get("location"), "/staff");
    const account = await testApp.db.staffUser.findUniqueOrThrow({ where: { id: staffUserId } });
    assert.equal(account.status, "ACTIVE");
    assert.equal(account.role, "VETTING_AGENT");
    assert.equal(account.passwordHash, null);
    assert.equal(account.oidcSubject, "stranger-at-provider");
    assert.equal(
      (await testApp.db.staffInvitation.findFirstOrThrow({ where: { inviteeId: staffUserId } })).status,
      "ACCEPTED",
    );
    const actions = (
      await testApp.db.auditEvent.findMany({
        where: { subjectId: staffUserId },
        orderBy: { occurredAt: "asc" },
      })
    ).map((row) => row.action);
    assert.deepEqual(actions, ["staff.invitation_accepted", "staff.sso_linked", "staff.signed_in"]);
    assert.equal(await testApp.db.outboxMessage.count({ where: { recipient: "newcomer@example.org" } }), 1);
    assert.equal((await browse(jar, `${testApp.baseUrl}/staff`)).status, 200);

    // An account set up this way counts as set up: disabled, it can be enabled again.
    const admin = await createStaffMember(testApp.db, testApp.config, { role: "SUPERADMIN" });
    await testApp.db.staffUser.update({ where: { id: staffUserId }, data: { status: "DISABLED" } });
    const outcome = await enableStaffMember(testApp.db, {
      actor: { id: admin.id, role: "SUPERADMIN", name: admin.name },
      staffUserId,
      audit: { staffUserId: admin.id, label: admin.email },
    });
    assert.equal(outcome, "enabled");
    assert.equal(
      (await testApp.db.staffUser.findUniqueOrThrow({ where: { id: staffUserId } })).status,
      "ACTIVE",
    );

    // The link is spent: a second round trip from it links nothing.
    const again = await browse(new CookieJar(), `${testApp.baseUrl}/staff/invitation/${token}`);
    assert.equal(again.status, 404);
  });

  test("without a second factor at the provider, nothing is linked and the invitation still waits", async () => {
    const { staffUserId, token } = await invite("newcomer@example.org");
    const jar = new CookieJar();
    const callbackUrl = await linkFromInvitation(jar, token, "stranger-at-provider", "pwd");
    const callback = await browse(jar, callbackUrl);
    assert.equal(callback.status, 403);
    assert.match(await callback.text(), /Two-step sign-in is needed/);
    const account = await testApp.db.staffUser.findUniqueOrThrow({ where: { id: staffUserId } });
    assert.equal(account.status, "INVITED");
    assert.equal(account.oidcSubject, null);
    assert.equal((await browse(new CookieJar(), `${testApp.baseUrl}/staff/invitation/${token}`)).status, 200);
    assert.deepEqual(
      (await failures()).map((failure) => failure.reason),
      ["sso_link_refused"],
    );
  });
});

describe("a provider that stalls", () => {
  test("a token endpoint that never answers gives the clear page after the timeout, not a 500", async () => {
    await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT", email: "ada@example.org" });
    const jar = new CookieJar();
    const { callbackUrl } = await signInAtProvider(jar, portal, "ada-at-provider", "pwd mfa");
    await provider.hang("/token");
    try {
      const callback = await browse(jar, callbackUrl);
      assert.equal(callback.status, 503);
      assert.match(await callback.text(), /The single sign-on provider is not answering just now/);
    } finally {
      await provider.hang(null);
    }
    assert.equal(await testApp.db.staffSession.count(), 0);
    assert.deepEqual(
      (await failures()).map((failure) => failure.reason),
      ["sso_provider_unavailable"],
    );
  });
});

// Last: it stops the provider.
describe("the provider down", () => {
  test("between sign-in and answer, and before starting: a clear page with the password form, no 500", async () => {
    await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT", email: "ada@example.org" });
    const jar = new CookieJar();
    const { callbackUrl } = await signInAtProvider(jar, portal, "ada-at-provider", "pwd mfa");
    await provider.stop();

    const callback = await browse(jar, callbackUrl);
    assert.equal(callback.status, 503);
    const callbackHtml = await callback.text();
    assert.match(callbackHtml, /The single sign-on provider is not answering just now/);
    assert.match(callbackHtml, /name="password"/);

    const page = await browse(jar, `${testApp.baseUrl}/staff/sign-in`);
    const csrfToken = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? "";
    const started = await browse(jar, `${testApp.baseUrl}/staff/sign-in/sso`, { form: { _csrf: csrfToken } });
    assert.equal(started.status, 503);
    const html = await started.text();
    assert.match(html, /The single sign-on provider is not answering just now/);
    assert.match(html, /name="password"/);
    assert.equal(await testApp.db.staffSession.count(), 0);
    assert.deepEqual(
      (await failures()).map((failure) => failure.reason),
      ["sso_provider_unavailable", "sso_provider_unavailable"],
    );
  });
});
