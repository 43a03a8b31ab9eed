// The tokens page and its actions, through the real app, real Postgres, the fake Synapse over real HTTP
// and a real SMTP server on loopback: every live status from ONE list call per page view (cached after),
// "status unavailable" when the homeserver is down, revoke and re-issue (homeserver state, rows, audit,
// emails), who may see and act, and the page with the feature off.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { requestRegistrationToken } from "../../commands/registrationTokens/requestRegistrationToken.js";
import { issueRegistrationToken } from "../../jobs/issueRegistrationToken.js";
import { createSynapseAdmin } from "../../matrix/synapseAdmin.js";
import { openRegistrationToken } from "../../matrix/tokenSecrets.js";
import { startTestApp, type TestApp } from "../../test/app.js";
import { deliverQueuedEmails } from "../../test/browser.js";
import { type FakeSynapse, startFakeSynapse } from "../../test/fakeSynapse.js";
import { truncateTables } from "../../test/reset.js";
import { startTestSmtpServer, type TestSmtpServer } from "../../test/smtp.js";
import { type SignedInStaffBrowser, signedInStaffBrowser } from "../../test/staff.js";

let testApp: TestApp;
let synapse: FakeSynapse;
let smtp: TestSmtpServer;
let admin: SignedInStaffBrowser;

before(async () => {
  synapse = await startFakeSynapse();
  smtp = await startTestSmtpServer({ tls: "none" });
  testApp = await startTestApp({ env: { ...synapse.environment(), MATRIX_REQUEST_TIMEOUT_MS: "300" } });
});
after(async () => {
  await testApp.close();
  await smtp.close();
  await synapse.close();
});
beforeEach(async () => {
  await truncateTables(testApp.db, [
    "registration_tokens",
    "vetting_cases",
    "link_tokens",
    "outbox_messages",
    "audit_events",
    "staff_sessions",
    "staff_users",
    "graphile_worker._private_jobs",
  ]);
  synapse.reset();
  smtp.messages.length = 0;
  admin = await signedInStaffBrowser(testApp, "INVITING_ADMIN", "Ines Inviting");
});

/** A token as the approval or the standalone form makes it; `created` runs the job against the fake. */
async function issueToken(personName: string, options: { created?: boolean; caseNumberFor?: boolean } = {}) {
  const caseId = options.caseNumberFor
    ? (
        await testApp.db.vettingCase.create({
          data: {
            state: "APPROVED",
            origin: "APPLICANT",
            fullName: personName,
            email: "case@example.org",
            statement: "Hello",
          },
          select: { id: true },
        })
      ).id
    : null;
  const { registrationTokenId: id } = await testApp.db.$transaction((tx) =>
    requestRegistrationToken(tx, testApp.config, {
      caseId,
      personName,
      personEmail: `${personName.split(" ")[0]?.toLowerCase()}@example.org`,
      createdById: admin.id,
      audit: { staffUserId: admin.id, label: "ines@example.org" },
    }),
  );
  if (options.created ?? true) {
    const matrix = testApp.config.matrix;
    assert.ok(matrix);
    const outcome = await issueRegistrationToken(
      { config: testApp.config, db: testApp.db, logger: testApp.logger, synapse: createSynapseAdmin(matrix) },
      id,
    );
    assert.equal(outcome, "created");
  }
  const row = await testApp.db.registrationToken.findUniqueOrThrow({ where: { id } });
  return { id, caseId, token: openRegistrationToken(testApp.config.staff.totpKey, row.tokenSealed) };
}

/** The status label in the table row that names this person. */
function statusOf(html: string, personName: string): string {
  const row = [...html.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].find((match) => match[1]?.includes(personName));
  assert.ok(row, `no row for ${personName}`);
  return /<span class="status status--[a-z]+">([^<]+)<\/span>/.exec(row[1] ?? "")?.[1] ?? "";
}

async function page(browser = admin, query = "") {
  const response = await browser.get(`/staff/registration-tokens${query}`);
  return { status: response.status, html: await response.text() };
}

