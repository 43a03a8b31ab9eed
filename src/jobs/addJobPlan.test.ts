// Adding a job costs the same whatever the backlog: graphile-worker's add_jobs looks up the job key in its
// unique index, also on a connection that first added jobs while the queue was nearly empty (see
// ADD_JOBS_PLAN_SETTING in worker.ts). Counted with Postgres's own statistics: sequential scans of the
// jobs table.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import pg from "pg";
import { createLogger } from "../logger.js";
import { createTestDatabase, type TestDatabase } from "../test/postgres.js";
import { installJobQueue } from "./worker.js";

let database: TestDatabase;
before(async () => {
  database = await createTestDatabase();
});
after(async () => {
  await database.drop();
});

async function connect(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  return client;
}

const ADD_EMAIL_JOB = `SELECT graphile_worker.add_job('deliver_email', json_build_object('n', $1::int),
  run_at => now(), job_key => 'email:' || $1, max_attempts => 10)`;

/** Sequential scans of the jobs table so far, as the statistics collector has them (flushed first). */
async function jobTableScans(observer: pg.Client, writer: pg.Client): Promise<number> {
  // A backend reports its table statistics when idle for a moment, or when asked to.
  await writer.query("SELECT pg_stat_force_next_flush()");
  await observer.query("SELECT pg_stat_clear_snapshot()");
  const { rows } = await observer.query<{ scans: string }>(
    "SELECT seq_scan AS scans FROM pg_stat_all_tables WHERE schemaname = 'graphile_worker' AND relname = '_private_jobs'",
  );
  return Number(rows[0]?.scans ?? Number.NaN);
}

test("a connection that began on a nearly empty queue adds jobs by the key's index once thousands wait", async () => {
  const observer = await connect();
  const writer = await connect();
  try {
    // The queue nearly empty and analyzed so: the statistics a plan made now would rely on.
    for (let n = 0; n < 20; n += 1) await writer.query(ADD_EMAIL_JOB, [n]);
    await observer.query("ANALYZE graphile_worker._private_jobs");
    // More calls on this connection than it takes PL/pgSQL to settle on a cached generic plan.
    for (let n = 20; n < 40; n += 1) await writer.query(ADD_EMAIL_JOB, [n]);
    // Then a backlog, added by another connection, the statistics not yet refreshed.
    await observer.query(
      `SELECT graphile_worker.add_jobs(array_agg(ROW('deliver_email', json_build_object('n', n), NULL, now(),
         10, 'email:' || n, NULL, NULL)::graphile_worker.job_spec)) FROM generate_series(1000, 5999) AS n`,
    );
    const before = await jobTableScans(observer, writer);
    for (let n = 40; n < 60; n += 1) await writer.query(ADD_EMAIL_JOB, [n]);
    const scans = (await jobTableScans(observer, writer)) - before;
    assert.equal(scans, 0, `${scans} of 20 jobs added read the whole jobs table`);
    const { rows } = await observer.query<{ jobs: number }>(
      "SELECT count(*)::int AS jobs FROM graphile_worker._private_jobs",
    );
    assert.equal(rows[0]?.jobs, 5060);
  } finally {
    await writer.end();
    await observer.end();
  }
});

test("the setting is put back on every start, after an upgrade of graphile-worker replaced the function", async () => {
  const client = await connect();
  try {
    await client.query(
      "ALTER FUNCTION graphile_worker.add_jobs(graphile_worker.job_spec[], boolean) RESET plan_cache_mode",
    );
    await installJobQueue(database.url, createLogger({ level: "silent", pretty: false }));
    const { rows } = await client.query<{ proconfig: string[] | null }>(
      "SELECT proconfig FROM pg_proc WHERE oid = 'graphile_worker.add_jobs(graphile_worker.job_spec[], boolean)'::regprocedure",
    );
    assert.deepEqual(rows[0]?.proconfig, ["plan_cache_mode=force_custom_plan"]);
  } finally {
    await client.end();
  }
});
