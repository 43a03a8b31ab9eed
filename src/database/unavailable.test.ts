// Which errors mean "the database cannot be reached right now": each one made for real, against the
// run's Postgres or a port nothing listens on, in the shapes Prisma and pg give them.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { createDatabase, type Database } from "../db.js";
import { freePort } from "../test/ports.js";
import { createTestDatabase, type TestDatabase } from "../test/postgres.js";
import { isDatabaseUnavailable } from "./unavailable.js";

const POOL = { poolMax: 2, statementTimeoutMs: 5_000, connectionTimeoutMs: 2_000 };

let database: TestDatabase;
let db: Database;

before(async () => {
  database = await createTestDatabase();
  db = createDatabase(database.url, POOL);
});
after(async () => {
  await db.$disconnect();
  await database.drop();
});

async function caught(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  assert.fail("expected an error");
}

async function closedDatabaseUrl(): Promise<string> {
  const url = new URL(database.url);
  url.port = String(await freePort());
  return url.toString();
}

describe("isDatabaseUnavailable", () => {
  test("Prisma, nothing listening: yes", async () => {
    const unreachable = createDatabase(await closedDatabaseUrl(), POOL);
    try {
      const error = await caught(() => unreachable.staffUser.count());
      assert.equal((error as { code?: string }).code, "P1001");
      assert.equal(isDatabaseUnavailable(error), true);
      assert.equal(isDatabaseUnavailable(await caught(() => unreachable.$queryRaw`SELECT 1`)), true);
      assert.equal(
        isDatabaseUnavailable(
          await caught(() => unreachable.$transaction(async (tx) => tx.staffUser.count())),
        ),
        true,
      );
    } finally {
      await unreachable.$disconnect();
    }
  });

  test("pg, nothing listening: yes", async () => {
    const client = new pg.Client({ connectionString: await closedDatabaseUrl() });
    assert.equal(isDatabaseUnavailable(await caught(() => client.connect())), true);
  });

  test("the server ending the connection (as a shutdown does, 57P01): yes, through pg and through Prisma", async () => {
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    const victim = new pg.Client({ connectionString: database.url });
    victim.on("error", () => {}); // the terminated connection also emits; the query's rejection is the test
    await victim.connect();
    try {
      const { rows } = await victim.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
      const sleeping = caught(() => victim.query("SELECT pg_sleep(10)"));
      await waitUntilActive(admin, rows[0]?.pid ?? 0);
      await admin.query("SELECT pg_terminate_backend($1)", [rows[0]?.pid]);
      const error = await sleeping;
      assert.equal((error as { code?: string }).code, "57P01");
      assert.equal(isDatabaseUnavailable(error), true);

      // Prisma: a connection of its pool terminated mid-query.
      const prismaError = caught(() => db.$queryRaw`SELECT pg_sleep(10), 'prisma-victim' AS marker`);
      const pid = await waitForQuery(admin, "prisma-victim");
      await admin.query("SELECT pg_terminate_backend($1)", [pid]);
      assert.equal(isDatabaseUnavailable(await prismaError), true, String(await prismaError));
      // The pool replaces the connection it lost: the next query simply works.
      assert.deepEqual(await db.$queryRaw`SELECT 1 AS one`, [{ one: 1 }]);
    } finally {
      await victim.end().catch(() => {});
      await admin.end();
    }
  });

  test("no answer within the client-side query timeout: yes; the connection is closed, so nothing waits behind the lost query", async () => {
    // A statement far slower than the query timeout stands in for a server that no longer answers (the
    // drill src/drills/postgresPaused.test.ts pauses a real one).
    const impatient = createDatabase(database.url, { ...POOL, poolMax: 1, queryTimeoutMs: 300 });
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      const started = performance.now();
      const error = await caught(() => impatient.$queryRaw`SELECT pg_sleep(3), 'lost-query' AS marker`);
      assert.equal((error as Error).message, "Query read timeout");
      assert.equal(isDatabaseUnavailable(error), true);
      // A transaction whose statement gets no answer fails after one timeout: its ROLLBACK does not
      // queue behind the lost statement for a second one.
      const inTransaction = await caught(() =>
        impatient.$transaction(
          async (tx) => tx.$queryRaw`SELECT pg_sleep(3), 'lost-in-transaction' AS marker`,
        ),
      );
      assert.equal(isDatabaseUnavailable(inTransaction), true, String(inTransaction));
      // The one pool connection was replaced: the next query answers now, not after the sleeps end.
      assert.deepEqual(await impatient.$queryRaw`SELECT 1 AS one`, [{ one: 1 }]);
      assert.ok(performance.now() - started < 2_500, "each lost query cost one timeout, nothing more");
      // The server was told: no session of ours is left inside the lost transaction.
      await waitForNoQuery(admin, "lost-in-transaction");
    } finally {
      await impatient.$disconnect();
      await admin.end();
    }
  });

  test("errors in what was asked (a duplicate, bad SQL, a missing row): no", async () => {
    const email = `dup-${Date.now()}@example.org`;
    const staff = { name: "Dup", email, role: "VETTING_AGENT" as const, status: "ACTIVE" as const };
    await db.staffUser.create({ data: staff });
    assert.equal(isDatabaseUnavailable(await caught(() => db.staffUser.create({ data: staff }))), false);
    assert.equal(isDatabaseUnavailable(await caught(() => db.$queryRawUnsafe("SELEC 1"))), false);
    assert.equal(
      isDatabaseUnavailable(
        await caught(() => db.staffUser.findUniqueOrThrow({ where: { email: "x@y.z" } })),
      ),
      false,
    );
    assert.equal(isDatabaseUnavailable(new Error("anything else")), false);
    assert.equal(isDatabaseUnavailable(undefined), false);
  });
});

async function waitUntilActive(admin: pg.Client, pid: number): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const { rows } = await admin.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = 'active'", [
      pid,
    ]);
    if (rows.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`backend ${pid} never became active`);
}

async function waitForQuery(admin: pg.Client, marker: string): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const { rows } = await admin.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE state = 'active' AND query LIKE $1 AND pid <> pg_backend_pid()",
      [`%${marker}%`],
    );
    if (rows[0]) return rows[0].pid;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no active query marked ${marker}`);
}

async function waitForNoQuery(admin: pg.Client, marker: string): Promise<void> {
  for (let attempt = 0; attempt < 250; attempt++) {
    const { rows } = await admin.query(
      "SELECT 1 FROM pg_stat_activity WHERE query LIKE $1 AND pid <> pg_backend_pid()",
      [`%${marker}%`],
    );
    if (rows.length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`a session still runs the query marked ${marker}`);
}