describe("the tokens page", () => {
  test("every live status, from exactly one list call per page view, then from the cache", async () => {
    await issueToken("Avery Available", { caseNumberFor: true });
    const used = await issueToken("Ulla Used");
    synapse.markUsed(used.token);
    const expired = await issueToken("Ezra Expired");
    synapse.markExpired(expired.token);
    const gone = await issueToken("Uma Unknown");
    await createSynapseAdmin(synapse.settings()).deleteRegistrationToken(gone.token); // deleted by hand
    await issueToken("Pat Pending", { created: false });
    const failed = await issueToken("Fay Failed", { created: false });
    await testApp.db.registrationToken.update({
      where: { id: failed.id },
      data: {
        state: "FAILED",
        failedAt: new Date(),
        lastError: "POST …/new: HTTP 401 M_UNKNOWN_TOKEN: Invalid access token passed.",
      },
    });
    const revoked = await issueToken("Rui Revoked");
    const revokePage = await admin.get(`/staff/registration-tokens/${revoked.id}/revoke`);
    assert.equal(revokePage.status, 200);
    assert.equal((await admin.post(`/staff/registration-tokens/${revoked.id}/revoke`)).status, 303);
    synapse.clearRequests();

    const { status, html } = await page();
    assert.equal(status, 200);
    assert.equal(synapse.requestsTo("list").length, 1, "one list call for the whole page");
    assert.equal(synapse.requests.length, 1, "and nothing else");
    assert.deepEqual(
      Object.fromEntries(
        [
          "Avery Available",
          "Ulla Used",
          "Ezra Expired",
          "Uma Unknown",
          "Pat Pending",
          "Fay Failed",
          "Rui Revoked",
        ].map((name) => [name, statusOf(html, name)]),
      ),
      {
        "Avery Available": "Available",
        "Ulla Used": "Used",
        "Ezra Expired": "Expired",
        "Uma Unknown": "Unknown: not on the homeserver",
        "Pat Pending": "Pending creation",
        "Fay Failed": "Failed",
        "Rui Revoked": "Revoked",
      },
    );
    // The failure's reason is shown; the case is linked; the creator is named.
    assert.ok(html.includes("HTTP 401 M_UNKNOWN_TOKEN: Invalid access token passed."));
    assert.match(html, /<a href="\/staff\/cases\/[0-9a-f-]{36}">VC-\d{5}<\/a>/);
    assert.ok(html.includes("Ines Inviting"));

    // Reloading within 15 s asks the homeserver nothing.
    await page();
    await page();
    assert.equal(synapse.requestsTo("list").length, 1);
    // No token string on the page.
    for (const token of [used.token, expired.token, gone.token, revoked.token])
      assert.ok(!html.includes(token));
  });

  test("the homeserver down: the page still renders and says 'status unavailable'", async () => {
    await issueToken("Cleo Created");
    await issueToken("Pat Pending", { created: false });
    // A second instance of the portal (a cold cache) on the same database.
    const second = await startTestApp({
      databaseUrl: testApp.databaseUrl,
      env: { ...synapse.environment(), MATRIX_REQUEST_TIMEOUT_MS: "300" },
    });
    try {
      const browser = await signedInStaffBrowser(second, "INVITING_ADMIN");
      synapse.fail("list", { hang: true });
      const { status, html } = await page(browser);
      assert.equal(status, 200);
      assert.equal(statusOf(html, "Cleo Created"), "Status unavailable");
      assert.equal(statusOf(html, "Pat Pending"), "Pending creation");
      assert.ok(html.includes("The homeserver did not answer"));
      assert.ok(
        second
          .logLines()
          .some((line) => line.msg === "the homeserver's registration tokens could not be listed"),
      );
    } finally {
      await second.close();
    }
  });

  test("inviting admins and up see it and its actions; vetting agents get 403 everywhere", async () => {
    const { id } = await issueToken("Rae Role");
    for (const role of ["INVITING_ADMIN", "SERVER_ADMIN", "SUPERADMIN"] as const) {
      const browser = await signedInStaffBrowser(testApp, role);
      assert.equal((await page(browser)).status, 200, role);
      assert.equal((await browser.get(`/staff/registration-tokens/${id}/revoke`)).status, 200, role);
      assert.equal((await browser.get(`/staff/registration-tokens/${id}/reissue`)).status, 200, role);
    }
    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT");
    assert.equal((await page(agent)).status, 403);
    assert.equal((await agent.get(`/staff/registration-tokens/${id}/revoke`)).status, 403);
    assert.equal((await agent.post(`/staff/registration-tokens/${id}/revoke`)).status, 403);
    assert.equal((await agent.post(`/staff/registration-tokens/${id}/reissue`)).status, 403);
    assert.equal((await testApp.db.registrationToken.findUniqueOrThrow({ where: { id } })).state, "CREATED");
    // The staff home links the page for admins only.
    const home = async (browser: SignedInStaffBrowser) =>
      (await (await browser.get("/staff")).text()).includes('/staff/registration-tokens"');
    assert.equal(await home(admin), true);
    assert.equal(await home(agent), false);
  });

  test("a POST without the CSRF token changes nothing", async () => {
    const { id, token } = await issueToken("Cory Csrf");
    const response = await fetch(`${testApp.baseUrl}/staff/registration-tokens/${id}/revoke`, {
      method: "POST",
      redirect: "manual",
      headers: {
        cookie: admin.cookie,
        "content-type": "application/x-www-form-urlencoded",
        origin: testApp.baseUrl,
      },
      body: "",
    });
    assert.equal(response.status, 403);
    assert.ok(synapse.token(token));
  });
});

