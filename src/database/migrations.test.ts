import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { rmSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import pg from "pg";
import { createEmptyDatabase, dumpSchema, type TestDatabase } from "../test/postgres.js";
import { runScript } from "../test/scripts.js";
import {
  APPLIED_MIGRATIONS_QUERY,
  applyMigrations,
  diffDatamodels,
  LOCKFILE_CONTENT,
  localMigrationNames,
  migrationsDirectory,
  SCHEMA_SNAPSHOT_FILE,
  schemaPath,
  unappliedMigrations,
  writeMigration,
} from "./migrations.js";

const databases: TestDatabase[] = [];
const scratchDirectories: string[] = [];

after(async () => {
  await Promise.all(databases.map((database) => database.drop()));
});
// On exit rather than in after(): an interrupted run (Ctrl+C) skips after() but still exits.
process.on("exit", () => {
  for (const directory of scratchDirectories) rmSync(directory, { recursive: true, force: true });
});

async function emptyDatabase(): Promise<TestDatabase> {
  const database = await createEmptyDatabase();
  databases.push(database);
  return database;
}

async function scratchDirectory(): Promise<string> {
  const directory = await mkdtemp(path.join(os.tmpdir(), "vetting-portal-migrations-test-"));
  scratchDirectories.push(directory);
  return directory;
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

interface MigrationRow {
  id: string;
  migration_name: string;
  checksum: string;
  started_at: Date;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  logs: string | null;
  applied_steps_count: number;
}

const migrationRows = (url: string) =>
  query<MigrationRow>(url, "SELECT * FROM _prisma_migrations ORDER BY migration_name");

/** A copy of the repository's migrations plus extra ones, to exercise cases the real history lacks. */
async function migrationsWith(extra: Record<string, string>): Promise<string> {
  const directory = await scratchDirectory();
  await cp(migrationsDirectory, directory, { recursive: true });
  for (const [name, sql] of Object.entries(extra)) {
    await mkdir(path.join(directory, name));
    await writeFile(path.join(directory, name, "migration.sql"), sql);
  }
  return directory;
}

/** Lines only in one dump or the other, as a reviewer would want to read them; "" when equal. */
function describeDifferences(
  left: { label: string; lines: string[] },
  right: { label: string; lines: string[] },
) {
  const leftLines = new Set(left.lines);
  const rightLines = new Set(right.lines);
  const onlyLeft = left.lines.filter((line) => !rightLines.has(line));
  const onlyRight = right.lines.filter((line) => !leftLines.has(line));
  if (onlyLeft.length === 0 && onlyRight.length === 0) return "";
  return [
    `only in ${left.label}:`,
    ...(onlyLeft.length ? onlyLeft.map((line) => `  - ${line}`) : ["  (nothing)"]),
    `only in ${right.label}:`,
    ...(onlyRight.length ? onlyRight.map((line) => `  + ${line}`) : ["  (nothing)"]),
  ].join("\n");
}

async function databaseFromMigrations(): Promise<string> {
  const database = await emptyDatabase();
  await applyMigrations(database.url);
  return database.url;
}

/** A database built straight from a Prisma schema, as `prisma db push` would on an empty database. */
async function databaseFromSchema(schema: string): Promise<string> {
  const database = await emptyDatabase();
  const sql = await diffDatamodels(null, schema);
  assert.ok(sql, "the schema describes at least one table");
  await query(database.url, sql);
  return database.url;
}

test("applies every migration to an empty database and records them as `prisma migrate deploy` does", async () => {
  const database = await emptyDatabase();
  const local = localMigrationNames();
  assert.ok(local.length > 0, "the repository has migrations");

  const { applied } = await applyMigrations(database.url);

  assert.deepEqual(applied, local);
  const rows = await migrationRows(database.url);
  assert.deepEqual(
    rows.map((row) => row.migration_name),
    local,
  );
  for (const row of rows) {
    // Prisma's checksum: SHA-256 of migration.sql as it is on disk, hex.
    const file = await readFile(path.join(migrationsDirectory, row.migration_name, "migration.sql"));
    assert.equal(row.checksum, createHash("sha256").update(file).digest("hex"), row.migration_name);
    assert.ok(row.finished_at instanceof Date, `${row.migration_name} finished`);
    assert.equal(row.rolled_back_at, null);
    assert.equal(row.logs, null);
    assert.equal(row.applied_steps_count, 1);
  }
  // What /readyz asks.
  const appliedNames = await query<{ migration_name: string }>(database.url, APPLIED_MIGRATIONS_QUERY);
  assert.deepEqual(unappliedMigrations(appliedNames.map((row) => row.migration_name)), []);
});

test("a second run applies nothing and changes nothing", async () => {
  const database = await emptyDatabase();
  await applyMigrations(database.url);
  const rowsBefore = await migrationRows(database.url);
  const schemaBefore = await dumpSchema(database.url);

  const { applied } = await applyMigrations(database.url);

  assert.deepEqual(applied, []);
  assert.deepEqual(await migrationRows(database.url), rowsBefore);
  assert.deepEqual(await dumpSchema(database.url), schemaBefore);
});

test("concurrent runs apply each migration exactly once", async () => {
  // A slow migration in the middle widens the window in which unserialised runs would collide.
  const migrationsDir = await migrationsWith({
    "99990101000000_slow":
      "SELECT pg_sleep(0.3);\nCREATE TABLE concurrency_probe (id integer PRIMARY KEY);\n",
    "99990102000000_after_slow": "ALTER TABLE concurrency_probe ADD COLUMN note text;\n",
  });
  const expected = localMigrationNames(migrationsDir);
  const database = await emptyDatabase();

  const runs = await Promise.all([1, 2, 3].map(() => applyMigrations(database.url, { migrationsDir })));

  const appliedByAnyRun = runs.flatMap((run) => run.applied).sort((a, b) => a.localeCompare(b));
  assert.deepEqual(appliedByAnyRun, expected, "each migration applied by exactly one run");
  const rows = await migrationRows(database.url);
  assert.deepEqual(
    rows.map((row) => row.migration_name),
    expected,
  );
  assert.ok(rows.every((row) => row.finished_at !== null && row.rolled_back_at === null));
});

test("`db:migrate` in two processes at once: one applies, the other waits and finds nothing to do", async () => {
  const database = await emptyDatabase();
  const runCli = () =>
    runScript("scripts/db.ts", { args: ["migrate"], env: { ...process.env, DATABASE_URL: database.url } });

  const outcomes = await Promise.all([runCli(), runCli()]);

  for (const outcome of outcomes) assert.equal(outcome.code, 0, outcome.stderr);
  const summaries = outcomes.map((outcome) => outcome.stdout).sort();
  assert.deepEqual(summaries, [
    `Applied ${localMigrationNames().length} migration(s):\n${localMigrationNames()
      .map((name) => `  ${name}\n`)
      .join("")}`,
    "No pending migrations: the database is up to date.\n",
  ]);
  assert.equal((await migrationRows(database.url)).length, localMigrationNames().length);
});

test("a migration runs whole: semicolons inside bodies and strings survive, a failure leaves nothing behind", async () => {
  const migrationsDir = await migrationsWith({
    "99990101000000_function": [
      "CREATE FUNCTION greeting() RETURNS text LANGUAGE plpgsql AS $$",
      "BEGIN",
      "  RETURN 'hello; world';",
      "END;",
      "$$;",
      "CREATE TABLE semicolon_default (value text NOT NULL DEFAULT 'a;b');",
      "",
    ].join("\n"),
    "99990102000000_broken": "CREATE TABLE half_done (id integer);\nSELECT 1 / 0;\n",
  });
  const database = await emptyDatabase();

  await assert.rejects(applyMigrations(database.url, { migrationsDir }), (error: Error) => {
    assert.match(error.message, /^Migration 99990102000000_broken failed: .*division by zero/s);
    return true;
  });

  const [probe] = await query<{ greeting: string; half_done: string | null; default_value: string }>(
    database.url,
    `SELECT greeting(), to_regclass('half_done')::text AS half_done,
            (SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef WHERE adrelid = 'semicolon_default'::regclass) AS default_value`,
  );
  assert.deepEqual(probe, { greeting: "hello; world", half_done: null, default_value: "'a;b'::text" });
  const failed = (await migrationRows(database.url)).find(
    (row) => row.migration_name === "99990102000000_broken",
  );
  assert.equal(failed?.finished_at, null, "recorded as failed, as Prisma does, so a deploy stops there");
});

test("drift check: applying the migrations builds exactly the database prisma/schema.prisma describes", async () => {
  const schema = await readFile(schemaPath, "utf8");
  const [fromMigrations, fromSchema] = await Promise.all([
    databaseFromMigrations(),
    databaseFromSchema(schema),
  ]);

  const differences = describeDifferences(
    { label: "the database built by prisma/migrations", lines: await dumpSchema(fromMigrations) },
    { label: "the database prisma/schema.prisma describes", lines: await dumpSchema(fromSchema) },
  );

  assert.equal(
    differences,
    "",
    `prisma/migrations and prisma/schema.prisma disagree. After changing the schema, run \`npm run db:migration -- <name>\`; never edit an applied migration.\n${differences}`,
  );
});

test("drift check catches a schema change that has no migration", async () => {
  const schema = await readFile(schemaPath, "utf8");
  const changedSchema = schema.replace(/(model AuditEvent \{\n)/, "$1  driftProbe Int?\n");
  assert.notEqual(changedSchema, schema, "the test found the model to change");
  const [fromMigrations, fromChangedSchema] = await Promise.all([
    databaseFromMigrations(),
    databaseFromSchema(changedSchema),
  ]);

  const differences = describeDifferences(
    { label: "migrations", lines: await dumpSchema(fromMigrations) },
    { label: "changed schema", lines: await dumpSchema(fromChangedSchema) },
  );

  assert.equal(
    differences,
    [
      "only in migrations:",
      "  (nothing)",
      "only in changed schema:",
      "  + column audit_events.driftProbe integer",
    ].join("\n"),
  );
});

test("the last migration's schema snapshot is prisma/schema.prisma, so the next migration starts from it", async () => {
  const lastMigration = localMigrationNames().at(-1);
  assert.ok(lastMigration);
  const snapshot = await readFile(
    path.join(migrationsDirectory, lastMigration, SCHEMA_SNAPSHOT_FILE),
    "utf8",
  );
  const schema = await readFile(schemaPath, "utf8");

  const pending = await diffDatamodels(snapshot, schema);

  assert.equal(
    pending,
    null,
    `prisma/schema.prisma changed since ${lastMigration} was written. If the drift check passes, the migrations are complete and the snapshot is stale (two branches that each added a migration were merged): copy prisma/schema.prisma to prisma/migrations/${lastMigration}/${SCHEMA_SNAPSHOT_FILE}. Otherwise run \`npm run db:migration -- <name>\`.\n${pending}`,
  );
});

test("writeMigration writes the first migration from nothing, then only what changed, and nothing when nothing did", async () => {
  const directory = await scratchDirectory();
  const migrationsDir = path.join(directory, "migrations");
  const schemaFile = path.join(directory, "schema.prisma");
  const schema = await readFile(schemaPath, "utf8");
  await writeFile(schemaFile, schema);

  const first = await writeMigration("init", {
    migrationsDir,
    schemaPath: schemaFile,
    now: new Date("2030-01-02T03:04:05Z"),
  });

  assert.equal(first, path.join(migrationsDir, "20300102030405_init", "migration.sql"));
  assert.equal(await readFile(first, "utf8"), await diffDatamodels(null, schema));
  assert.equal(
    await readFile(path.join(migrationsDir, "20300102030405_init", SCHEMA_SNAPSHOT_FILE), "utf8"),
    schema,
  );
  assert.equal(await readFile(path.join(migrationsDir, "migration_lock.toml"), "utf8"), LOCKFILE_CONTENT);

  assert.equal(await writeMigration("unchanged", { migrationsDir, schemaPath: schemaFile }), null);
  assert.deepEqual(localMigrationNames(migrationsDir), ["20300102030405_init"]);

  await writeFile(schemaFile, schema.replace(/(model StaffUser \{\n)/, "$1  nickname String?\n"));
  // A clock behind the last migration must not put the new one before it.
  const second = await writeMigration("add_nickname", {
    migrationsDir,
    schemaPath: schemaFile,
    now: new Date("2029-12-31T00:00:00Z"),
  });

  assert.equal(second, path.join(migrationsDir, "20300102030406_add_nickname", "migration.sql"));
  assert.equal(
    await readFile(second, "utf8"),
    '-- AlterTable\nALTER TABLE "staff_users" ADD COLUMN     "nickname" TEXT;\n',
  );
  assert.deepEqual(
    await readdir(directory),
    ["migrations", "schema.prisma"],
    "no staging folder left behind",
  );
  assert.deepEqual(localMigrationNames(migrationsDir), [
    "20300102030405_init",
    "20300102030406_add_nickname",
  ]);
});

test("writeMigration refuses bad names and a last migration without its snapshot", async () => {
  const directory = await scratchDirectory();
  for (const name of ["", "Add_Users", "add-users", "add users", "../escape"]) {
    await assert.rejects(writeMigration(name, { migrationsDir: directory }), /Invalid migration name/);
  }
  await mkdir(path.join(directory, "20300101000000_handwritten"));
  await writeFile(path.join(directory, "20300101000000_handwritten", "migration.sql"), "SELECT 1;\n");
  await assert.rejects(
    writeMigration("next", { migrationsDir: directory }),
    /schema\.prisma\.snapshot is missing/,
  );
});

test("unappliedMigrations lists what the repository has and the database lacks", () => {
  const local = ["20300101000000_a", "20300102000000_b", "20300103000000_c"];
  assert.deepEqual(unappliedMigrations([], local), local);
  assert.deepEqual(unappliedMigrations(["20300101000000_a", "20300103000000_c"], local), [
    "20300102000000_b",
  ]);
  assert.deepEqual(unappliedMigrations([...local, "20300104000000_from_a_newer_release"], local), []);
});
