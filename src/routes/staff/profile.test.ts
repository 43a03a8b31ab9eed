// Each person's own account page: password, authenticator, recovery codes, sessions, theme. Changing a
// credential emails the owner (delivered through a real SMTP server on loopback) and renews the session.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, beforeEach, describe, test } from "node:test";
import { verifyPassword } from "../../domain/password.js";
import { hashRecoveryCode } from "../../domain/recoveryCodes.js";
import { totpCodeAt } from "../../domain/totp.js";
import { openSecret } from "../../secrets.js";
import { SIGN_IN_LIMITS } from "../../security/signInLimits.js";
import { sessionCookieName } from "../../sessions.js";
import { postForm, startTestApp, type TestApp } from "../../test/app.js";
import { deliverQueuedEmails } from "../../test/browser.js";
import { truncateTables } from "../../test/reset.js";
import { startTestSmtpServer, type TestSmtpServer } from "../../test/smtp.js";
import {
  ageSecondFactor,
  createStaffMember,
  signedInCookie,
  type TestStaffMember,
} from "../../test/staff.js";

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
  await truncateTables(testApp.db, [
    "audit_events",
    "staff_sessions",
    "recovery_codes",
    "outbox_messages",
    "link_tokens",
    "staff_users",
    "rate_limits",
    "graphile_worker._private_jobs",
  ]);
  smtp.messages.length = 0;
});

const NEW_PASSWORD = "seven lanterns over the harbour";

/** A vetting agent signed in here, plus a second session elsewhere. */
async function signedInAgent() {
  const member = await createStaffMember(testApp.db, testApp.config, {
    role: "VETTING_AGENT",
    name: "Alan Agent",
  });
  const cookie = await signedInCookie(testApp.db, testApp.config, member.id);
  const elsewhere = await signedInCookie(testApp.db, testApp.config, member.id);
  const profile = async () => {
    const response = await fetch(`${testApp.baseUrl}/staff/profile`, { headers: { cookie } });
    const html = await response.text();
    return {
      response,
      html,
      csrfToken: /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? "",
      sealedTotpSecret: /name="sealedTotpSecret" value="([^"]+)"/.exec(html)?.[1] ?? "",
      secret: (/data-testid="totp-secret">([A-Z2-7 ]+)</.exec(html)?.[1] ?? "").replace(/ /g, ""),
    };
  };
  const { csrfToken } = await profile();
  const post = (path: string, fields: Record<string, string> = {}) =>
    postForm(`${testApp.baseUrl}${path}`, { _csrf: csrfToken, ...fields }, { cookie });
  return { member, cookie, elsewhere, profile, post };
}

const stillSignedIn = async (cookie: string) =>
  (await fetch(`${testApp.baseUrl}/staff`, { headers: { cookie }, redirect: "manual" })).status === 200;

/** The session cookie a response set (the renewed session), as a Cookie header value. */
function renewedCookie(response: Response): string {
  const name = sessionCookieName(testApp.config);
  const line = response.headers.getSetCookie().find((cookie) => cookie.startsWith(`${name}=`));
  assert.ok(line, "the response sets a new session cookie");
  return line.split(";")[0] ?? "";
}

/** The session is renewed: the old cookie no longer works, the new one does, for the same person. */
async function assertRenewed(response: Response, oldCookie: string): Promise<string> {
  const cookie = renewedCookie(response);
  assert.notEqual(cookie, oldCookie);
  assert.equal(await stillSignedIn(oldCookie), false, "the old session token no longer works");
  assert.equal(await stillSignedIn(cookie), true, "the new one does");
  return cookie;
}

/** The one email queued: to the owner, saying what changed; delivered, it carries no secret. */
async function assertOwnerTold(member: TestStaffMember, change: string, subject: string) {
  const queued = await testApp.db.outboxMessage.findMany();
  assert.deepEqual(
    queued.map((row) => ({
      kind: row.kind,
      recipient: row.recipient,
      change: (row.payload as { change: string }).change,
    })),
    [{ kind: "credentials_changed", recipient: member.email, change }],
  );
  const [email] = await deliverQueuedEmails(testApp, smtp);
  assert.ok(email);
  assert.deepEqual(email.to, [member.email]);
  assert.equal(email.subject, `${subject} — Vetting Portal`);
  assert.match(email.text, /If this was not you, someone may have access to your account/);
  return email;
}
const actions = async (member: TestStaffMember) =>
  (await testApp.db.auditEvent.findMany({ where: { subjectId: member.id }, orderBy: { id: "asc" } })).map(
    (row) => row.action,
  );

