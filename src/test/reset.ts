import type { Database } from "../db.js";

/**
 * Empties tables between tests. The audit log refuses TRUNCATE by trigger; tests (and only tests, as
 * the database superuser) switch triggers off for this one transaction.
 */
export async function truncateTables(db: Database, tables: string[]): Promise<void> {
  await db.$transaction([
    db.$executeRawUnsafe("SET LOCAL session_replication_role = replica"),
    db.$executeRawUnsafe(`TRUNCATE ${tables.join(", ")} CASCADE`),
  ]);
}