describe("revoke", () => {
  test("deletes on the homeserver, then REVOKED, audited, and the person is told by email", async () => {
    const { id, token } = await issueToken("Rhea Revoke");
    synapse.clearRequests();
    const response = await admin.post(`/staff/registration-tokens/${id}/revoke`);
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), "/staff/registration-tokens?done=revoked");

    const [remove, ...others] = synapse.requests;
    assert.equal(others.length, 0);
    assert.equal(remove?.method, "DELETE");
    assert.equal(remove?.path, `/_synapse/admin/v1/registration_tokens/${encodeURIComponent(token)}`);
    assert.equal(remove?.headers.authorization, `Bearer ${synapse.adminToken}`);
    assert.equal(synapse.token(token), undefined);

    const row = await testApp.db.registrationToken.findUniqueOrThrow({ where: { id } });
    assert.equal(row.state, "REVOKED");
    assert.equal(row.revokedById, admin.id);
    assert.ok(row.revokedAt);
    const audit = await testApp.db.auditEvent.findFirstOrThrow({
      where: { action: "matrix_token.revoked", subjectId: id },
      select: { actorId: true, details: true },
    });
    assert.equal(audit.actorId, admin.id);
    assert.deepEqual(audit.details, {
      caseId: null,
      previousState: "CREATED",
      homeserverAnswer: "deleted",
      forReissue: false,
    });

    const [email, ...more] = await deliverQueuedEmails(testApp, smtp);
    assert.equal(more.length, 0);
    assert.ok(email);
    assert.deepEqual(email.to, ["rhea@example.org"]);
    assert.equal(email.subject, "Your registration token was withdrawn — Vetting Portal");
    assert.match(email.text, /has been withdrawn/);
    assert.ok(!email.raw.includes(token));

    const listed = await page(admin, "?done=revoked");
    assert.ok(listed.html.includes("The token was revoked on the homeserver"));
    assert.equal(statusOf(listed.html, "Rhea Revoke"), "Revoked");
    // Again: refused plainly, nothing sent.
    const again = await admin.post(`/staff/registration-tokens/${id}/revoke`);
    assert.equal(again.status, 409);
    assert.match(await again.text(), /already revoked/);
  });

  test("a token already gone from the homeserver (404) counts as revoked", async () => {
    const { id, token } = await issueToken("Noor Notfound");
    await createSynapseAdmin(synapse.settings()).deleteRegistrationToken(token);
    assert.equal((await admin.post(`/staff/registration-tokens/${id}/revoke`)).status, 303);
    const audit = await testApp.db.auditEvent.findFirstOrThrow({
      where: { action: "matrix_token.revoked", subjectId: id },
    });
    assert.equal((audit.details as { homeserverAnswer: string }).homeserverAnswer, "not_found");
  });

  test("the homeserver failing changes nothing, and the admin is told why", async () => {
    const { id, token } = await issueToken("Hal Homeserver");
    for (const fault of [{ status: 500 }, { hang: true as const }, { status: 403 }]) {
      synapse.fail("delete", { ...fault, times: 1 });
      const response = await admin.post(`/staff/registration-tokens/${id}/revoke`);
      const html = await response.text();
      assert.equal(response.status, 502, JSON.stringify(fault));
      assert.match(
        html,
        "status" in fault && fault.status === 403
          ? /refused the portal&#39;s admin token/
          : /did not confirm the revocation, so nothing was changed/,
      );
      assert.ok(!html.includes(token));
    }
    assert.ok(synapse.token(token), "still on the homeserver");
    const row = await testApp.db.registrationToken.findUniqueOrThrow({ where: { id } });
    assert.equal(row.state, "CREATED");
    assert.equal(await testApp.db.auditEvent.count({ where: { action: "matrix_token.revoked" } }), 0);
    assert.equal(await testApp.db.outboxMessage.count(), 0);
  });
});

