// OIDC_ONLY: password and passkey-alone sign-in go off once every active staff account is linked (never
// before: nobody is locked out by turning it on), and superadmins keep an emergency sign-in with their
// password and a recovery code, audited and emailed. Against a real OpenID provider, as oidcSignIn.test.ts.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { hashRecoveryCode } from "../../domain/recoveryCodes.js";
import { totpCodeAt } from "../../domain/totp.js";
import { loadForm, postForm, startTestApp, type TestApp } from "../../test/app.js";
import { startOidcProvider, type TestOidcProvider } from "../../test/oidcProvider.js";
import { truncateTables } from "../../test/reset.js";
import { createStaffMember } from "../../test/staff.js";

let provider: TestOidcProvider;
let testApp: TestApp;

before(async () => {
  provider = await startOidcProvider({ portalUrl: "http://127.0.0.1:3000", accounts: {} });
  testApp = await startTestApp({ env: { ...provider.env, OIDC_ONLY: "true" } });
});
after(async () => {
  await testApp.close();
  await provider.stop();
});
beforeEach(async () => {
  await truncateTables(testApp.db, [
    "audit_events",
    "staff_sessions",
    "recovery_codes",
    "outbox_messages",
    "staff_users",
    "rate_limits",
    "graphile_worker._private_jobs",
  ]);
});

async function member(role: "VETTING_AGENT" | "SUPERADMIN", isLinked: boolean) {
  const created = await createStaffMember(testApp.db, testApp.config, { role });
  if (isLinked) {
    await testApp.db.staffUser.update({
      where: { id: created.id },
      data: { oidcIssuer: provider.issuer, oidcSubject: `sub-${created.id}`, oidcLinkedAt: new Date() },
    });
  }
  const recoveryCode = "abcd-efgh-ijkl";
  await testApp.db.recoveryCode.create({
    data: { staffUserId: created.id, codeHash: hashRecoveryCode(testApp.config.staff.totpKey, recoveryCode) },
  });
  return { ...created, recoveryCode };
}

describe("password sign-in while only single sign-on is on", () => {
  test("stays on while an active account is not linked yet", async () => {
    await member("SUPERADMIN", true);
    const agent = await member("VETTING_AGENT", false);
    const { html, cookie, csrfToken } = await loadForm(`${testApp.baseUrl}/staff/sign-in`);
    assert.match(html, /name="password"/);
    const response = await postForm(
      `${testApp.baseUrl}/staff/sign-in`,
      { _csrf: csrfToken, email: agent.email, password: agent.password },
      { cookie },
    );
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), "/staff/sign-in/verify");
  });

  test("goes off once every active account is linked: the page offers single sign-on and the emergency path", async () => {
    const agent = await member("VETTING_AGENT", true);
    await member("SUPERADMIN", true);
    // A disabled account does not hold the switch.
    await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT", status: "DISABLED" });
    const { html, cookie, csrfToken } = await loadForm(`${testApp.baseUrl}/staff/sign-in`);
    assert.doesNotMatch(html, /name="password"/);
    assert.doesNotMatch(html, /Sign in with a passkey/);
    assert.match(html, /Sign in with Example ID/);
    assert.match(html, /href="\/staff\/sign-in\/break-glass"/);

    const response = await postForm(
      `${testApp.baseUrl}/staff/sign-in`,
      { _csrf: csrfToken, email: agent.email, password: agent.password },
      { cookie },
    );
    assert.equal(response.status, 403);
    assert.match(await response.text(), /Staff sign in with single sign-on only/);
    const passkey = await postForm(
      `${testApp.baseUrl}/staff/sign-in/passkey`,
      { _csrf: csrfToken },
      { cookie },
    );
    assert.equal(passkey.status, 303);
    assert.equal(await testApp.db.staffSession.count(), 0);
    assert.equal(await testApp.db.passkeyChallenge.count(), 0);
  });
});