describe("the profile page", () => {
  test("shows who the person is and where they are signed in", async () => {
    const { profile, member } = await signedInAgent();
    const { response, html } = await profile();
    assert.equal(response.status, 200);
    assert.match(html, /Alan Agent/);
    assert.ok(html.includes(member.email));
    assert.match(html, /Vetting agent/);
    assert.equal((html.match(/<strong>This session<\/strong>/g) ?? []).length, 1);
    assert.equal((html.match(/>End session</g) ?? []).length, 1, "the other session can be ended");
  });

  test("changing the password asks the current one and ends the other sessions", async () => {
    const { member, cookie, elsewhere, post } = await signedInAgent();
    const wrong = await post("/staff/profile/password", {
      currentPassword: "not my password",
      password: NEW_PASSWORD,
      passwordConfirmation: NEW_PASSWORD,
    });
    assert.equal(wrong.status, 422);
    const wrongHtml = await wrong.text();
    assert.match(wrongHtml, /Your current password is not right\./);
    assert.doesNotMatch(wrongHtml, new RegExp(NEW_PASSWORD), "no password is echoed back");

    const weak = await post("/staff/profile/password", {
      currentPassword: member.password,
      password: "password1234",
      passwordConfirmation: "password1234",
    });
    assert.equal(weak.status, 422);
    assert.match(await weak.text(), /too common/);

    const response = await post("/staff/profile/password", {
      currentPassword: member.password,
      password: NEW_PASSWORD,
      passwordConfirmation: NEW_PASSWORD,
    });
    assert.equal(response.status, 303);
    const row = await testApp.db.staffUser.findUniqueOrThrow({ where: { id: member.id } });
    assert.ok(await verifyPassword(row.passwordHash ?? "", NEW_PASSWORD));
    assert.equal(await stillSignedIn(elsewhere), false);
    await assertRenewed(response, cookie);
    assert.deepEqual(await actions(member), ["staff.password_changed"]);
    const email = await assertOwnerTold(member, "password", "Your password was changed");
    assert.ok(!email.text.includes(NEW_PASSWORD) && !email.html.includes(NEW_PASSWORD), "no password in it");
  });

  test("wrong current passwords count against the sign-in limits: a hijacked session cannot guess freely", async () => {
    const { member, post } = await signedInAgent();
    for (let attempt = 0; attempt <= SIGN_IN_LIMITS.consecutiveFailuresPerAccountAndIp; attempt += 1) {
      const response = await post("/staff/profile/password", {
        currentPassword: `guess number ${attempt}`,
        password: NEW_PASSWORD,
        passwordConfirmation: NEW_PASSWORD,
      });
      assert.equal(response.status, 422);
    }
    const blocked = await post("/staff/profile/password", {
      currentPassword: member.password,
      password: NEW_PASSWORD,
      passwordConfirmation: NEW_PASSWORD,
    });
    assert.equal(blocked.status, 422);
    assert.match(await blocked.text(), /Too many wrong passwords\. Try again in \d+ minutes\./);
    const row = await testApp.db.staffUser.findUniqueOrThrow({ where: { id: member.id } });
    assert.equal(await verifyPassword(row.passwordHash ?? "", member.password), true, "unchanged");
  });

  test("moving to a new authenticator needs the password and a code from the new secret", async () => {
    const { member, cookie, elsewhere, profile, post } = await signedInAgent();
    const page = await profile();
    assert.equal(openSecret(testApp.config.staff.totpKey, page.sealedTotpSecret).split(":")[2], page.secret);
    const wrongCode = await post("/staff/profile/authenticator", {
      currentPassword: member.password,
      code: "123456",
      sealedTotpSecret: page.sealedTotpSecret,
    });
    assert.equal(wrongCode.status, 422);
    assert.match(await wrongCode.text(), /That code is not right/);

    const response = await post("/staff/profile/authenticator", {
      currentPassword: member.password,
      code: totpCodeAt(page.secret, new Date()),
      sealedTotpSecret: page.sealedTotpSecret,
    });
    assert.equal(response.status, 303);
    const row = await testApp.db.staffUser.findUniqueOrThrow({ where: { id: member.id } });
    assert.equal(openSecret(testApp.config.staff.totpKey, row.totpSecretSealed ?? ""), page.secret);
    assert.equal(await stillSignedIn(elsewhere), false);
    const renewed = await assertRenewed(response, cookie);
    assert.deepEqual(await actions(member), ["staff.totp_enrolled"]);
    const email = await assertOwnerTold(
      member,
      "authenticator",
      "Two-step sign-in now uses a new authenticator",
    );
    assert.ok(!email.text.includes(page.secret), "no secret in it");

    // Someone else's sealed secret does not open here.
    const other = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
    const otherCookie = await signedInCookie(testApp.db, testApp.config, other.id);
    const otherPage = await (
      await fetch(`${testApp.baseUrl}/staff/profile`, { headers: { cookie: otherCookie } })
    ).text();
    const otherSealed = /name="sealedTotpSecret" value="([^"]+)"/.exec(otherPage)?.[1] ?? "";
    const renewedPage = await (
      await fetch(`${testApp.baseUrl}/staff/profile`, { headers: { cookie: renewed } })
    ).text();
    const refused = await postForm(
      `${testApp.baseUrl}/staff/profile/authenticator`,
      {
        _csrf: /name="_csrf" value="([^"]+)"/.exec(renewedPage)?.[1] ?? "",
        currentPassword: member.password,
        code: "000000",
        sealedTotpSecret: otherSealed,
      },
      { cookie: renewed },
    );
    assert.equal(refused.status, 422);
  });

  test("new recovery codes are shown once, replace the old ones, renew the session and email the owner", async () => {
    const { member, cookie, post } = await signedInAgent();
    await testApp.db.recoveryCode.create({ data: { staffUserId: member.id, codeHash: "old" } });
    const response = await post("/staff/profile/recovery-codes");
    assert.equal(response.status, 200);
    const html = await response.text();
    const newCookie = await assertRenewed(response, cookie);
    // The page answered carries the new session's CSRF token: its own forms (sign-out) work.
    const pageToken = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
    const signOut = await postForm(
      `${testApp.baseUrl}/staff/sign-out`,
      { _csrf: pageToken },
      { cookie: newCookie },
    );
    assert.equal(signOut.status, 303);
    assert.equal(await stillSignedIn(newCookie), false);
    const shown = [...html.matchAll(/<li><code>([0-9a-z]{5}-[0-9a-z]{5})<\/code><\/li>/g)].map(
      (m) => m[1] ?? "",
    );
    assert.equal(shown.length, 10);
    const stored = await testApp.db.recoveryCode.findMany({ where: { staffUserId: member.id } });
    assert.deepEqual(
      stored.map((row) => row.codeHash).sort(),
      shown.map((code) => hashRecoveryCode(testApp.config.staff.totpKey, code)).sort(),
    );
    assert.deepEqual(await actions(member), ["staff.recovery_codes_regenerated", "staff.signed_out"]);
    const email = await assertOwnerTold(
      member,
      "recovery_codes",
      "New recovery codes were made for your account",
    );
    for (const code of shown)
      assert.ok(!email.text.includes(code) && !email.html.includes(code), "no code in it");
  });

  test("new recovery codes need a fresh second factor: a stale session is asked, and nothing changes until the code", async () => {
    const { member, cookie, post } = await signedInAgent();
    await ageSecondFactor(testApp.db, member.id, 11);
    const asked = await post("/staff/profile/recovery-codes");
    assert.equal(asked.status, 403);
    assert.match(
      await asked.text(),
      /To make new recovery codes, enter a code from your authenticator app\./,
    );
    assert.equal(await testApp.db.recoveryCode.count({ where: { staffUserId: member.id } }), 0);
    assert.equal(await testApp.db.outboxMessage.count(), 0);
    assert.equal(await stillSignedIn(cookie), true, "the session is unchanged");

    const response = await post("/staff/profile/recovery-codes", {
      stepUpCode: totpCodeAt(member.totpSecret, new Date()),
    });
    assert.equal(response.status, 200);
    assert.equal(await testApp.db.recoveryCode.count({ where: { staffUserId: member.id } }), 10);
    await assertRenewed(response, cookie);
    assert.deepEqual(await actions(member), ["staff.stepped_up", "staff.recovery_codes_regenerated"]);
    await assertOwnerTold(member, "recovery_codes", "New recovery codes were made for your account");
  });

  test("ends another session of one's own, never someone else's", async () => {
    const { member, elsewhere, post, cookie } = await signedInAgent();
    const elsewhereHash = createHash("sha256")
      .update(elsewhere.split("=")[1] ?? "")
      .digest("hex");
    const other = await testApp.db.staffSession.findUniqueOrThrow({ where: { tokenHash: elsewhereHash } });
    const otherPerson = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
    const strangerCookie = await signedInCookie(testApp.db, testApp.config, otherPerson.id);
    const strangerSession = await testApp.db.staffSession.findFirstOrThrow({
      where: { staffUserId: otherPerson.id },
    });
    assert.equal((await post(`/staff/profile/sessions/${strangerSession.id}/end`)).status, 404);
    assert.equal(await stillSignedIn(strangerCookie), true);

    const sessions = await testApp.db.staffSession.findMany({ where: { staffUserId: member.id } });
    assert.equal(sessions.length, 2);
    const response = await post(`/staff/profile/sessions/${other.id}/end`);
    assert.equal(response.status, 303);
    assert.equal(await stillSignedIn(elsewhere), false);
    assert.equal(await stillSignedIn(cookie), true);
    assert.deepEqual(await actions(member), ["staff.session_ended"]);
  });

  test("the theme choice applies to every page and is audited", async () => {
    const { member, cookie, post } = await signedInAgent();
    const response = await post("/staff/profile/theme", { theme: "DARK" });
    assert.equal(response.status, 303);
    const html = await (await fetch(`${testApp.baseUrl}/staff`, { headers: { cookie } })).text();
    assert.match(html, /<html lang="en" data-theme="dark">/);
    assert.deepEqual(await actions(member), ["staff.theme_changed"]);
    assert.equal((await post("/staff/profile/theme", { theme: "NEON" })).status, 422);
  });

  test("one's own Matrix ID and phone are saved normalised like an applicant's; the audit row names the fields only", async () => {
    const { member, profile, post } = await signedInAgent();
    const page = (await profile()).html;
    assert.match(page, /so that you are never asked to decide the case of someone who\s+shares them/);

    const response = await post("/staff/profile/contact-details", {
      matrixId: "  @alan.agent:example.org ",
      phone: "+44 (20) 7946-0958",
    });
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), "/staff/profile?done=contact_details");
    const saved = await testApp.db.staffUser.findUniqueOrThrow({ where: { id: member.id } });
    assert.deepEqual([saved.matrixId, saved.phone], ["@alan.agent:example.org", "+442079460958"]);
    const audit = await testApp.db.auditEvent.findFirstOrThrow({ where: { subjectId: member.id } });
    assert.equal(audit.action, "staff.contact_details_changed");
    assert.deepEqual(audit.details, { fields: ["matrixId", "phone"] });
    const shown = (await profile()).html;
    assert.match(shown, /value="@alan\.agent:example\.org"/);
    assert.match(shown, /value="\+442079460958"/);

    // Emptying a field removes it; only the field that changed is named.
    assert.equal(
      (await post("/staff/profile/contact-details", { matrixId: "@alan.agent:example.org", phone: "" }))
        .status,
      303,
    );
    const cleared = await testApp.db.staffUser.findUniqueOrThrow({ where: { id: member.id } });
    assert.deepEqual([cleared.matrixId, cleared.phone], ["@alan.agent:example.org", null]);
    const last = await testApp.db.auditEvent.findFirstOrThrow({
      where: { subjectId: member.id },
      orderBy: { id: "desc" },
    });
    assert.deepEqual(last.details, { fields: ["phone"] });
  });

  test("a Matrix ID or phone that is not valid is refused next to its field, and nothing is saved", async () => {
    const { member, post } = await signedInAgent();
    const response = await post("/staff/profile/contact-details", {
      matrixId: "Alan<script>@example.org",
      phone: "+1 555 0100",
    });
    assert.equal(response.status, 422);
    const html = await response.text();
    assert.match(html, /Enter a Matrix ID like @name:example\.org/);
    assert.match(html, /Enter a phone number in international format, starting with \+ and the country code/);
    assert.match(html, /value="Alan&lt;script&gt;@example\.org"/, "what was typed is kept, escaped");
    assert.doesNotMatch(html, /<script>@/);
    const unchanged = await testApp.db.staffUser.findUniqueOrThrow({ where: { id: member.id } });
    assert.deepEqual([unchanged.matrixId, unchanged.phone], [null, null]);
    assert.deepEqual(await actions(member), []);

    const notText = await post("/staff/profile/contact-details", { phone: "0044 20 7946 0958" });
    assert.equal(notText.status, 422, "a number without + and the country code");
    const forged = await postForm(
      `${testApp.baseUrl}/staff/profile/contact-details`,
      { matrixId: "@alan:example.org" },
      { cookie: await signedInCookie(testApp.db, testApp.config, member.id) },
    );
    assert.equal(forged.status, 403, "the form's CSRF token is needed");
    assert.equal((await testApp.db.staffUser.findUniqueOrThrow({ where: { id: member.id } })).matrixId, null);
  });
});
