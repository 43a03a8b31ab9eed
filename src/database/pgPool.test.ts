// queryInTransaction against a real Postgres: the answer and the commit, named and unnamed statements,
// parameters converted as pg's own queries convert them, and the connection closed on an error or a
// missing answer, with nothing of the statement committed.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import pg from "pg";
import { createEmptyDatabase, type TestDatabase } from "../test/postgres.js";
import { createPgPool, QUERY_TIMEOUT_MESSAGE, queryInTransaction } from "./pgPool.js";

let database: TestDatabase;
let observer: pg.Client;

function onePool(settings: { queryTimeoutMs?: number } = {}): pg.Pool {
  return createPgPool(database.url, {
    max: 1,
    connectionTimeoutMs: 5_000,
    applicationName: "pg-pool-test",
    ...settings,
  });
}

async function storedIds(): Promise<number[]> {
  const { rows } = await observer.query<{ id: number }>("SELECT id FROM items ORDER BY id");
  return rows.map((row) => row.id);
}

before(async () => {
  database = await createEmptyDatabase();
  observer = new pg.Client({ connectionString: database.url });
  await observer.connect();
  await observer.query("CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL)");
});
after(async () => {
  await observer.end();
  await database.drop();
});
beforeEach(async () => {
  await observer.query("TRUNCATE items");
});

describe("queryInTransaction", () => {
  test("answers with the statement's rows once its change is committed", async () => {
    const pool = onePool();
    try {
      const result = await queryInTransaction<{ id: number; label: string }>(pool, {
        name: "insert-item",
        text: "INSERT INTO items (id, label) VALUES ($1, $2) RETURNING id, label",
        values: [1, "first"],
      });
      assert.deepEqual(result.rows, [{ id: 1, label: "first" }]);
      assert.equal(result.rowCount, 1);
      // Another session sees it at once: committed, not waiting in an open transaction.
      assert.deepEqual(await storedIds(), [1]);
      // And the connection went back to the pool outside any transaction: a statement of its own starts
      // its own transaction (inside an open one, now() would be the earlier BEGIN's time).
      const { rows } = await pool.query<{ isOwnTransaction: boolean }>(
        'SELECT now() = statement_timestamp() AS "isOwnTransaction"',
      );
      assert.equal(rows[0]?.isOwnTransaction, true);
    } finally {
      await pool.end();
    }
  });

  test("a named statement is parsed once per connection; planEachCall sends it unnamed", async () => {
    const pool = onePool();
    try {
      for (const id of [1, 2, 3]) {
        await queryInTransaction(pool, {
          name: "insert-item",
          text: "INSERT INTO items (id, label) VALUES ($1, $2)",
          values: [id, `item ${id}`],
        });
      }
      await queryInTransaction(
        pool,
        {
          name: "insert-item-planned",
          text: "INSERT INTO items (id, label) VALUES ($1, $2)",
          values: [4, "item 4"],
        },
        { planEachCall: true },
      );
      assert.deepEqual(await storedIds(), [1, 2, 3, 4]);
      // The pool's one connection keeps the named statement once, and no trace of the unnamed one.
      const { rows } = await pool.query<{ name: string }>("SELECT name FROM pg_prepared_statements");
      assert.deepEqual(
        rows.map((row) => row.name),
        ["insert-item"],
      );
    } finally {
      await pool.end();
    }
  });

  test("Dates, arrays, objects and nulls are sent as pg's own queries send them", async () => {
    const pool = onePool();
    try {
      const values = [new Date("2026-12-07T18:30:00.123Z"), ["a", "b,c", 'd"e'], { kind: "x" }, null];
      const text =
        "SELECT $1::timestamptz AS at, $2::text[] AS list, $3::jsonb AS object, $4::text AS nothing";
      const ours = await queryInTransaction(pool, { text, values });
      const theirs = await pool.query(text, values);
      assert.deepEqual(ours.rows, theirs.rows);
      assert.deepEqual(ours.rows[0]?.list, ["a", "b,c", 'd"e']);
    } finally {
      await pool.end();
    }
  });

  test("a failing statement commits nothing of itself and closes its connection; the pool goes on", async () => {
    const pool = onePool();
    try {
      await queryInTransaction(pool, { text: "INSERT INTO items VALUES (1, 'first')" });
      const before = await pool.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
      // The CTE's row 2 is written before the duplicate 1 fails the statement.
      await assert.rejects(
        queryInTransaction(pool, {
          name: "insert-two",
          text: "WITH second AS (INSERT INTO items VALUES (2, 'second')) INSERT INTO items VALUES ($1, 'again')",
          values: [1],
        }),
        (error: unknown) => error instanceof pg.DatabaseError && error.code === "23505",
      );
      assert.deepEqual(await storedIds(), [1]);
      const afterwards = await pool.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
      assert.notEqual(afterwards.rows[0]?.pid, before.rows[0]?.pid, "a new connection");
      // The same name parses again on the new connection.
      await queryInTransaction(pool, {
        name: "insert-two",
        text: "WITH second AS (INSERT INTO items VALUES (2, 'second')) INSERT INTO items VALUES ($1, 'again')",
        values: [3],
      });
      assert.deepEqual(await storedIds(), [1, 2, 3]);
    } finally {
      await pool.end();
    }
  });

  test("a statement whose answer comes after the query timeout is never committed, though the server finished it", async () => {
    const pool = onePool({ queryTimeoutMs: 300 });
    try {
      const started = Date.now();
      await assert.rejects(
        queryInTransaction(pool, {
          text: "WITH written AS (INSERT INTO items VALUES ($1, 'late') RETURNING id) SELECT pg_sleep(1), (SELECT id FROM written)",
          values: [7],
        }),
        (error: unknown) => error instanceof Error && error.message === QUERY_TIMEOUT_MESSAGE,
      );
      assert.ok(Date.now() - started < 900, "the caller is answered at the timeout");
      // The server runs the statement to its end (its connection closed meanwhile): nothing is committed.
      await delay(1_200);
      assert.deepEqual(await storedIds(), []);
      const { rows } = await observer.query<{ count: string }>(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pg-pool-test'",
      );
      assert.equal(rows[0]?.count, "0", "the connection that timed out is closed");
      // The pool opens a new one for the next statement.
      await queryInTransaction(pool, { text: "INSERT INTO items VALUES (8, 'next')" });
      assert.deepEqual(await storedIds(), [8]);
    } finally {
      await pool.end();
    }
  });
});
