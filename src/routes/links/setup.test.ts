import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { issueSetupLinkIfNeeded } from "../../commands/staff/issueSetupLink.js";
import { loadConfig } from "../../config.js";
import { totpCodeAt } from "../../domain/totp.js";
import { startDevMailboxServer } from "../../mail/devMailbox.js";
import { deliverEmail, enqueueEmail } from "../../mail/outbox.js";
import { createMailRelay } from "../../mail/relay.js";
import { relaySettings } from "../../mail/relaySettings.js";
import { loadForm, postForm, startTestApp, type TestApp } from "../../test/app.js";
import { truncateTables } from "../../test/reset.js";
import { runScript } from "../../test/scripts.js";
import { testViews } from "../../test/views.js";
import { inspectLinkToken } from "../../tokens.js";
import { urls } from "../../urls.js";

let testApp: TestApp;
before(async () => {
  testApp = await startTestApp();
});
after(() => testApp.close());
beforeEach(async () => {
  await truncateTables(testApp.db, [
    "link_tokens",
    "outbox_messages",
    "audit_events",
    "staff_users",
    "graphile_worker._private_jobs",
  ]);
});

const goodAnswers = { name: "Ada Lovelace", email: "Ada@Example.org" };
const CHOSEN_PASSWORD = "correct horse battery staple";

async function issueLink(): Promise<string> {
  const outcome = await issueSetupLinkIfNeeded(testApp.db);
  assert.equal(outcome.kind, "issued");
  return outcome.kind === "issued" ? outcome.token : "";
}

async function queuedJobs(): Promise<{ task_identifier: string; payload: unknown }[]> {
  return testApp.db.$queryRawUnsafe(
    "SELECT t.identifier AS task_identifier, j.payload FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks t ON t.id = j.task_id",
  );
}

