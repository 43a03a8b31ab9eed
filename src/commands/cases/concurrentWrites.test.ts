// Many applications and many case moves at the same moment must not queue behind one another: the tab
// counts (case_state_counts, sharded) stay exact, and no writer waits for another's lock.
//
// Two ways of proving "nobody waited":
//   - a barrier: 20 transactions each write a case and stay open until all 20 have written. Had one
//     waited for another's row, it could not finish before the other committed, and lock_timeout
//     ends it with an error instead of the test hanging;
//   - the real commands (startApplication, startCaseReview) 20 at once, with pg_stat_activity sampled
//     all along: no busy connection of the portal is ever seen waiting on another's row (a tuple or
//     transactionid lock, which is what a hot counter row looks like). Two locks of Postgres itself are
//     not rows and are left to the bench's lock-wait share (npm run bench, under 20 %): the relation
//     extension lock ("extend", taken while a table grows by a page) and the notification queue's lock
//     at COMMIT ("object", graphile-worker's add_job notifies its workers). A loaded CI machine sees both
//     now and then; neither is a row any request writes.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import pg from "pg";
import { CASE_STATES } from "../../domain/caseStates.js";
import { startTestApp, type TestApp } from "../../test/app.js";
import { truncateTables } from "../../test/reset.js";
import { createStaffMember } from "../../test/staff.js";
import { startApplication } from "../applicants/startApplication.js";
import { startCaseReview } from "./startCaseReview.js";

const WRITERS = 20;

let testApp: TestApp;
before(async () => {
  testApp = await startTestApp({ env: { DATABASE_POOL_MAX: String(2 * WRITERS + 5) } });
});
after(async () => {
  await testApp.close();
});
beforeEach(async () => {
  await truncateTables(testApp.db, [
    "vetting_cases",
    "outbox_messages",
    "audit_events",
    "staff_sessions",
    "staff_users",
    "graphile_worker._private_jobs",
  ]);
});

/** The counts the queue shows (shards summed) and the real ones; they must be equal. */
async function countsAgree(): Promise<Record<string, number>> {
  const kept = await testApp.sqlPool.query<{ state: string; count: number }>(
    `SELECT state, sum(count)::int AS count FROM case_state_counts
     GROUP BY state HAVING sum(count) <> 0 ORDER BY state`,
  );
  const real = await testApp.sqlPool.query<{ state: string; count: number }>(
    "SELECT state, count(*)::int AS count FROM vetting_cases GROUP BY state ORDER BY state",
  );
  assert.deepEqual(kept.rows, real.rows);
  return Object.fromEntries(real.rows.map((row) => [row.state, row.count]));
}

/** WRITERS connections, each in an open transaction that fails on any lock wait longer than 3 s. */
async function openTransactions(): Promise<pg.Client[]> {
  const clients = await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      const client = new pg.Client({ connectionString: testApp.databaseUrl });
      await client.connect();
      await client.query("BEGIN");
      await client.query("SET LOCAL lock_timeout = '3s'");
      return client;
    }),
  );
  return clients;
}

async function commitAll(clients: pg.Client[]): Promise<void> {
  await Promise.all(clients.map((client) => client.query("COMMIT")));
  await Promise.all(clients.map((client) => client.end()));
}

const INSERT_CASE = `
  INSERT INTO vetting_cases (id, state, origin, "fullName", email, statement, "updatedAt")
  VALUES (gen_random_uuid(), $1, 'APPLICANT', 'Ada Applicant', $2, 'I would like to join.', now())
  RETURNING id`;

