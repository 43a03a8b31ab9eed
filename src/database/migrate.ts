// Brings a database's schema up to date: the portal's own migrations (prisma/migrations), then the job
// queue's schema (graphile_worker, versioned by graphile-worker itself). Both are safe to run twice and
// from several processes at once.

import pg from "pg";
import type { Logger } from "../logger.js";
import { APPLIED_MIGRATIONS_QUERY, applyMigrations, unappliedMigrations } from "./migrations.js";

export async function migrateDatabase(
  connectionString: string,
  logger: Logger,
): Promise<{ applied: string[] }> {
  const result = await applyMigrations(connectionString, {
    log: (line) => logger.debug({ category: "migrations" }, line),
  });
  // Loaded here, not at the top: a production web process imports this module for pendingMigrations()
  // alone and never needs the job queue's library.
  const { installJobQueue } = await import("../jobs/worker.js");
  await installJobQueue(connectionString, logger);
  return result;
}

/** Migrations in the repository that the database has not applied (all of them on an empty database). */
export async function pendingMigrations(connectionString: string): Promise<string[]> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    const exists = await client.query("SELECT to_regclass('_prisma_migrations') IS NOT NULL AS exists");
    if (!exists.rows[0]?.exists) return unappliedMigrations([]);
    const result = await client.query<{ migration_name: string }>(APPLIED_MIGRATIONS_QUERY);
    return unappliedMigrations(result.rows.map((row) => row.migration_name));
  } finally {
    await client.end();
  }
}
