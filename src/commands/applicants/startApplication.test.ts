// The application statement's plan follows the data: a connection that applied while the community had
// a handful of cases still finds duplicates through the email's index once thousands of cases exist
// (queryInTransaction's planEachCall). Counted with Postgres's own statistics: sequential scans of
// vetting_cases made by that connection.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import pg from "pg";
import { startTestApp, type TestApp } from "../../test/app.js";
import { startApplication } from "./startApplication.js";

let testApp: TestApp;
before(async () => {
  testApp = await startTestApp();
});
after(async () => {
  await testApp.close();
});

test("after a burst of thousands of cases, applying still looks duplicates up by index, not by reading every case", async () => {
  // One connection, so every application below runs on the connection whose plans are being watched.
  const pool = new pg.Pool({ connectionString: testApp.databaseUrl, max: 1 });
  let applicant = 0;
  const apply = () => {
    applicant += 1;
    return startApplication(pool, {
      config: testApp.config,
      application: {
        fullName: `Ada Applicant ${applicant}`,
        email: `ada${applicant}@example.org`,
        matrixId: null,
        phone: null,
        statement: "I would like to join.",
        consent: "yes",
      },
      audit: { label: "applicant" },
    });
  };
  const caseTableScans = async () => {
    // The connection's statistics are reported when idle for a moment, or when asked to.
    await pool.query("SELECT pg_stat_force_next_flush()");
    await testApp.sqlPool.query("SELECT pg_stat_clear_snapshot()");
    const { rows } = await testApp.sqlPool.query<{ scans: string }>(
      "SELECT seq_scan AS scans FROM pg_stat_user_tables WHERE relname = 'vetting_cases'",
    );
    return Number(rows[0]?.scans ?? Number.NaN);
  };
  try {
    // A young community: a few cases, analyzed so. More applications than it takes to settle on a plan.
    await testApp.sqlPool.query("ANALYZE vetting_cases");
    for (let n = 0; n < 12; n += 1) await apply();
    // An opening is announced: 5 000 cases arrive before the statistics are refreshed.
    await testApp.sqlPool.query(
      `INSERT INTO vetting_cases (id, state, origin, "fullName", email, statement, "updatedAt")
       SELECT gen_random_uuid(), 'DRAFT', 'APPLICANT', 'Burst Applicant', 'burst' || n || '@example.org',
              'I would like to join.', now()
       FROM generate_series(1, 5000) AS n`,
    );
    const before = await caseTableScans();
    for (let n = 0; n < 10; n += 1) await apply();
    const scans = (await caseTableScans()) - before;
    assert.equal(scans, 0, `${scans} of 10 applications read every case`);
    const { rows } = await testApp.sqlPool.query<{ cases: number }>(
      "SELECT count(*)::int AS cases FROM vetting_cases WHERE email LIKE 'ada%'",
    );
    assert.equal(rows[0]?.cases, 22);
  } finally {
    await pool.end();
  }
});
