// The PrismaClient, through the pg driver adapter (no engine binary). main.ts creates one per process
// and passes it down, with the pg pool under it for the SQL reads; tests create one per test database.
import { PrismaPg } from "@prisma/adapter-pg";
import type pg from "pg";
import { createPgPool } from "./database/pgPool.js";
import { type Prisma, PrismaClient } from "./generated/prisma/client.js";

export type Database = PrismaClient;
export type Transaction = Prisma.TransactionClient;

export interface DatabaseOptions {
  poolMax: number;
  statementTimeoutMs: number;
  connectionTimeoutMs: number;
  /** A query with no answer after this long fails (a silent network partition); see database/pgPool.ts. */
  queryTimeoutMs?: number;
}

/**
 * The PrismaClient and the pg pool under it. The pool is also for the few reads written in SQL
 * (queries/sql/*): the pages every request loads, where Prisma's own work per query cost more than the
 * rest of the page (npm run bench, figures 1 and 2: 0.17 ms of CPU for a one-row read through Prisma,
 * 0.05 ms through pg; 1.8 ms for the staff queue's 50 rows), and for the busiest writes, each one
 * statement that is its own transaction (startApplication, startCaseReview). Same connections, same
 * role, same timeouts; never inside a Prisma transaction. db.$disconnect() ends the pool too.
 *
 * TLS comes from the URL's sslmode and sslrootcert (database/pgPool.ts).
 */
export function createDatabaseAndSqlPool(
  connectionString: string,
  options: DatabaseOptions,
): { db: Database; sqlPool: pg.Pool } {
  const pool = createPgPool(connectionString, {
    max: options.poolMax,
    connectionTimeoutMs: options.connectionTimeoutMs,
    statementTimeoutMs: options.statementTimeoutMs,
    queryTimeoutMs: options.queryTimeoutMs,
    applicationName: "vetting-portal",
  });
  // An idle connection that breaks (Postgres restarted) is dropped by the pool; without a listener the
  // error would end the process. Prisma adds its own listener only once it first connects.
  pool.on("error", () => {});
  const db = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  return { db, sqlPool: pool };
}

/** The PrismaClient alone, for code that makes none of the SQL reads (jobs, scripts, most tests). */
export function createDatabase(connectionString: string, options: DatabaseOptions): Database {
  return createDatabaseAndSqlPool(connectionString, options).db;
}
