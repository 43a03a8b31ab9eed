// The issue_registration_token job against a fake Synapse over real HTTP (src/test/fakeSynapse.ts), with
// real Postgres: what the homeserver receives, the idempotent retry (a lost answer, then "already
// exists" counts as success), timeouts and 5xx retried with a scheduled job, 401/403 stopping for good,
// and the token string never in a log line or an audit row.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { requestRegistrationToken } from "../commands/registrationTokens/requestRegistrationToken.js";
import { createLogger } from "../logger.js";
import { createMailRelay } from "../mail/relay.js";
import { createSynapseAdmin, type SynapseAdmin } from "../matrix/synapseAdmin.js";
import { openRegistrationToken } from "../matrix/tokenSecrets.js";
import { startTestApp, type TestApp } from "../test/app.js";
import { type FakeSynapse, startFakeSynapse } from "../test/fakeSynapse.js";
import { captureLogs } from "../test/logs.js";
import { truncateTables } from "../test/reset.js";
import { createStaffMember } from "../test/staff.js";
import { testViews } from "../test/views.js";
import { type IssueRegistrationTokenDependencies, issueRegistrationToken } from "./issueRegistrationToken.js";
import { taskList } from "./worker.js";

let testApp: TestApp;
let synapse: FakeSynapse;
let adminId: string;
const logs = captureLogs("debug");

before(async () => {
  synapse = await startFakeSynapse();
  testApp = await startTestApp({ env: { ...synapse.environment(), MATRIX_REQUEST_TIMEOUT_MS: "300" } });
});
after(async () => {
  await testApp.close();
  await synapse.close();
});
beforeEach(async () => {
  await truncateTables(testApp.db, [
    "registration_tokens",
    "audit_events",
    "staff_users",
    "graphile_worker._private_jobs",
  ]);
  synapse.reset();
  adminId = (await createStaffMember(testApp.db, testApp.config, { role: "INVITING_ADMIN" })).id;
});

function deps(
  overrides: Partial<IssueRegistrationTokenDependencies> = {},
): IssueRegistrationTokenDependencies {
  const matrix = testApp.config.matrix;
  assert.ok(matrix);
  return {
    config: testApp.config,
    db: testApp.db,
    logger: logs.logger,
    synapse: createSynapseAdmin(matrix),
    ...overrides,
  };
}

async function requestToken(now?: Date): Promise<{ id: string; token: string; expiresAt: Date }> {
  const { registrationTokenId } = await testApp.db.$transaction((tx) =>
    requestRegistrationToken(tx, testApp.config, {
      caseId: null,
      personName: "Grace Hopper",
      personEmail: "grace@example.org",
      createdById: adminId,
      audit: { staffUserId: adminId, label: "admin@example.org" },
      ...(now ? { now } : {}),
    }),
  );
  const row = await testApp.db.registrationToken.findUniqueOrThrow({ where: { id: registrationTokenId } });
  // The tests run the job themselves: the queued one goes, so a job left afterwards is a retry.
  await testApp.db.$executeRaw`DELETE FROM graphile_worker._private_jobs`;
  return {
    id: row.id,
    token: openRegistrationToken(testApp.config.staff.totpKey, row.tokenSealed),
    expiresAt: row.expiresAt,
  };
}

const row = (id: string) => testApp.db.registrationToken.findUniqueOrThrow({ where: { id } });

/** The job graphile-worker holds for this token (its own key), if any. */
async function scheduledJob(id: string): Promise<{ run_at: Date } | undefined> {
  const rows = await testApp.db.$queryRaw<{ run_at: Date }[]>`
    SELECT run_at FROM graphile_worker.jobs WHERE key = ${`issue_registration_token:${id}`}`;
  return rows[0];
}

async function auditActions(id: string): Promise<{ action: string; details: unknown; actorLabel: string }[]> {
  return testApp.db.auditEvent.findMany({
    where: { subjectType: "registration_token", subjectId: id },
    orderBy: { occurredAt: "asc" },
    select: { action: true, details: true, actorLabel: true },
  });
}

