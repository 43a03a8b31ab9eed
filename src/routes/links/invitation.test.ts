// The invitation email and its link, end to end: a superadmin invites over HTTP, the outbox delivers
// through a real SMTP server, and the invitee follows the link from the email that arrived.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { hashRecoveryCode } from "../../domain/recoveryCodes.js";
import { totpCodeAt } from "../../domain/totp.js";
import { deliverEmail } from "../../mail/outbox.js";
import { createMailRelay, type MailRelay } from "../../mail/relay.js";
import { relaySettings } from "../../mail/relaySettings.js";
import { openSecret } from "../../secrets.js";
import { postForm, startTestApp, type TestApp } from "../../test/app.js";
import { truncateTables } from "../../test/reset.js";
import {
  createTestCertificate,
  startTestSmtpServer,
  type TestSmtpServer,
  writeCertificateFile,
} from "../../test/smtp.js";
import { createStaffMember, signedInCookie } from "../../test/staff.js";
import { testViews } from "../../test/views.js";

const STRONG_PASSWORD = "purple otters juggle quietly";

let smtp: TestSmtpServer;
let caFile: { path: string; remove(): Promise<void> };
let testApp: TestApp;
let relay: MailRelay;

before(async () => {
  smtp = await startTestSmtpServer({ tls: "starttls", auth: { user: "portal", password: "relay-pw" } });
  caFile = await writeCertificateFile((await createTestCertificate()).cert);
  testApp = await startTestApp({
    env: {
      SMTP_PORTS: String(smtp.port),
      SMTP_USER: "portal",
      SMTP_RELAY_AUTHPW: "relay-pw",
      SMTP_CA_FILE: caFile.path,
      MAIL_FROM_ADDRESS: "vetting@example.org",
    },
  });
  relay = createMailRelay(relaySettings(testApp.config, null), testApp.logger);
});
after(async () => {
  relay.close();
  await testApp.close();
  await smtp.close();
  await caFile.remove();
});
beforeEach(async () => {
  smtp.messages.length = 0;
  await truncateTables(testApp.db, [
    "link_tokens",
    "outbox_messages",
    "audit_events",
    "staff_sessions",
    "recovery_codes",
    "staff_invitations",
    "staff_users",
    "graphile_worker._private_jobs",
  ]);
});

/** A signed-in person's cookie and the CSRF token their pages carry. */
async function signIn(staffUserId: string): Promise<{ cookie: string; csrfToken: string }> {
  const cookie = await signedInCookie(testApp.db, testApp.config, staffUserId);
  const page = await fetch(`${testApp.baseUrl}/staff/invitations`, { headers: { cookie } });
  const csrfToken = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? "";
  return { cookie, csrfToken };
}

/** Delivers every queued email through the relay to the test SMTP server. */
async function deliverQueuedMail(): Promise<void> {
  const queued = await testApp.db.outboxMessage.findMany({
    where: { status: "QUEUED" },
    select: { id: true },
  });
  for (const { id } of queued) {
    const outcome = await deliverEmail(
      {
        config: testApp.config,
        db: testApp.db,
        views: testViews(),
        relay,
        logger: testApp.logger,
        throttle: null,
      },
      id,
    );
    assert.equal(outcome, "sent");
  }
}

/** The path of the invitation link in the last email that arrived for this address. */
function invitationPathFromMail(recipient: string): string {
  const message = smtp.messages.filter((received) => received.to.includes(recipient)).at(-1);
  assert.ok(message, `an email arrived for ${recipient}`);
  const link = /https?:\/\/\S+\/staff\/invitation\/[A-Za-z0-9_-]{43}/.exec(message.text)?.[0];
  assert.ok(link, "the email carries the invitation link");
  return new URL(link).pathname;
}

async function inviteBySuperadmin(invitee: { name: string; email: string; role: string }) {
  const superadmin = await createStaffMember(testApp.db, testApp.config, {
    role: "SUPERADMIN",
    name: "Sue Super",
  });
  const { cookie, csrfToken } = await signIn(superadmin.id);
  const response = await postForm(
    `${testApp.baseUrl}/staff/invitations`,
    { _csrf: csrfToken, ...invitee },
    { cookie },
  );
  assert.equal(response.status, 303);
  await deliverQueuedMail();
  return { superadmin, cookie, csrfToken, path: invitationPathFromMail(invitee.email) };
}

/** The invitation page as a browser gets it: its CSRF cookie, token, sealed secret and the key shown. */
async function openInvitation(path: string) {
  const response = await fetch(`${testApp.baseUrl}${path}`);
  const html = await response.text();
  const cookie = (response.headers.getSetCookie()[0] ?? "").split(";")[0] ?? "";
  const field = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(html)?.[1] ?? "";
  const secret = (/data-testid="totp-secret">([A-Z2-7 ]+)</.exec(html)?.[1] ?? "").replace(/ /g, "");
  return {
    response,
    html,
    cookie,
    csrfToken: field("_csrf"),
    sealedTotpSecret: field("sealedTotpSecret"),
    secret,
  };
}

