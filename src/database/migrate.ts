// Brings a database's schema up to date: the portal's own migrations (prisma/migrations), then the job
// queue's schema (graphile_worker, versioned by graphile-worker itself). Both are safe to run twice and
// from several processes at once.
import { installJobQueue } from "../jobs/worker.js";
import type { Logger } from "../logger.js";
import { applyMigrations } from "./migrations.js";

export async function migrateDatabase(
  connectionString: string,
  logger: Logger,
): Promise<{ applied: string[] }> {
  const result = await applyMigrations(connectionString, {
    log: (line) => logger.debug({ category: "migrations" }, line),
  });
  await installJobQueue(connectionString, logger);
  return result;
}