describe("the setup link", () => {
  test("is issued once while no superadmin exists, and audited", async () => {
    const first = await issueSetupLinkIfNeeded(testApp.db);
    assert.equal(first.kind, "issued");
    const second = await issueSetupLinkIfNeeded(testApp.db);
    assert.equal(second.kind, "already_issued");
    const [token] = await testApp.db.linkToken.findMany({ where: { purpose: "superadmin_setup" } });
    assert.ok(token);
    assert.notEqual(token.tokenHash, first.kind === "issued" ? first.token : "", "only the hash is stored");
    assert.equal(await testApp.db.auditEvent.count({ where: { action: "setup.link_issued" } }), 1);
  });

  test("concurrent starts of several instances issue a single link", async () => {
    const outcomes = await Promise.all([1, 2, 3, 4].map(() => issueSetupLinkIfNeeded(testApp.db)));
    assert.equal(outcomes.filter((outcome) => outcome.kind === "issued").length, 1);
    assert.equal(await testApp.db.linkToken.count(), 1);
  });

  test("visiting shows the form and changes nothing", async () => {
    const token = await issueLink();
    const { response, html } = await loadForm(`${testApp.baseUrl}${urls.setup(token)}`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("cache-control"), "no-store");
    for (const field of ["name", "email", "_csrf"]) {
      assert.match(html, new RegExp(`name="${field}"`));
    }
    const stored = await testApp.db.linkToken.findFirstOrThrow();
    assert.equal(stored.usedAt, null);
  });

  test("bad answers re-render the form with a message per field, keeping what was typed", async () => {
    const token = await issueLink();
    const setupUrl = `${testApp.baseUrl}${urls.setup(token)}`;
    const { cookie, csrfToken } = await loadForm(setupUrl);
    const response = await postForm(
      setupUrl,
      { _csrf: csrfToken, name: "Ada Lovelace", email: "not-an-address" },
      { cookie },
    );
    assert.equal(response.status, 422);
    const html = await response.text();
    assert.match(html, /Enter an email address like name@example\.org\./);
    assert.match(html, /value="Ada Lovelace"/);
    assert.match(html, /value="not-an-address"/);
    const noName = await postForm(
      setupUrl,
      { _csrf: csrfToken, name: " ", email: "ada@example.org" },
      { cookie },
    );
    assert.equal(noName.status, 422);
    assert.match(await noName.text(), /Enter your full name\./);
    assert.equal(await testApp.db.staffUser.count(), 0);
    assert.equal((await testApp.db.linkToken.findFirstOrThrow()).usedAt, null, "the link is still usable");
  });

  test("creates the first superadmin, then the invitation page sets password and authenticator and signs in", async () => {
    const token = await issueLink();
    const setupUrl = `${testApp.baseUrl}${urls.setup(token)}`;
    const { cookie, csrfToken } = await loadForm(setupUrl);
    const response = await postForm(
      setupUrl,
      { _csrf: csrfToken, ...goodAnswers },
      { cookie, origin: testApp.baseUrl },
    );
    assert.equal(response.status, 303);
    const invitationPath = response.headers.get("location") ?? "";
    assert.match(invitationPath, /^\/staff\/invitation\/[A-Za-z0-9_-]{43}$/);

    const staffUser = await testApp.db.staffUser.findFirstOrThrow();
    assert.deepEqual(
      [staffUser.email, staffUser.role, staffUser.status, staffUser.passwordHash],
      ["ada@example.org", "SUPERADMIN", "INVITED", null],
    );
    const invitation = await testApp.db.staffInvitation.findFirstOrThrow();
    assert.deepEqual(
      [invitation.inviteeId, invitation.invitedById, invitation.status],
      [staffUser.id, staffUser.id, "SENT"],
    );
    const setupLink = await testApp.db.linkToken.findFirstOrThrow({ where: { purpose: "superadmin_setup" } });
    assert.ok(setupLink.usedAt);
    const audit = await testApp.db.auditEvent.findFirstOrThrow({
      where: { action: "staff.superadmin_created" },
    });
    assert.equal(audit.actorLabel, "setup link");
    assert.equal(audit.subjectId, staffUser.id);
    assert.equal(audit.requestId, response.headers.get("x-request-id"));
    assert.deepEqual(audit.details, {
      via: "setup link",
      invitationId: invitation.id,
      linkTokenId: setupLink.id,
    });
    const welcome = await testApp.db.outboxMessage.findFirstOrThrow();
    assert.deepEqual(
      [welcome.kind, welcome.recipient, welcome.status],
      ["superadmin_welcome", "ada@example.org", "QUEUED"],
    );
    assert.deepEqual(await queuedJobs(), [
      { task_identifier: "deliver_email", payload: { outboxMessageId: welcome.id } },
    ]);

    // The invitation page, as every invited staff member sees it.
    const page = await loadForm(`${testApp.baseUrl}${invitationPath}`);
    assert.equal(page.response.status, 200);
    const secret = (/data-testid="totp-secret">([A-Z2-7 ]+)</.exec(page.html)?.[1] ?? "").replace(/ /g, "");
    const sealedTotpSecret = /name="sealedTotpSecret" value="([^"]+)"/.exec(page.html)?.[1] ?? "";
    const accepted = await postForm(
      `${testApp.baseUrl}${invitationPath}`,
      {
        _csrf: page.csrfToken,
        password: CHOSEN_PASSWORD,
        passwordConfirmation: CHOSEN_PASSWORD,
        code: totpCodeAt(secret, new Date()),
        sealedTotpSecret,
      },
      { cookie: page.cookie },
    );
    assert.equal(accepted.status, 200);
    const sessionCookie = accepted.headers
      .getSetCookie()
      .find((line) => line.startsWith("session="))
      ?.split(";")[0];
    assert.ok(sessionCookie, "signed in");
    const home = await fetch(`${testApp.baseUrl}/staff`, { headers: { cookie: sessionCookie } });
    assert.match(await home.text(), /Signed in as Ada Lovelace \(Superadmin\)/);
    const active = await testApp.db.staffUser.findUniqueOrThrow({ where: { id: staffUser.id } });
    assert.equal(active.status, "ACTIVE");
    assert.match(active.passwordHash ?? "", /^\$argon2id\$/);
    assert.ok(active.totpEnabledAt);
    assert.ok(!testApp.logText().includes(CHOSEN_PASSWORD), "the password never reaches the log");

    const again = await loadForm(setupUrl);
    assert.equal(again.response.status, 404);
    assert.match(again.html, /already been used/);
  });

  test("two submissions racing with one link create exactly one account", async () => {
    const token = await issueLink();
    const setupUrl = `${testApp.baseUrl}${urls.setup(token)}`;
    const { cookie, csrfToken } = await loadForm(setupUrl);
    const responses = await Promise.all([
      postForm(setupUrl, { _csrf: csrfToken, ...goodAnswers }, { cookie }),
      postForm(setupUrl, { _csrf: csrfToken, ...goodAnswers, email: "other@example.org" }, { cookie }),
    ]);
    assert.deepEqual(responses.map((response) => response.status).sort(), [303, 404]);
    assert.equal(await testApp.db.staffUser.count(), 1);
    assert.equal(await testApp.db.auditEvent.count({ where: { action: "staff.superadmin_created" } }), 1);
    assert.equal((await queuedJobs()).length, 1);
  });

  test("an unknown, expired or used link gets a page that says which, and how to get a fresh one", async () => {
    const pageFor = async (token: string) => {
      const response = await fetch(`${testApp.baseUrl}${urls.setup(token)}`);
      assert.equal(response.status, 404);
      const html = await response.text();
      assert.match(html, /npm run create-admin/, "says how to get a new link");
      return html;
    };
    assert.match(await pageFor("short"), /This setup link is not valid/);
    assert.match(await pageFor("A".repeat(43)), /This setup link is not valid/);
    const token = await issueLink();
    const tampered = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
    assert.match(await pageFor(tampered), /This setup link is not valid/);
    await testApp.db.linkToken.updateMany({ data: { expiresAt: new Date(Date.now() - 1000) } });
    assert.match(await pageFor(token), /This setup link has expired/);
    await testApp.db.linkToken.updateMany({
      data: { expiresAt: new Date(Date.now() + 60_000), usedAt: new Date() },
    });
    assert.match(await pageFor(token), /This setup link has already been used/);
  });
});