describe("writers that are all in their transactions at once", () => {
  test("20 new cases: each is written while the other 19 are still uncommitted, and all are counted", async () => {
    const clients = await openTransactions();
    // Every insert returns before any transaction commits: none waited on another's counter row.
    await Promise.all(
      clients.map((client, index) => client.query(INSERT_CASE, ["DRAFT", `ada${index}@example.org`])),
    );
    await commitAll(clients);
    assert.deepEqual(await countsAgree(), { DRAFT: WRITERS });
  });

  test("20 cases moved between the same two states at once, and 20 moved back, are counted exactly", async () => {
    const { rows } = await testApp.sqlPool.query<{ id: string }>(
      `INSERT INTO vetting_cases (id, state, origin, "fullName", email, statement, "updatedAt")
       SELECT gen_random_uuid(), 'SUBMITTED', 'APPLICANT', 'Ada Applicant', 'ada' || n || '@example.org',
              'I would like to join.', now()
       FROM generate_series(1, ${WRITERS}) AS n RETURNING id`,
    );
    const intoReview = await openTransactions();
    await Promise.all(
      intoReview.map((client, index) =>
        client.query("UPDATE vetting_cases SET state = 'IN_REVIEW' WHERE id = $1", [rows[index]?.id]),
      ),
    );
    await commitAll(intoReview);
    assert.deepEqual(await countsAgree(), { IN_REVIEW: WRITERS });

    // Opposite directions in the same transactions' lifetime: half forward, half back, plus new cases.
    const mixed = await openTransactions();
    await Promise.all(
      mixed.map((client, index) =>
        index % 2 === 0
          ? client.query("UPDATE vetting_cases SET state = 'APPROVED' WHERE id = $1", [rows[index]?.id])
          : client.query(INSERT_CASE, ["SUBMITTED", `new${index}@example.org`]),
      ),
    );
    await commitAll(mixed);
    assert.deepEqual(await countsAgree(), {
      APPROVED: WRITERS / 2,
      IN_REVIEW: WRITERS / 2,
      SUBMITTED: WRITERS / 2,
    });

    // A rolled-back move leaves the counts as they were.
    const rolledBack = await openTransactions();
    await Promise.all(
      rolledBack.map((client, index) =>
        client.query("UPDATE vetting_cases SET state = 'WITHDRAWN' WHERE id = $1", [rows[index]?.id]),
      ),
    );
    await Promise.all(rolledBack.map((client) => client.query("ROLLBACK")));
    await Promise.all(rolledBack.map((client) => client.end()));
    assert.deepEqual(await countsAgree(), {
      APPROVED: WRITERS / 2,
      IN_REVIEW: WRITERS / 2,
      SUBMITTED: WRITERS / 2,
    });
  });

  test("the rows kept per state are bounded by the writers at one moment, not by the cases", async () => {
    for (let round = 0; round < 5; round += 1) {
      const clients = await openTransactions();
      await Promise.all(
        clients.map((client, index) =>
          client.query(INSERT_CASE, ["DRAFT", `r${round}n${index}@example.org`]),
        ),
      );
      await commitAll(clients);
    }
    assert.deepEqual(await countsAgree(), { DRAFT: 5 * WRITERS });
    const { rows } = await testApp.sqlPool.query<{ shards: number }>(
      "SELECT count(*)::int AS shards FROM case_state_counts WHERE state = 'DRAFT'",
    );
    assert.ok((rows[0]?.shards ?? 0) <= WRITERS, `${rows[0]?.shards} rows for DRAFT`);
  });

  test("every state of the enum can be counted, including any added later", async () => {
    const clients = await openTransactions();
    await Promise.all(
      clients.map((client, index) =>
        client.query(INSERT_CASE, [CASE_STATES[index % CASE_STATES.length], `s${index}@example.org`]),
      ),
    );
    await commitAll(clients);
    const counts = await countsAgree();
    assert.deepEqual(Object.keys(counts).sort(), [...CASE_STATES].sort());
  });
});

/** The lock waits a contended row causes: on the row's tuple, or on the transaction that holds it. */
const ROW_LOCK_WAITS = ["tuple", "transactionid"];

/**
 * Samples the portal's connections until stopped: how many were busy, and which waited on another's
 * row (as "wait_event: query — waiting for <lock>, held by <state>: <query>").
 */