describe("the emergency sign-in", () => {
  test("a superadmin's password and recovery code sign in, used up, audited and emailed", async () => {
    const superadmin = await member("SUPERADMIN", true);
    const { cookie, csrfToken } = await loadForm(`${testApp.baseUrl}/staff/sign-in/break-glass`);
    const response = await postForm(
      `${testApp.baseUrl}/staff/sign-in/break-glass`,
      {
        _csrf: csrfToken,
        email: superadmin.email,
        password: superadmin.password,
        recoveryCode: superadmin.recoveryCode,
      },
      { cookie },
    );
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), "/staff");
    const [session] = await testApp.db.staffSession.findMany({ where: { staffUserId: superadmin.id } });
    assert.ok(session?.authenticatedAt);
    const [code] = await testApp.db.recoveryCode.findMany({ where: { staffUserId: superadmin.id } });
    assert.ok(code?.usedAt, "the recovery code is used up");
    const actions = (
      await testApp.db.auditEvent.findMany({
        where: { subjectId: superadmin.id },
        orderBy: { occurredAt: "asc" },
      })
    ).map((row) => row.action);
    assert.deepEqual(actions, ["staff.recovery_code_used", "staff.break_glass_sign_in", "staff.signed_in"]);
    const [email] = await testApp.db.outboxMessage.findMany({ where: { recipient: superadmin.email } });
    assert.equal((email?.payload as { change?: string } | undefined)?.change, "break_glass_sign_in");

    // The same code again does nothing.
    const again = await loadForm(`${testApp.baseUrl}/staff/sign-in/break-glass`);
    const replay = await postForm(
      `${testApp.baseUrl}/staff/sign-in/break-glass`,
      {
        _csrf: again.csrfToken,
        email: superadmin.email,
        password: superadmin.password,
        recoveryCode: superadmin.recoveryCode,
      },
      { cookie: again.cookie },
    );
    assert.equal(replay.status, 422);
  });

  test("refused to anyone but a superadmin, and to a TOTP code in place of a recovery code", async () => {
    const agent = await member("VETTING_AGENT", true);
    const superadmin = await member("SUPERADMIN", true);
    const { cookie, csrfToken } = await loadForm(`${testApp.baseUrl}/staff/sign-in/break-glass`);
    const asAgent = await postForm(
      `${testApp.baseUrl}/staff/sign-in/break-glass`,
      { _csrf: csrfToken, email: agent.email, password: agent.password, recoveryCode: agent.recoveryCode },
      { cookie },
    );
    assert.equal(asAgent.status, 422);
    assert.match(await asAgent.text(), /The emergency sign-in needs a superadmin/);
    const withTotp = await postForm(
      `${testApp.baseUrl}/staff/sign-in/break-glass`,
      {
        _csrf: csrfToken,
        email: superadmin.email,
        password: superadmin.password,
        recoveryCode: totpCodeAt(superadmin.totpSecret, new Date()),
      },
      { cookie },
    );
    assert.equal(withTotp.status, 422);
    assert.equal(await testApp.db.staffSession.count(), 0);
    const failures = await testApp.db.auditEvent.findMany({
      where: { action: "staff.sign_in_failed" },
      orderBy: { occurredAt: "asc" },
    });
    assert.deepEqual(
      failures.map((row) => (row.details as { reason: string }).reason),
      ["account_disabled", "wrong_code"],
    );
  });
});

// Last: it stops the provider.
describe("the provider down while only single sign-on is on", () => {
  test("the page says so and offers no password form, only the emergency path", async () => {
    await member("SUPERADMIN", true);
    await provider.stop();
    const { cookie, csrfToken } = await loadForm(`${testApp.baseUrl}/staff/sign-in`);
    const response = await postForm(`${testApp.baseUrl}/staff/sign-in/sso`, { _csrf: csrfToken }, { cookie });
    assert.equal(response.status, 503);
    const html = await response.text();
    assert.match(
      html,
      /The single sign-on provider is not answering just now\. Try again in a few minutes\./,
    );
    assert.doesNotMatch(html, /name="password"/);
    assert.match(html, /href="\/staff\/sign-in\/break-glass"/);
  });
});