describe("re-issue", () => {
  test("revokes the old token, requests a new one for the same person and case, and emails a new link", async () => {
    const old = await issueToken("Remy Reissue", { caseNumberFor: true });
    const response = await admin.post(`/staff/registration-tokens/${old.id}/reissue`);
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), "/staff/registration-tokens?done=reissued");

    const oldRow = await testApp.db.registrationToken.findUniqueOrThrow({ where: { id: old.id } });
    assert.equal(oldRow.state, "REVOKED");
    const newRow = await testApp.db.registrationToken.findUniqueOrThrow({ where: { replacesId: old.id } });
    assert.equal(newRow.state, "PENDING");
    assert.equal(newRow.caseId, old.caseId);
    assert.equal(newRow.personName, "Remy Reissue");
    assert.equal(newRow.createdById, admin.id);
    assert.equal(synapse.token(old.token), undefined, "the old one is gone from the homeserver");

    const actions = await testApp.db.auditEvent.findMany({
      where: {
        action: { in: ["matrix_token.revoked", "matrix_token.requested", "matrix_token.reissued"] },
        actorId: admin.id,
      },
      orderBy: { id: "asc" },
      select: { action: true, subjectId: true, details: true },
    });
    assert.deepEqual(
      actions.map((event) => [event.action, event.subjectId]),
      [
        ["matrix_token.requested", old.id],
        ["matrix_token.revoked", old.id],
        ["matrix_token.requested", newRow.id],
        ["matrix_token.reissued", newRow.id],
      ],
    );
    assert.deepEqual(actions[3]?.details, { caseId: old.caseId, replacesId: old.id });

    // The job creates the new token; the homeserver then holds it alone.
    const matrix = testApp.config.matrix;
    assert.ok(matrix);
    await issueRegistrationToken(
      { config: testApp.config, db: testApp.db, logger: testApp.logger, synapse: createSynapseAdmin(matrix) },
      newRow.id,
    );
    const newToken = openRegistrationToken(testApp.config.staff.totpKey, newRow.tokenSealed);
    assert.deepEqual(
      synapse.tokens().map((entry) => entry.token),
      [newToken],
    );

    // One email: the new reveal link (never either token).
    const [email, ...more] = await deliverQueuedEmails(testApp, smtp);
    assert.equal(more.length, 0);
    assert.ok(email);
    assert.deepEqual(email.to, ["remy@example.org"]);
    assert.match(email.text, /\/registration-token\/[A-Za-z0-9_-]+/);
    assert.ok(!email.raw.includes(old.token) && !email.raw.includes(newToken));
    const link = await testApp.db.linkToken.findFirstOrThrow({
      select: { purpose: true, subjectType: true, subjectId: true },
    });
    assert.deepEqual(link, {
      purpose: "registration_token_reveal",
      subjectType: "registration_token",
      subjectId: newRow.id,
    });

    // The old one cannot be re-issued twice.
    const again = await admin.post(`/staff/registration-tokens/${old.id}/reissue`);
    assert.equal(again.status, 409);
    assert.match(await again.text(), /already re-issued/);
    assert.equal(await testApp.db.registrationToken.count(), 2);
  });

  test("a failed token (the admin token was wrong) is re-issued once the homeserver answers", async () => {
    const failed = await issueToken("Finn Failed", { created: false });
    await testApp.db.registrationToken.update({
      where: { id: failed.id },
      data: { state: "FAILED", failedAt: new Date() },
    });
    assert.equal((await admin.post(`/staff/registration-tokens/${failed.id}/reissue`)).status, 303);
    const oldRow = await testApp.db.registrationToken.findUniqueOrThrow({ where: { id: failed.id } });
    assert.equal(oldRow.state, "REVOKED");
    const audit = await testApp.db.auditEvent.findFirstOrThrow({
      where: { action: "matrix_token.revoked", subjectId: failed.id },
    });
    assert.deepEqual(audit.details, {
      caseId: null,
      previousState: "FAILED",
      homeserverAnswer: "not_found",
      forReissue: true,
    });
  });
});

describe("with no homeserver configured", () => {
  test("the page says so plainly, lists what exists, and offers no actions", async () => {
    const off = await startTestApp();
    try {
      assert.equal(off.config.matrix, null);
      const browser = await signedInStaffBrowser(off, "INVITING_ADMIN");
      const row = await off.db.registrationToken.create({
        data: {
          personName: "Olga Off",
          personEmail: "olga@example.org",
          tokenSealed: "sealed",
          tokenLookup: "lookup",
          state: "CREATED",
          expiresAt: new Date(Date.now() + 86_400_000),
          createdById: browser.id,
        },
        select: { id: true },
      });
      const { status, html } = await page(browser);
      assert.equal(status, 200);
      assert.match(html, /Registration tokens are off: no Matrix homeserver is configured/);
      assert.equal(statusOf(html, "Olga Off"), "Status unavailable");
      assert.ok(!html.includes(`/staff/registration-tokens/${row.id}/revoke`));
      const refused = await browser.post(`/staff/registration-tokens/${row.id}/revoke`);
      assert.equal(refused.status, 409);
      assert.match(await refused.text(), /Registration tokens are off/);
      assert.equal(
        (await off.db.registrationToken.findUniqueOrThrow({ where: { id: row.id } })).state,
        "CREATED",
      );
    } finally {
      await off.close();
    }
  });
});
