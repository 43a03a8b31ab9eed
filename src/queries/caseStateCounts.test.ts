// case_state_counts, kept by triggers on vetting_cases (migrations queue_counts and sharded_state_counts),
// is what the staff queue's tabs show unfiltered: after any insert, move, deletion or emptying it must
// equal a real count.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import pg from "pg";
import { seedCases } from "../../scripts/seed.js";
import { createTestDatabase, type TestDatabase } from "../test/postgres.js";

let database: TestDatabase;
let client: pg.Client;

before(async () => {
  database = await createTestDatabase();
  client = new pg.Client({ connectionString: database.url });
  await client.connect();
});
after(async () => {
  await client.end();
  await database.drop();
});

async function countsAgree(): Promise<Record<string, number>> {
  const kept = await client.query<{ state: string; count: number }>(
    // A state's count is the sum of its rows (shards: concurrent writers each add to their own).
    `SELECT state, sum(count)::int AS count FROM case_state_counts
     GROUP BY state HAVING sum(count) <> 0 ORDER BY state`,
  );
  const real = await client.query<{ state: string; count: number }>(
    "SELECT state, count(*)::int AS count FROM vetting_cases GROUP BY state ORDER BY state",
  );
  assert.deepEqual(kept.rows, real.rows);
  return Object.fromEntries(real.rows.map((row) => [row.state, row.count]));
}

test("the counts follow bulk inserts, moves between states, deletions and emptying the table", async () => {
  await seedCases(database.url, { cases: 500 });
  const seeded = await countsAgree();
  assert.equal(
    Object.values(seeded).reduce((sum, count) => sum + count, 0),
    500,
  );

  const moved = await client.query("UPDATE vetting_cases SET state = 'APPROVED' WHERE state = 'SUBMITTED'");
  assert.ok((moved.rowCount ?? 0) > 0);
  const afterMoves = await countsAgree();
  assert.equal(afterMoves.SUBMITTED, undefined);
  assert.equal(afterMoves.APPROVED, (seeded.APPROVED ?? 0) + (seeded.SUBMITTED ?? 0));

  // Two moves in opposite directions at once, each in its own transaction: both counted, no deadlock.
  const other = new pg.Client({ connectionString: database.url });
  await other.connect();
  try {
    await Promise.all([
      client.query(
        "UPDATE vetting_cases SET state = 'IN_REVIEW' WHERE id IN (SELECT id FROM vetting_cases WHERE state = 'DRAFT' LIMIT 5)",
      ),
      other.query(
        "UPDATE vetting_cases SET state = 'DRAFT' WHERE id IN (SELECT id FROM vetting_cases WHERE state = 'IN_REVIEW' LIMIT 7)",
      ),
    ]);
  } finally {
    await other.end();
  }
  await countsAgree();

  await client.query("DELETE FROM vetting_cases WHERE state = 'WITHDRAWN'");
  assert.equal((await countsAgree()).WITHDRAWN, undefined);

  // As the tests' truncateTables() does it: triggers off for the transaction. The count still empties.
  await client.query("BEGIN");
  await client.query("SET LOCAL session_replication_role = replica");
  await client.query("TRUNCATE vetting_cases CASCADE");
  await client.query("COMMIT");
  assert.deepEqual(await countsAgree(), {});
});
