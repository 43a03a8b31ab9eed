// Real Postgres for tests: one embedded server per test run, one fresh database per test (or per file).
//
//   test orchestrator   startTestPostgresServer() once, then runs the test files in parallel processes
//                       with TEST_POSTGRES_ADMIN_URL=<its adminUrl>
//   a test              const database = await createTestDatabase();  … use database.url …
//                       await database.drop();
//   one file by hand    no TEST_POSTGRES_ADMIN_URL: the first createTestDatabase() starts a server for
//                       this process, which goes away (with its files) when the process exits
//
// A test database is a copy of `vetting_portal_template`, migrated once when the server starts:
// CREATE DATABASE … TEMPLATE copies files, which is much faster than running migrations per test. Postgres
// refuses to copy a database anyone is connected to, so the template is closed to connections once it is
// migrated; concurrent copies from many processes then cannot trip over each other.
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { chmod, mkdtemp } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import {
  type EmbeddedPostgres,
  EmbeddedPostgresError,
  startEmbeddedPostgres,
} from "../database/embeddedPostgres.js";
import { migrateDatabase } from "../database/migrate.js";
import { createLogger } from "../logger.js";

/** Set by the test orchestrator for the processes it starts. */
export const TEST_POSTGRES_ADMIN_URL = "TEST_POSTGRES_ADMIN_URL";
export const TEMPLATE_DATABASE = "vetting_portal_template";

export interface TestPostgresServer {
  /** URL of the server's `postgres` maintenance database, as superuser: what TEST_POSTGRES_ADMIN_URL holds. */
  adminUrl: string;
  /** The cluster's folder, deleted by stop(). */
  dataDir: string;
  /** Stops the server and deletes its files. Safe to call more than once. */
  stop(): Promise<void>;
}

export interface TestDatabase {
  /** postgresql:// URL of this database alone. */
  url: string;
  /** Drops the database, cutting any connection a test left open. Safe to call more than once. */
  drop(): Promise<void>;
}

/**
 * An embedded Postgres in a fresh temporary directory, on a free port, without fsync (nothing here needs
 * to survive a crash), with the migrated template database ready.
 */
