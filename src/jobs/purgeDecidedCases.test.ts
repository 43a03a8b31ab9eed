// The retention purge against real Postgres: which cases (and standalone tokens and token requests) lose
// their personal data, in batches, audited as the system, and nothing more on a second run.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { ERASED_RECIPIENT } from "../commands/cases/eraseCase.js";
import { decideRegistrationTokenRequest } from "../commands/registrationTokens/decideRegistrationTokenRequest.js";
import { requestRegistrationToken } from "../commands/registrationTokens/requestRegistrationToken.js";
import { requestStandaloneRegistrationToken } from "../commands/registrationTokens/requestStandaloneRegistrationToken.js";
import { type Config, loadConfig } from "../config.js";
import { createDatabase, type Database } from "../db.js";
import type { Logger } from "../logger.js";
import { enqueueEmail } from "../mail/outbox.js";
import { createMailRelay } from "../mail/relay.js";
import { captureLogs } from "../test/logs.js";
import { createTestDatabase, type TestDatabase } from "../test/postgres.js";
import { type SeededCase, seedCaseWithHistory, tablesContaining } from "../test/privacyFixtures.js";
import { truncateTables } from "../test/reset.js";
import { createStaffMember } from "../test/staff.js";
import { testViews } from "../test/views.js";
import { issueLinkToken } from "../tokens.js";
import { purgeDecidedCases } from "./purgeDecidedCases.js";
import { taskList } from "./worker.js";

const DAY_MS = 24 * 60 * 60 * 1000;
const RETENTION_DAYS = 30;

let database: TestDatabase;
let db: Database;
let config: Config;
before(async () => {
  database = await createTestDatabase();
  db = createDatabase(database.url, { poolMax: 3, statementTimeoutMs: 10_000, connectionTimeoutMs: 5_000 });
  config = loadConfig({
    NODE_ENV: "test",
    SMTP_HOST: "127.0.0.1",
    CASE_RETENTION_DAYS: String(RETENTION_DAYS),
  });
});
after(async () => {
  await db.$disconnect();
  await database.drop();
});
beforeEach(async () => {
  await truncateTables(db, [
    "vetting_cases",
    "vetting_records",
    "case_comments",
    "case_decisions",
    "applicant_sessions",
    "link_tokens",
    "outbox_messages",
    "audit_events",
    "staff_sessions",
    "staff_users",
    "registration_tokens",
    "registration_token_requests",
    "graphile_worker._private_jobs",
  ]);
});

const now = new Date();
const daysAgo = (days: number) => new Date(now.getTime() - days * DAY_MS);

let logs: ReturnType<typeof captureLogs>;
let logger: Logger;
beforeEach(() => {
  logs = captureLogs("debug");
  logger = logs.logger;
});

const erasedAtOf = async (seeded: SeededCase) =>
  (await db.vettingCase.findUniqueOrThrow({ where: { id: seeded.id }, select: { erasedAt: true } })).erasedAt;

const purgeAudit = async () =>
  (await db.auditEvent.findMany({ where: { action: "case.purged" }, orderBy: { id: "asc" } })).map((row) => ({
    subjectId: row.subjectId,
    actorId: row.actorId,
    actorLabel: row.actorLabel,
    details: row.details,
  }));

const logMessages = (message: string) => logs.lines().filter((line) => line.msg === message);

