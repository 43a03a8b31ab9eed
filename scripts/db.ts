// Database commands for people and deploy scripts.
//   npm run db:migrate                   apply pending migrations (DATABASE_URL; in development without it,
//                                        the embedded Postgres), then grant DATABASE_APP_ROLE row access
//   npm run db:migration -- <name>       write prisma/migrations/<timestamp>_<name>/ from schema changes
// Failures print one line on stderr and exit 1.
import path from "node:path";
import { ConfigError, exitWithConfigProblems, loadConfig } from "../src/config.js";
import { openDatabase } from "../src/database/connect.js";
import { grantRowPrivileges } from "../src/database/grants.js";
import { migrateDatabase } from "../src/database/migrate.js";
import { writeMigration } from "../src/database/migrations.js";
import { databaseConnectionProblem } from "../src/database/unavailable.js";
import { createLogger } from "../src/logger.js";

const USAGE = "usage: tsx scripts/db.ts migrate | migration <name>";

/** Applies pending migrations to the configured database and says what it did. */
async function migrate(): Promise<void> {
  const loaded = loadConfig();
  // Migrations run as the schema's owner when one is configured (least privilege: the portal's own
  // role may only read and write rows).
  const config = loaded.database.ownerUrl
    ? { ...loaded, database: { ...loaded.database, url: loaded.database.ownerUrl } }
    : loaded;
  const logger = createLogger({ level: "warn", pretty: process.stderr.isTTY });
  const database = await openDatabase(config, logger);
  let applied: string[];
  try {
    ({ applied } = await migrateDatabase(database.url, logger));
    if (config.database.appRole) await grantRowPrivileges(database.url, config.database.appRole);
  } catch (error) {
    // A refused TLS certificate, said with what to check (and in which setting).
    const problem = databaseConnectionProblem(
      error,
      loaded.database.ownerUrl ? "DATABASE_OWNER_URL" : "DATABASE_URL",
    );
    throw problem ? new Error(problem, { cause: error }) : error;
  } finally {
    await database.stop();
  }
  if (applied.length === 0) {
    process.stdout.write("No pending migrations: the database is up to date.\n");
  } else {
    process.stdout.write(
      `Applied ${applied.length} migration(s):\n${applied.map((name) => `  ${name}\n`).join("")}`,
    );
  }
  if (config.database.appRole) {
    process.stdout.write(`Granted row access (no schema changes) to the role ${config.database.appRole}.\n`);
  }
}

async function newMigration(name: string | undefined): Promise<void> {
  if (!name) throw new Error(`a migration name is required: npm run db:migration -- <name>`);
  const written = await writeMigration(name);
  if (written === null) {
    process.stdout.write("No changes in prisma/schema.prisma since the last migration: nothing written.\n");
  } else {
    process.stdout.write(
      `Wrote ${path.relative(process.cwd(), written)}; review it, then commit the folder.\n`,
    );
  }
}

async function main(args: string[]): Promise<void> {
  const [command, ...rest] = args;
  switch (command) {
    case "migrate":
      await migrate();
      return;
    case "migration":
      await newMigration(rest[0]);
      return;
    default:
      throw new Error(USAGE);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ConfigError) exitWithConfigProblems(error);
  const message = error instanceof Error ? error.message : String(error);
  // One line: engine and Postgres messages can span several.
  process.stderr.write(`db: ${message.replace(/\s*\n\s*/g, " ")}\n`);
  process.exit(1);
});