describe("issue_registration_token", () => {
  test("creates our token with one use and our expiry, sent as JSON with the admin's bearer token", async () => {
    const { id, token, expiresAt } = await requestToken();
    // Through the worker's own task list: the job is registered under its name.
    const relay = createMailRelay(
      {
        host: "127.0.0.1",
        ports: [9],
        allowPlaintext: true,
        connectionTimeoutMs: 100,
        greetingTimeoutMs: 100,
        socketTimeoutMs: 100,
      },
      createLogger({ level: "silent", pretty: false }),
    );
    try {
      const tasks = taskList({
        config: testApp.config,
        db: testApp.db,
        logger: logs.logger,
        views: testViews(),
        relay,
        throttle: null,
      });
      const task = tasks.issue_registration_token;
      assert.ok(task);
      await task({ registrationTokenId: id }, {} as never);
    } finally {
      relay.close();
    }

    const [create, ...others] = synapse.requests;
    assert.equal(others.length, 0);
    assert.ok(create);
    assert.equal(create.method, "POST");
    assert.equal(create.path, "/_synapse/admin/v1/registration_tokens/new");
    assert.equal(create.headers.authorization, `Bearer ${synapse.adminToken}`);
    assert.equal(create.headers["content-type"], "application/json");
    assert.deepEqual(create.body, { token, uses_allowed: 1, expiry_time: expiresAt.getTime() });
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);

    assert.deepEqual(synapse.tokens(), [
      { token, uses_allowed: 1, pending: 0, completed: 0, expiry_time: expiresAt.getTime() },
    ]);
    const created = await row(id);
    assert.equal(created.state, "CREATED");
    assert.equal(created.attempts, 1);
    assert.ok(created.createdOnHomeserverAt);
    assert.deepEqual(
      (await auditActions(id)).map((event) => [event.action, event.actorLabel]),
      [
        ["matrix_token.requested", "admin@example.org"],
        ["matrix_token.created", "system"],
      ],
    );
  });

  test("run twice: one token on the homeserver, and the second run asks nothing", async () => {
    const { id } = await requestToken();
    assert.equal(await issueRegistrationToken(deps(), id), "created");
    assert.equal(await issueRegistrationToken(deps(), id), "nothing_to_do");
    assert.equal(synapse.requestsTo("create").length, 1);
    assert.equal(synapse.tokens().length, 1);
  });

  test("a lost answer (the homeserver made it, then went silent) is retried, and 'already exists' is success", async () => {
    const { id, token } = await requestToken();
    synapse.fail("create", { hang: true, apply: true, times: 1 });

    assert.equal(await issueRegistrationToken(deps(), id), "retry_scheduled");
    const waiting = await row(id);
    assert.equal(waiting.state, "PENDING");
    assert.equal(waiting.attempts, 1);
    assert.equal(
      waiting.lastError,
      "POST /_synapse/admin/v1/registration_tokens/new: no answer within 300 ms",
    );
    const job = await scheduledJob(id);
    assert.ok(job && job.run_at.getTime() > Date.now() + 20_000, "retried later, with backoff");

    // The retry: Synapse answers 400 "Token already exists: <token>" — ours, so it is created.
    assert.equal(await issueRegistrationToken(deps(), id), "created");
    assert.equal(synapse.requestsTo("create").length, 2);
    assert.deepEqual(
      synapse.tokens().map((entry) => entry.token),
      [token],
    );
    const created = await row(id);
    assert.equal(created.state, "CREATED");
    assert.equal(created.attempts, 2);
    assert.equal(created.lastError, null);
    const events = await auditActions(id);
    assert.deepEqual(events.at(-1)?.details, { attempts: 2, homeserverAnswer: "already_exists" });
  });

  test("500 twice, then success: each failure recorded and rescheduled, the third call creates it", async () => {
    const { id } = await requestToken();
    synapse.fail("create", { status: 500, times: 2 });
    assert.equal(await issueRegistrationToken(deps(), id), "retry_scheduled");
    assert.equal(
      (await row(id)).lastError,
      "POST /_synapse/admin/v1/registration_tokens/new: HTTP 500 M_UNKNOWN: Internal server error",
    );
    const firstRetry = await scheduledJob(id);
    assert.equal(await issueRegistrationToken(deps(), id), "retry_scheduled");
    const secondRetry = await scheduledJob(id);
    assert.ok(firstRetry && secondRetry);
    assert.ok(secondRetry.run_at > firstRetry.run_at, "the delay grows");
    assert.equal(await issueRegistrationToken(deps(), id), "created");
    assert.equal((await row(id)).attempts, 3);
    assert.equal(synapse.tokens().length, 1);
  });

  test("401 (a wrong admin token): FAILED at once with the reason, audited, never retried", async () => {
    const { id } = await requestToken();
    const wrongToken = createSynapseAdmin({ ...synapse.settings(), adminToken: "syt_not_an_admin_token" });
    assert.equal(await issueRegistrationToken(deps({ synapse: wrongToken }), id), "failed");
    const failed = await row(id);
    assert.equal(failed.state, "FAILED");
    assert.ok(failed.failedAt);
    assert.equal(
      failed.lastError,
      "POST /_synapse/admin/v1/registration_tokens/new: HTTP 401 M_UNKNOWN_TOKEN: Invalid access token passed.",
    );
    assert.equal(await scheduledJob(id), undefined, "no retry");
    const events = await auditActions(id);
    assert.equal(events.at(-1)?.action, "matrix_token.failed");
    assert.deepEqual(events.at(-1)?.details, {
      reason: "unauthorized",
      status: 401,
      lastError: failed.lastError,
      attempts: 1,
    });
    // A later run (a stale job) does nothing and calls nobody.
    synapse.clearRequests();
    assert.equal(await issueRegistrationToken(deps(), id), "nothing_to_do");
    assert.equal(synapse.requests.length, 0);
    assert.equal(synapse.tokens().length, 0);
  });

  test("403 (a user's token, not an admin's) stops too", async () => {
    const { id } = await requestToken();
    const notAdmin = createSynapseAdmin({ ...synapse.settings(), adminToken: synapse.userToken });
    assert.equal(await issueRegistrationToken(deps({ synapse: notAdmin }), id), "failed");
    assert.match((await row(id)).lastError ?? "", /HTTP 403 M_FORBIDDEN: You are not a server admin$/);
  });

  test("past the retry horizon a retryable failure is final", async () => {
    const { id } = await requestToken();
    synapse.fail("create", { status: 503 });
    const aDayLater = () => new Date(Date.now() + 25 * 60 * 60 * 1000);
    assert.equal(await issueRegistrationToken(deps(), id, { now: aDayLater }), "failed");
    assert.equal((await row(id)).state, "FAILED");
    const events = await auditActions(id);
    assert.equal((events.at(-1)?.details as { reason?: string } | undefined)?.reason, "retry_horizon");
  });

  test("revoked while the create was in flight: the token is deleted again and the row stays REVOKED", async () => {
    const { id, token } = await requestToken();
    const real = deps().synapse as SynapseAdmin;
    // An admin's revoke lands between our read of the row and the homeserver's answer.
    const revokingMidway: SynapseAdmin = {
      ...real,
      async createRegistrationToken(input) {
        await testApp.db.registrationToken.update({
          where: { id },
          data: { state: "REVOKED", revokedAt: new Date(), revokedById: adminId },
        });
        return real.createRegistrationToken(input);
      },
      deleteRegistrationToken: (value) => real.deleteRegistrationToken(value),
      listRegistrationTokens: () => real.listRegistrationTokens(),
    };
    assert.equal(await issueRegistrationToken(deps({ synapse: revokingMidway }), id), "nothing_to_do");
    assert.equal(synapse.token(token), undefined, "not left live on the homeserver");
    assert.equal((await row(id)).state, "REVOKED");
  });

  test("with no homeserver configured the job leaves the row alone and warns", async () => {
    const { id } = await requestToken();
    const local = captureLogs("debug");
    const outcome = await issueRegistrationToken(
      { config: { ...testApp.config, matrix: null }, db: testApp.db, logger: local.logger, synapse: null },
      id,
    );
    assert.equal(outcome, "feature_off");
    assert.equal((await row(id)).state, "PENDING");
    assert.equal(synapse.requests.length, 0);
    assert.ok(
      local.lines().some((line) => line.level === 40 && /no homeserver is configured/.test(String(line.msg))),
    );
  });

  test("no token string in any log line or audit row, even when Synapse quotes it back", async () => {
    const tokens: string[] = [];
    for (let index = 0; index < 3; index += 1) {
      const { id, token } = await requestToken();
      tokens.push(token);
      synapse.fail("create", { hang: true, apply: true, times: 1 });
      await issueRegistrationToken(deps(), id);
      await issueRegistrationToken(deps(), id); // "Token already exists: <token>"
      synapse.fail("create", { status: 500, times: 1 });
    }
    const { id: failing, token: failingToken } = await requestToken();
    tokens.push(failingToken);
    synapse.fail("create", {
      status: 400,
      errcode: "M_INVALID_PARAM",
      error: `Unknown problem with ${failingToken}`,
    });
    assert.equal(await issueRegistrationToken(deps(), failing), "failed");
    assert.match(
      (await row(failing)).lastError ?? "",
      /HTTP 400 M_INVALID_PARAM: Unknown problem with <token>$/,
    );

    const logText = logs.text() + testApp.logText();
    const auditText = JSON.stringify(
      await testApp.db.auditEvent.findMany({ select: { details: true, actorLabel: true } }),
    );
    const rowsText = JSON.stringify(
      await testApp.db.registrationToken.findMany({ select: { lastError: true } }),
    );
    assert.ok(logText.length > 0);
    for (const token of tokens) {
      assert.ok(!logText.includes(token), "token in a log line");
      assert.ok(!auditText.includes(token), "token in an audit row");
      assert.ok(!rowsText.includes(token), "token in lastError");
    }
    assert.ok(!logText.includes(synapse.adminToken), "the admin token in a log line");
  });
});