describe("the invitation link", () => {
  test("arrives by email, opens without being used up, and works exactly once", async () => {
    const { path } = await inviteBySuperadmin({
      name: "Ann Agent",
      email: "ann@example.org",
      role: "VETTING_AGENT",
    });
    const message = smtp.messages[0];
    assert.equal(message?.subject, "You are invited to join the staff — Vetting Portal");
    assert.match(message?.text ?? "", /Hello Ann Agent/);
    assert.match(message?.text ?? "", /Sue Super has invited you/);
    assert.match(message?.text ?? "", /“Vetting agent”/);

    // A scanner (or the person) opening the link twice consumes nothing.
    const first = await openInvitation(path);
    const page = await openInvitation(path);
    assert.equal(first.response.status, 200);
    assert.equal(page.response.status, 200);
    assert.equal(page.response.headers.get("cache-control"), "no-store");
    assert.equal(await testApp.db.linkToken.count({ where: { usedAt: { not: null } } }), 0);
    assert.match(page.html, /Set up your staff account/);
    assert.match(page.html, /src="data:image\/png;base64,/, "the QR code is made on the server");
    assert.match(page.secret, /^[A-Z2-7]{32}$/);
    assert.equal(
      openSecret(testApp.config.staff.totpKey, page.sealedTotpSecret).split(":")[1],
      page.secret,
      "the hidden field is the shown secret, sealed",
    );

    const code = totpCodeAt(page.secret, new Date());
    const accepted = await postForm(
      `${testApp.baseUrl}${path}`,
      {
        _csrf: page.csrfToken,
        password: STRONG_PASSWORD,
        passwordConfirmation: STRONG_PASSWORD,
        code,
        sealedTotpSecret: page.sealedTotpSecret,
      },
      { cookie: page.cookie },
    );
    assert.equal(accepted.status, 200);
    const donePage = await accepted.text();
    assert.match(donePage, /Your account is ready/);
    const shownCodes = [...donePage.matchAll(/<li><code>([0-9a-z]{5}-[0-9a-z]{5})<\/code><\/li>/g)].map(
      (m) => m[1],
    );
    assert.equal(shownCodes.length, 10);

    const user = await testApp.db.staffUser.findUniqueOrThrow({
      where: { email: "ann@example.org" },
      include: { recoveryCodes: true, invitation: true },
    });
    assert.equal(user.status, "ACTIVE");
    assert.ok(user.passwordHash?.startsWith("$argon2id$"));
    assert.equal(openSecret(testApp.config.staff.totpKey, user.totpSecretSealed ?? ""), page.secret);
    assert.ok(user.totpEnabledAt);
    assert.ok(user.totpLastUsedStep !== null, "the enrolment code cannot be used again to sign in");
    assert.equal(user.invitation?.status, "ACCEPTED");
    assert.deepEqual(
      user.recoveryCodes.map((row) => row.codeHash).sort(),
      shownCodes.map((shown) => hashRecoveryCode(testApp.config.staff.totpKey, shown ?? "")).sort(),
      "only keyed hashes of the codes shown are stored",
    );
    const actions = await testApp.db.auditEvent.findMany({
      where: { subjectId: user.id },
      orderBy: { id: "asc" },
      select: { action: true, actorId: true },
    });
    assert.deepEqual(
      actions.map((row) => row.action),
      ["staff.invited", "staff.invitation_accepted", "staff.totp_enrolled"],
    );
    assert.equal(actions[1]?.actorId, user.id);

    // The answer carried a fully signed-in session.
    const sessionCookie = accepted.headers
      .getSetCookie()
      .find((value) => value.startsWith("session="))
      ?.split(";")[0];
    assert.ok(sessionCookie);
    const home = await fetch(`${testApp.baseUrl}/staff`, {
      headers: { cookie: sessionCookie },
      redirect: "manual",
    });
    assert.equal(home.status, 200);
    assert.match(await home.text(), /Signed in as Ann Agent \(Vetting agent\)/);

    // The same link again: no longer valid, and nothing changes.
    const again = await postForm(
      `${testApp.baseUrl}${path}`,
      {
        _csrf: page.csrfToken,
        password: STRONG_PASSWORD,
        passwordConfirmation: STRONG_PASSWORD,
        code: totpCodeAt(page.secret, new Date(Date.now() + 30_000)),
        sealedTotpSecret: page.sealedTotpSecret,
      },
      { cookie: page.cookie },
    );
    assert.equal(again.status, 404);
    assert.match(await again.text(), /no longer valid/);
    const reopened = await fetch(`${testApp.baseUrl}${path}`);
    assert.equal(reopened.status, 404);
    assert.match(await reopened.text(), /ask the admin who invited you to send the invitation again/i);
  });

  test("mistakes are shown with the form kept (never the password), and nothing is used up", async () => {
    const { path } = await inviteBySuperadmin({
      name: "Bob Builder",
      email: "bob@example.org",
      role: "VETTING_AGENT",
    });
    const page = await openInvitation(path);
    const response = await postForm(
      `${testApp.baseUrl}${path}`,
      {
        _csrf: page.csrfToken,
        password: "short",
        passwordConfirmation: "short",
        code: "000000",
        sealedTotpSecret: page.sealedTotpSecret,
      },
      { cookie: page.cookie },
    );
    assert.equal(response.status, 422);
    const html = await response.text();
    assert.match(html, /Use at least 12 characters\./);
    assert.match(html, /That code is not right/);
    assert.doesNotMatch(html, /value="short"/);
    assert.match(
      html,
      new RegExp(page.sealedTotpSecret.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")),
      "same secret kept",
    );

    const mismatch = await postForm(
      `${testApp.baseUrl}${path}`,
      {
        _csrf: page.csrfToken,
        password: STRONG_PASSWORD,
        passwordConfirmation: `${STRONG_PASSWORD}!`,
        code: totpCodeAt(page.secret, new Date()),
        sealedTotpSecret: page.sealedTotpSecret,
      },
      { cookie: page.cookie },
    );
    assert.equal(mismatch.status, 422);
    assert.match(await mismatch.text(), /The two passwords are not the same\./);

    const forged = await postForm(
      `${testApp.baseUrl}${path}`,
      {
        _csrf: page.csrfToken,
        password: STRONG_PASSWORD,
        passwordConfirmation: STRONG_PASSWORD,
        code: totpCodeAt(page.secret, new Date()),
        sealedTotpSecret: alteredInTheMiddle(page.sealedTotpSecret),
      },
      { cookie: page.cookie },
    );
    assert.equal(forged.status, 422, "a sealed secret that does not open is refused");
    assert.equal(await testApp.db.linkToken.count({ where: { usedAt: { not: null } } }), 0);
    const user = await testApp.db.staffUser.findUniqueOrThrow({ where: { email: "bob@example.org" } });
    assert.equal(user.status, "INVITED");
    assert.equal(user.passwordHash, null);
  });

  test("an unknown or expired link says so and how to get a new one", async () => {
    const unknown = await fetch(`${testApp.baseUrl}/staff/invitation/${"A".repeat(43)}`);
    assert.equal(unknown.status, 404);
    assert.match(await unknown.text(), /This invitation link is not valid/);

    const { path } = await inviteBySuperadmin({
      name: "Eve Expired",
      email: "eve@example.org",
      role: "VETTING_AGENT",
    });
    await testApp.db.linkToken.updateMany({ data: { expiresAt: new Date(Date.now() - 1000) } });
    const expired = await fetch(`${testApp.baseUrl}${path}`);
    assert.equal(expired.status, 404);
    const html = await expired.text();
    assert.match(html, /This invitation link has expired/);
    assert.match(html, /send the invitation again/);
  });

  test("resending withdraws the earlier link; revoking withdraws every link", async () => {
    const { path, cookie, csrfToken } = await inviteBySuperadmin({
      name: "Rita Resent",
      email: "rita@example.org",
      role: "INVITING_ADMIN",
    });
    const invitation = await testApp.db.staffInvitation.findFirstOrThrow();
    const resend = await postForm(
      `${testApp.baseUrl}/staff/invitations/${invitation.id}/resend`,
      { _csrf: csrfToken },
      { cookie },
    );
    assert.equal(resend.status, 303);
    await deliverQueuedMail();
    const newPath = invitationPathFromMail("rita@example.org");
    assert.notEqual(newPath, path);
    assert.equal((await fetch(`${testApp.baseUrl}${path}`)).status, 404, "the old link stopped working");
    assert.equal((await fetch(`${testApp.baseUrl}${newPath}`)).status, 200);

    const revoke = await postForm(
      `${testApp.baseUrl}/staff/invitations/${invitation.id}/revoke`,
      { _csrf: csrfToken },
      { cookie },
    );
    assert.equal(revoke.status, 303);
    const revoked = await fetch(`${testApp.baseUrl}${newPath}`);
    assert.equal(revoked.status, 404);
    assert.match(await revoked.text(), /no longer valid/);
    const user = await testApp.db.staffUser.findUniqueOrThrow({ where: { email: "rita@example.org" } });
    assert.equal(user.status, "DISABLED");
    assert.deepEqual(
      (await testApp.db.auditEvent.findMany({ where: { subjectId: user.id }, orderBy: { id: "asc" } })).map(
        (row) => row.action,
      ),
      ["staff.invited", "staff.invitation_resent", "staff.invitation_revoked"],
    );
  });
});

/**
 * The sealed text with one character in its middle changed. (Changing its last characters could leave
 * the bytes as they were: the last character of unpadded base64 carries bits that decode to nothing.)
 */
function alteredInTheMiddle(sealed: string): string {
  const middle = Math.floor(sealed.length / 2);
  return `${sealed.slice(0, middle)}${sealed[middle] === "A" ? "B" : "A"}${sealed.slice(middle + 1)}`;
}