describe("the welcome email", () => {
  test("goes from the outbox through the relay module over SMTP to the catcher", async () => {
    const directory = await mkdtemp(path.join(tmpdir(), "vp-mailbox-"));
    const logger = testApp.logger;
    const mailbox = await startDevMailboxServer({ directory, port: 0, logger });
    const config = loadConfig({ NODE_ENV: "test", PUBLIC_URL: "http://localhost:3000" });
    const relay = createMailRelay(relaySettings(config, mailbox.port), logger);
    try {
      const { outboxMessageId } = await testApp.db.$transaction((tx) =>
        enqueueEmail(tx, {
          kind: "superadmin_welcome",
          recipient: "grace@example.org",
          payload: { name: "Grace Hopper" },
        }),
      );
      const outcome = await deliverEmail(
        { config, db: testApp.db, logger, views: testViews(), relay, throttle: null },
        outboxMessageId,
      );
      assert.equal(outcome, "sent");
      const messages = await mailbox.store.list();
      assert.equal(messages.length, 1);
      const message = await mailbox.store.read(messages[0]?.id ?? "");
      assert.equal(message?.to, "grace@example.org");
      assert.match(message?.subject ?? "", /superadmin/i);
      assert.match(message?.text ?? "", /Grace Hopper/);
      assert.match(message?.text ?? "", /http:\/\/localhost:3000\/staff\/sign-in/);
      assert.match(message?.from ?? "", /^"?Vetting Portal"? </);
    } finally {
      relay.close();
      await mailbox.close();
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe("npm run create-admin", () => {
  function runCreateAdmin(answers: string[]) {
    return runScript("scripts/create-admin.ts", {
      env: { PATH: process.env.PATH, NODE_ENV: "test", DATABASE_URL: testApp.databaseUrl },
      input: `${answers.join("\n")}\n`,
    });
  }

  test("creates a superadmin from the terminal and prints the single-use link to finish it", async () => {
    const result = await runCreateAdmin([goodAnswers.name, goodAnswers.email]);
    assert.equal(result.stderr, "");
    assert.equal(result.code, 0);
    assert.match(result.stdout, /Superadmin ada@example\.org created/);
    const token = /\/staff\/invitation\/([A-Za-z0-9_-]{43})/.exec(result.stdout)?.[1] ?? "";
    assert.equal((await inspectLinkToken(testApp.db, "staff_invitation", token)).status, "valid");
    const staffUser = await testApp.db.staffUser.findFirstOrThrow();
    assert.deepEqual(
      [staffUser.role, staffUser.status, staffUser.passwordHash],
      ["SUPERADMIN", "INVITED", null],
    );
    const audit = await testApp.db.auditEvent.findFirstOrThrow({
      where: { action: "staff.superadmin_created" },
    });
    assert.equal(audit.actorLabel, "terminal");
  });

  test("refuses an invalid address with a clear message and creates nothing", async () => {
    const result = await runCreateAdmin(["Ada Lovelace", "ada-at-example.org"]);
    assert.equal(result.code, 1);
    assert.equal(result.stderr.trim(), "email: Enter an email address like name@example.org.");
    assert.equal(await testApp.db.staffUser.count(), 0);
  });
});