describe("purgeDecidedCases", () => {
  test("erases the cases decided or withdrawn before the retention period, and only those", async () => {
    const oldRejected = await seedCaseWithHistory(db, config, { state: "REJECTED", decidedAt: daysAgo(31) });
    const oldApproved = await seedCaseWithHistory(db, config, { state: "APPROVED", decidedAt: daysAgo(400) });
    const oldWithdrawn = await seedCaseWithHistory(db, config, {
      state: "WITHDRAWN",
      withdrawnAt: daysAgo(45),
    });
    const recentRejected = await seedCaseWithHistory(db, config, {
      state: "REJECTED",
      decidedAt: daysAgo(29),
    });
    const recentWithdrawn = await seedCaseWithHistory(db, config, {
      state: "WITHDRAWN",
      withdrawnAt: daysAgo(2),
    });
    // Open for a long time, but not decided: retention counts from the decision.
    const longOpen = await seedCaseWithHistory(db, config, { state: "MORE_INFORMATION_REQUESTED" });

    await purgeDecidedCases({ db, config, logger }, now);

    for (const seeded of [oldRejected, oldApproved, oldWithdrawn]) {
      assert.deepEqual(await erasedAtOf(seeded), now, seeded.caseNumber);
      for (const value of seeded.personalValues)
        assert.deepEqual(await tablesContaining(db, value), [], value);
    }
    for (const seeded of [recentRejected, recentWithdrawn, longOpen]) {
      assert.equal(await erasedAtOf(seeded), null, seeded.caseNumber);
      const row = await db.vettingCase.findUniqueOrThrow({ where: { id: seeded.id } });
      assert.equal(row.fullName, seeded.person.fullName);
    }
    // The decision and the state stay.
    const approved = await db.vettingCase.findUniqueOrThrow({
      where: { id: oldApproved.id },
      include: { decisions: true },
    });
    assert.equal(approved.state, "APPROVED");
    assert.deepEqual(approved.decidedAt, daysAgo(400));
    assert.deepEqual(
      approved.decisions.map((decision) => [decision.kind, decision.reason, decision.decidedById]),
      [["REQUEST_MORE_INFORMATION", "", oldApproved.admin.id]],
    );
    // Mail not sent yet to a purged person is cancelled.
    const queued = await db.outboxMessage.findUniqueOrThrow({
      where: { id: oldRejected.emails.queuedDecision },
    });
    assert.deepEqual([queued.status, queued.recipient, queued.payload], ["CANCELLED", "erased@invalid", {}]);

    assert.deepEqual(
      (await purgeAudit()).sort((a, b) => String(a.subjectId).localeCompare(String(b.subjectId))),
      [oldRejected, oldApproved, oldWithdrawn]
        .map((seeded) => ({
          subjectId: seeded.id,
          actorId: null,
          actorLabel: "system",
          details: { reason: "retention" },
        }))
        .sort((a, b) => a.subjectId.localeCompare(b.subjectId)),
    );
    assert.equal(await db.auditEvent.count({ where: { action: "case.erased" } }), 0);
    assert.deepEqual(
      logMessages("purged personal data of decided and withdrawn cases").map((line) => line.count),
      [3],
    );
  });

  test("a case closed without a decision is purged once the retention period has passed since its closing", async () => {
    const oldClosed = await seedCaseWithHistory(db, config, { state: "CLOSED" });
    await db.vettingCase.update({ where: { id: oldClosed.id }, data: { closedAt: daysAgo(31) } });
    const recentClosed = await seedCaseWithHistory(db, config, { state: "CLOSED" });
    await db.vettingCase.update({ where: { id: recentClosed.id }, data: { closedAt: daysAgo(3) } });

    await purgeDecidedCases({ db, config, logger }, now);

    assert.deepEqual(await erasedAtOf(oldClosed), now);
    for (const value of oldClosed.personalValues)
      assert.deepEqual(await tablesContaining(db, value), [], value);
    const closure = await db.caseClosure.findFirstOrThrow({ where: { caseId: oldClosed.id } });
    assert.deepEqual([closure.kind, closure.reason], ["ABANDONED", ""], "the kind stays, the words go");
    assert.equal(await erasedAtOf(recentClosed), null);
  });

  test("a large backlog goes in batches, one transaction each", async () => {
    const seeded: SeededCase[] = [];
    for (let index = 0; index < 5; index += 1) {
      seeded.push(
        await seedCaseWithHistory(db, config, { state: "REJECTED", decidedAt: daysAgo(100 + index) }),
      );
    }
    await purgeDecidedCases({ db, config, logger }, now, 2);
    for (const one of seeded) assert.deepEqual(await erasedAtOf(one), now);
    assert.deepEqual(
      logMessages("purged a batch of cases past retention").map((line) => line.count),
      [2, 2, 1],
    );
    assert.equal((await purgeAudit()).length, 5);
  });

  test("running it again changes nothing and writes no audit row", async () => {
    const seeded = await seedCaseWithHistory(db, config, { state: "REJECTED", decidedAt: daysAgo(60) });
    await purgeDecidedCases({ db, config, logger }, now);
    const afterFirst = {
      vettingCase: await db.vettingCase.findUniqueOrThrow({ where: { id: seeded.id } }),
      outbox: await db.outboxMessage.findMany({ orderBy: { id: "asc" } }),
      audit: await db.auditEvent.count(),
    };
    await purgeDecidedCases({ db, config, logger }, new Date(now.getTime() + DAY_MS));
    assert.deepEqual(
      {
        vettingCase: await db.vettingCase.findUniqueOrThrow({ where: { id: seeded.id } }),
        outbox: await db.outboxMessage.findMany({ orderBy: { id: "asc" } }),
        audit: await db.auditEvent.count(),
      },
      afterFirst,
    );
    assert.equal(logMessages("no decided or withdrawn cases past retention").length, 1);
  });

  test("a case erased on request before is left alone", async () => {
    const seeded = await seedCaseWithHistory(db, config, { state: "REJECTED", decidedAt: daysAgo(90) });
    const erasedAt = daysAgo(10);
    await db.vettingCase.update({ where: { id: seeded.id }, data: { erasedAt } });
    await purgeDecidedCases({ db, config, logger }, now);
    assert.deepEqual(await erasedAtOf(seeded), erasedAt);
    assert.deepEqual(await purgeAudit(), []);
  });

  test("standalone registration tokens expired before the retention period lose the person's data, their emails and links", async () => {
    const admin = await createStaffMember(db, config, { role: "INVITING_ADMIN" });
    const seedToken = (email: string, expiredDaysAgo: number) =>
      db.$transaction(async (tx) => {
        const { registrationTokenId } = await requestRegistrationToken(tx, withMatrix(config), {
          caseId: null,
          personName: `Stan Dalone ${email}`,
          personEmail: email,
          note: `Invited by the choir, ${email}`,
          createdById: admin.id,
          audit: { label: "test" },
          now: new Date(daysAgo(expiredDaysAgo).getTime() - 30 * DAY_MS),
        });
        const subject = { type: "registration_token", id: registrationTokenId };
        await enqueueEmail(tx, {
          kind: "registration_token_ready",
          recipient: email,
          payload: { personName: `Stan Dalone ${email}`, registrationTokenExpiresAt: now.toISOString() },
          linkSubject: subject,
        });
        await enqueueEmail(tx, {
          kind: "registration_token_revoked",
          recipient: email,
          payload: { personName: `Stan Dalone ${email}` },
        });
        await issueLinkToken(tx, { purpose: "registration_token_reveal", subject, lifetimeMs: DAY_MS });
        return registrationTokenId;
      });
    const oldId = await seedToken("old-standalone@example.org", 31);
    const recentId = await seedToken("recent-standalone@example.org", 5);

    await purgeDecidedCases({ db, config, logger }, now);

    const old = await db.registrationToken.findUniqueOrThrow({ where: { id: oldId } });
    assert.deepEqual([old.personName, old.personEmail, old.note], ["", "", null]);
    for (const value of [
      "old-standalone@example.org",
      "Stan Dalone old-standalone",
      "Invited by the choir, old",
    ])
      assert.deepEqual(await tablesContaining(db, value), [], value);
    assert.equal(await db.linkToken.count({ where: { subjectId: oldId } }), 0);
    assert.deepEqual(
      (await db.outboxMessage.findMany({ where: { recipient: ERASED_RECIPIENT } })).map((m) => m.status),
      ["CANCELLED", "CANCELLED"],
    );
    assert.deepEqual(
      (await db.auditEvent.findMany({ where: { action: "matrix_token.purged" } })).map((e) => e.subjectId),
      [oldId],
    );
    const recent = await db.registrationToken.findUniqueOrThrow({ where: { id: recentId } });
    assert.equal(recent.personEmail, "recent-standalone@example.org");
    assert.equal(await db.linkToken.count({ where: { subjectId: recentId } }), 1);
    assert.equal(await db.outboxMessage.count({ where: { recipient: "recent-standalone@example.org" } }), 2);
  });

  test("standalone token requests: rejected or withdrawn ones lose the person's data after retention, approved ones with their token", async () => {
    const requester = await createStaffMember(db, config, { role: "INVITING_ADMIN", name: "Rhea Requester" });
    const approver = await createStaffMember(db, config, { role: "INVITING_ADMIN", name: "Ira Inviting" });
    const matrixConfig = withMatrix(config);
    /** A request as the form makes it (with the approvers' email), then closed `closedDaysAgo` days ago. */
    const seedRequest = async (
      label: string,
      outcome: "reject" | "cancel" | "approve" | "pending",
      closedDaysAgo: number,
    ) => {
      const requestedAt = daysAgo(closedDaysAgo + 1);
      const { requestId } = await requestStandaloneRegistrationToken(db, {
        personName: `Petra ${label}`,
        personEmail: `${label}@example.org`,
        note: `Known from the choir, ${label}`,
        requester,
        audit: { label: "test" },
        now: requestedAt,
      });
      if (outcome === "reject" || outcome === "approve") {
        await decideRegistrationTokenRequest(db, matrixConfig, {
          requestId,
          decision: outcome,
          note: `Decided on ${label}`,
          decider: approver,
          audit: { label: "test" },
          now: daysAgo(closedDaysAgo),
        });
      } else if (outcome === "cancel") {
        await db.registrationTokenRequest.update({
          where: { id: requestId },
          data: { status: "CANCELLED", decidedById: requester.id, decidedAt: daysAgo(closedDaysAgo) },
        });
      }
      return requestId;
    };
    const oldRejected = await seedRequest("old-rejected", "reject", 31);
    const oldCancelled = await seedRequest("old-cancelled", "cancel", 40);
    const recentRejected = await seedRequest("recent-rejected", "reject", 5);
    const oldPending = await seedRequest("old-pending", "pending", 90);
    // Approved 61 days ago: its token (30 days) expired 31 days ago, past retention; the other's has not.
    const oldApproved = await seedRequest("old-approved", "approve", 61);
    const recentApproved = await seedRequest("recent-approved", "approve", 40);

    await purgeDecidedCases({ db, config, logger }, now);

    for (const label of ["old-rejected", "old-cancelled", "old-approved"]) {
      assert.deepEqual(await tablesContaining(db, `${label}@example.org`), [], label);
      assert.deepEqual(await tablesContaining(db, `Petra ${label}`), [], label);
      assert.deepEqual(await tablesContaining(db, `choir, ${label}`), [], label);
      assert.deepEqual(await tablesContaining(db, `Decided on ${label}`), [], label);
    }
    const requests = await db.registrationTokenRequest.findMany({
      select: {
        id: true,
        personName: true,
        personEmail: true,
        note: true,
        decisionNote: true,
        purgedAt: true,
      },
    });
    const byId = new Map(requests.map((request) => [request.id, request]));
    for (const id of [oldRejected, oldCancelled, oldApproved]) {
      const request = byId.get(id);
      assert.deepEqual(
        [request?.personName, request?.personEmail, request?.note, request?.decisionNote, request?.purgedAt],
        ["", "", null, null, now],
      );
    }
    for (const [id, label] of [
      [recentRejected, "recent-rejected"],
      [oldPending, "old-pending"],
      [recentApproved, "recent-approved"],
    ] as const) {
      const request = byId.get(id);
      assert.deepEqual([request?.personEmail, request?.purgedAt], [`${label}@example.org`, null], label);
    }
    // The approvers' emails about a purged request are blanked; the others keep the person's name.
    const approverEmail = await db.staffUser.findUniqueOrThrow({ where: { id: approver.id } });
    assert.equal(
      await db.outboxMessage.count({ where: { kind: "approval_needed", recipient: approverEmail.email } }),
      3,
    );
    assert.deepEqual(
      (
        await db.auditEvent.findMany({
          where: { action: "matrix_token.request_purged" },
          select: { subjectType: true, subjectId: true, actorId: true, actorLabel: true, details: true },
        })
      ).sort((a, b) => (a.subjectId ?? "").localeCompare(b.subjectId ?? "")),
      [oldRejected, oldCancelled, oldApproved].sort().map((subjectId) => ({
        subjectType: "registration_token_request",
        subjectId,
        actorId: null,
        actorLabel: "system",
        details: { reason: "retention" },
      })),
    );
    // Again: nothing more.
    await purgeDecidedCases({ db, config, logger }, now);
    assert.equal(await db.auditEvent.count({ where: { action: "matrix_token.request_purged" } }), 3);
  });

  test("runs as the worker's purge_decided_cases task", async () => {
    const seeded = await seedCaseWithHistory(db, config, { state: "WITHDRAWN", withdrawnAt: daysAgo(31) });
    const relay = createMailRelay(
      {
        host: "127.0.0.1",
        ports: [9],
        connectionTimeoutMs: 100,
        greetingTimeoutMs: 100,
        socketTimeoutMs: 100,
      },
      logger,
    );
    try {
      const task = taskList({
        config,
        db,
        logger,
        views: testViews(),
        relay,
        throttle: null,
      }).purge_decided_cases;
      assert.ok(task);
      await task({}, {} as never);
    } finally {
      relay.close();
    }
    assert.ok(await erasedAtOf(seeded));
    assert.equal((await purgeAudit()).length, 1);
  });
});

/** The config with a homeserver set, as requestRegistrationToken requires (nothing calls it here). */
function withMatrix(base: Config): Config {
  return {
    ...base,
    matrix: {
      homeserverUrl: new URL("http://127.0.0.1:9"),
      adminToken: "unused",
      tokenLifetimeMs: 30 * DAY_MS,
      registrationUrl: null,
      requestTimeoutMs: 1_000,
    },
  };
}