export async function startTestPostgresServer(
  options: { onLog?: (line: string) => void } = {},
): Promise<TestPostgresServer> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), "vetting-portal-test-postgres-"));
  // mkdtemp makes it 0700; as root, the server runs as the postgres user, which must reach the cluster
  // inside (else embeddedPostgres keeps the cluster in a system folder instead).
  await chmod(scratch, 0o711);
  let server: EmbeddedPostgres | undefined;
  // The cluster's folder too, should it have been moved after all: each one is 400 MB.
  const removeFiles = () => {
    for (const directory of [scratch, server?.dataDir]) {
      if (directory) rmSync(directory, { recursive: true, force: true });
    }
  };
  installSignalCleanup();

  try {
    server = await startOnFreePort(path.join(scratch, "data"), options.onLog);
  } catch (error) {
    removeFiles();
    throw error;
  }
  // If the process ends without stop(), embeddedPostgres's exit hook stops the server; this one, added
  // after it (exit listeners run in the order they were added), then deletes its files.
  process.on("exit", removeFiles);
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= server.stop().then(() => {
      removeFiles();
      process.off("exit", removeFiles);
    });
    return stopping;
  };

  try {
    // The template carries the job queue's schema too, so tests can enqueue jobs as commands do.
    await migrateDatabase(server.connectionString, createLogger({ level: "silent", pretty: false }));
    await withClient(server.adminConnectionString, (client) =>
      client.query(`ALTER DATABASE ${TEMPLATE_DATABASE} WITH ALLOW_CONNECTIONS false IS_TEMPLATE true`),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { adminUrl: server.adminConnectionString, dataDir: server.dataDir, stop };
}

/** A fresh database with every migration applied, on the test run's server. */
export function createTestDatabase(): Promise<TestDatabase> {
  return createDatabaseFrom(TEMPLATE_DATABASE);
}

/** A fresh database with nothing in it (not even `_prisma_migrations`), for testing migrations. */
export function createEmptyDatabase(): Promise<TestDatabase> {
  // template0 is Postgres's pristine, connection-less template: nothing user-made, nobody connected.
  return createDatabaseFrom("template0");
}

let databaseCounter = 0;

async function createDatabaseFrom(template: string): Promise<TestDatabase> {
  const adminUrl = await serverAdminUrl();
  // Unique across the parallel test processes sharing the server.
  const name = `test_${process.pid}_${++databaseCounter}_${randomBytes(3).toString("hex")}`;
  await withClient(adminUrl, async (client) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
        return;
      } catch (error) {
        // 55006 object_in_use: someone was still connected to the template (e.g. the last connections of
        // the migration run, still closing). Postgres already waited 5 s for them; give it a few more tries.
        if ((error as { code?: string }).code !== "55006" || attempt >= 5) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropping: Promise<void> | undefined;
  return {
    url: url.toString(),
    drop: () => {
      dropping ??= withClient(adminUrl, async (client) => {
        // pg's pool.end() resolves before its connections have finished closing. Terminating one of
        // those (FORCE) makes the closing client emit an error nobody listens to any more, which fails
        // the test file; so wait (up to 2 s) for connections still closing, then force the rest.
        for (let attempt = 0; attempt < 40; attempt++) {
          const { rows } = await client.query<{ connections: number }>(
            "SELECT count(*)::int AS connections FROM pg_stat_activity WHERE datname = $1",
            [name],
          );
          if ((rows[0]?.connections ?? 0) === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      });
      return dropping;
    },
  };
}

let processServer: Promise<TestPostgresServer> | undefined;

async function serverAdminUrl(): Promise<string> {
  const fromOrchestrator = process.env[TEST_POSTGRES_ADMIN_URL];
  if (fromOrchestrator) return fromOrchestrator;
  // A test file run on its own: one server for this process, stopped by the exit hooks.
  processServer ??= startTestPostgresServer();
  return (await processServer).adminUrl;
}

async function startOnFreePort(dataDir: string, onLog: ((line: string) => void) | undefined) {
  for (let attempt = 1; ; attempt++) {
    const port = await findFreePort();
    try {
      return await startEmbeddedPostgres({
        dataDir,
        port,
        databaseName: TEMPLATE_DATABASE,
        fsync: false,
        onLog,
      });
    } catch (error) {
      // Another process may take the port between our probe and the server's bind: try another.
      if (!(error instanceof EmbeddedPostgresError && error.code === "EADDRINUSE") || attempt >= 5)
        throw error;
    }
  }
}

/** A port nothing listens on right now on 127.0.0.1 (someone may still take it before we do). */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function withClient<T>(connectionString: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString, application_name: "vetting-portal tests" });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

let signalCleanupInstalled = false;

/**
 * A test file run by hand and interrupted with Ctrl+C dies of the signal, and a process killed by a
 * signal skips the 'exit' hooks that stop the server and delete its files. When nobody else handles the
 * signal (node's test runner does, and exits properly), exit on it so those hooks run.
 */
function installSignalCleanup() {
  if (signalCleanupInstalled) return;
  signalCleanupInstalled = true;
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const handler = () => {
      if (process.listenerCount(signal) > 1) return;
      process.exit(128 + os.constants.signals[signal]);
    };
    process.on(signal, handler);
  }
}

/**
 * The database's structure as sorted lines, comparable between two databases: tables, columns (type,
 * nullability, default, identity, generation), indexes, constraints, enums (labels in order) and
 * sequences of the `public` schema, leaving out Prisma's `_prisma_migrations`. Read from the catalogs,
 * because Debian's pg_dump (15) refuses to dump the embedded server (18).
 *
 * Column order is left out on purpose: a column added by a later migration comes last, one created with
 * its table sits where schema.prisma puts it, and Prisma itself does not care. NOT NULL constraints
 * (catalogued since Postgres 18) are covered by the columns' nullability, and their names follow column
 * renames only in a fresh database.
 */
export async function dumpSchema(connectionString: string): Promise<string[]> {
  const publicTables = `
    SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname <> '_prisma_migrations'`;
  const queries = [
    `SELECT 'table ' || relname AS line FROM (${publicTables}) t`,
    `SELECT 'column ' || t.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
        || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
        || CASE WHEN a.attgenerated = 's' THEN ' GENERATED ALWAYS AS (' || pg_get_expr(d.adbin, d.adrelid) || ') STORED'
                WHEN d.adbin IS NOT NULL THEN ' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid) ELSE '' END
        || CASE a.attidentity WHEN 'a' THEN ' GENERATED ALWAYS AS IDENTITY'
                              WHEN 'd' THEN ' GENERATED BY DEFAULT AS IDENTITY' ELSE '' END AS line
     FROM (${publicTables}) t
     JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
     LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum`,
    `SELECT 'index ' || t.relname || '.' || i.relname || ': ' || pg_get_indexdef(i.oid) AS line
     FROM (${publicTables}) t JOIN pg_index x ON x.indrelid = t.oid JOIN pg_class i ON i.oid = x.indexrelid`,
    `SELECT 'constraint ' || t.relname || '.' || con.conname || ': ' || pg_get_constraintdef(con.oid) AS line
     FROM (${publicTables}) t JOIN pg_constraint con ON con.conrelid = t.oid WHERE con.contype <> 'n'`,
    `SELECT 'enum ' || t.typname || ': ' || string_agg(e.enumlabel, ', ' ORDER BY e.enumsortorder) AS line
     FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_enum e ON e.enumtypid = t.oid
     WHERE n.nspname = 'public' GROUP BY t.typname`,
    `SELECT 'sequence ' || s.relname || ': ' || format_type(q.seqtypid, NULL) || ' start ' || q.seqstart
        || ' increment ' || q.seqincrement || ' min ' || q.seqmin || ' max ' || q.seqmax
        || ' cache ' || q.seqcache || CASE WHEN q.seqcycle THEN ' cycle' ELSE '' END
        || coalesce(' owned by ' || owner.name, '') AS line
     FROM pg_sequence q JOIN pg_class s ON s.oid = q.seqrelid JOIN pg_namespace n ON n.oid = s.relnamespace
     LEFT JOIN LATERAL (
       SELECT tc.relname || '.' || a.attname AS name FROM pg_depend dep
       JOIN pg_class tc ON tc.oid = dep.refobjid
       JOIN pg_attribute a ON a.attrelid = dep.refobjid AND a.attnum = dep.refobjsubid
       WHERE dep.classid = 'pg_class'::regclass AND dep.objid = s.oid AND dep.deptype IN ('a', 'i')
     ) owner ON true
     WHERE n.nspname = 'public'`,
  ];
  return withClient(connectionString, async (client) => {
    const lines: string[] = [];
    for (const query of queries) {
      const { rows } = await client.query<{ line: string }>(query);
      lines.push(...rows.map((row) => row.line));
    }
    // Code-point order: the same on every machine, whatever the locale.
    return lines.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  });
}