function sampleRowLockWaits(): { stop(): Promise<{ busy: number; waitingOnRow: string[] }> } {
  const sampler = new pg.Client({ connectionString: testApp.databaseUrl });
  let isRunning = true;
  let busy = 0;
  const waitingOnRow: string[] = [];
  const done = (async () => {
    await sampler.connect();
    while (isRunning) {
      const { rows } = await sampler.query<{
        wait_event_type: string | null;
        wait_event: string | null;
        query: string;
      }>(
        // With each wait, what it waited for: the lock not granted, the row locks it holds, and the
        // blocking session's state and statement (a wait inside the counters' trigger shows only the
        // outer statement).
        `SELECT wait_event_type, wait_event,
                query || ' — waiting for ' ||
                  coalesce((SELECT string_agg(lock.locktype || ' ' || lock.mode, ', ') FROM pg_locks AS lock
                             WHERE lock.pid = waiter.pid AND NOT lock.granted), '?') ||
                  -- A row lock it holds names the table whose row it waits on (a unique check holds none).
                  ', holding ' ||
                  coalesce((SELECT string_agg(lock.locktype || ' ' || lock.mode || ' on ' || lock.relation::regclass::text, ', ')
                              FROM pg_locks AS lock
                             WHERE lock.pid = waiter.pid AND lock.granted AND lock.locktype IN ('tuple', 'page')), 'no row lock') ||
                  ', held by ' ||
                  coalesce((SELECT string_agg(holder.state || ': ' || holder.query, ' | ')
                              FROM pg_stat_activity AS holder
                             WHERE holder.pid = ANY (pg_blocking_pids(waiter.pid))), '?') AS query
           FROM pg_stat_activity AS waiter
          WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'`,
      );
      busy += rows.length;
      for (const row of rows)
        if (row.wait_event_type === "Lock" && ROW_LOCK_WAITS.includes(row.wait_event ?? ""))
          waitingOnRow.push(`${row.wait_event}: ${row.query}`);
    }
    await sampler.end();
  })();
  return {
    async stop() {
      isRunning = false;
      await done;
      return { busy, waitingOnRow };
    },
  };
}

describe("the real commands, 20 at once", () => {
  test("20 applications and 20 reviews started concurrently: exact counts, nobody waits for a row", async () => {
    const agent = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
    const { rows: submitted } = await testApp.sqlPool.query<{ id: string }>(
      `INSERT INTO vetting_cases (id, state, origin, "fullName", email, statement, "updatedAt",
                                  "submittedAt", "lastSubmittedAt")
       SELECT gen_random_uuid(), 'SUBMITTED', 'APPLICANT', 'Grace Applicant', 'grace' || n || '@example.org',
              'I would like to join.', now(), now(), now()
       FROM generate_series(1, ${WRITERS}) AS n RETURNING id`,
    );
    // The queue has taken a job of this kind before, as it has after a portal's first email: its first
    // one ever registers the task's name, a row 20 first applications would all wait on once.
    await testApp.sqlPool.query(
      "SELECT graphile_worker.add_job('deliver_email', '{}', job_key => 'warm-up')",
    );
    await testApp.sqlPool.query("SELECT graphile_worker.remove_job('warm-up')");
    const sampling = sampleRowLockWaits();
    await Promise.all([
      ...Array.from({ length: WRITERS }, (_, index) =>
        startApplication(testApp.sqlPool, {
          config: testApp.config,
          application: {
            fullName: `Ada Applicant ${index}`,
            email: `ada${index}@example.org`,
            matrixId: null,
            phone: null,
            statement: "I would like to join.",
            consent: "yes",
          },
          audit: { label: "applicant" },
        }),
      ),
      ...submitted.map((vettingCase) =>
        startCaseReview(testApp.sqlPool, {
          caseId: vettingCase.id,
          actor: { id: agent.id, role: agent.role },
          audit: { staffUserId: agent.id, label: agent.email },
        }),
      ),
    ]);
    const { busy, waitingOnRow } = await sampling.stop();
    assert.ok(busy > 0, "the sampler saw the writers at work");
    assert.deepEqual(waitingOnRow, []);
    assert.deepEqual(await countsAgree(), { DRAFT: WRITERS, IN_REVIEW: WRITERS });
    // Each with its audit row and (for the applications) its email: nothing half-written.
    assert.equal(await testApp.db.auditEvent.count({ where: { action: "case.created" } }), WRITERS);
    assert.equal(await testApp.db.auditEvent.count({ where: { action: "case.review_started" } }), WRITERS);
    assert.equal(await testApp.db.outboxMessage.count({ where: { kind: "email_confirmation" } }), WRITERS);
  });
});
