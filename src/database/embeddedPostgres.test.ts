import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readlinkSync, rmSync } from "node:fs";
import { chmod, mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { findFreePort } from "../test/postgres.js";
import { type EmbeddedPostgresOptions, startEmbeddedPostgres } from "./embeddedPostgres.js";

const isRoot = process.getuid?.() === 0;
const cleanups: (() => Promise<unknown>)[] = [];
const scratchDirectories: string[] = [];

after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});
// On exit rather than in after(): an interrupted run (Ctrl+C) skips after() but still exits, and by then
// the servers are down (embeddedPostgres stops them on exit).
process.on("exit", () => {
  for (const directory of scratchDirectories) rmSync(directory, { recursive: true, force: true });
});

/** A fresh directory for a cluster. As root, the server runs as `postgres`, which must be able to reach it. */
async function scratchDataDir(): Promise<string> {
  const parent = await mkdtemp(path.join(os.tmpdir(), "vetting-portal-embedded-test-"));
  await chmod(parent, 0o711); // mkdtemp makes it 0700: traversable by the postgres user, still unlisted
  scratchDirectories.push(parent);
  return path.join(parent, "data");
}

async function start(
  options: Omit<EmbeddedPostgresOptions, "databaseName" | "fsync"> & { databaseName?: string },
) {
  const server = await startEmbeddedPostgres({ databaseName: "portal", fsync: false, ...options });
  cleanups.push(() => server.stop());
  return server;
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string, values: unknown[] = []) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

function collectLogs() {
  const lines: string[] = [];
  return { lines, onLog: (line: string) => lines.push(line) };
}

/** A live process of the server's OS user: what a reused PID after a reboot may turn out to be. */
function unrelatedProcessOf(owner: { uid: number; gid: number }): ChildProcess {
  const child = spawn("sleep", ["60"], { stdio: "ignore", ...(isRoot ? owner : {}) });
  cleanups.push(async () => child.kill());
  return child;
}

test("starts a new cluster, keeps its data across restarts, and stops idempotently", async () => {
  const dataDir = await scratchDataDir();
  const port = await findFreePort();
  const firstRun = collectLogs();

  const first = await start({ dataDir, port, onLog: firstRun.onLog });

  assert.ok(firstRun.lines.some((line) => line.includes("initialising a new cluster")));
  await query(first.connectionString, "CREATE TABLE notes (body text NOT NULL)");
  await query(first.connectionString, "INSERT INTO notes VALUES ($1)", ["kept across restarts"]);
  const [settings] = await query<{ database: string; listen: string; sockets: string }>(
    first.connectionString,
    "SELECT current_database() AS database, current_setting('listen_addresses') AS listen, current_setting('unix_socket_directories') AS sockets",
  );
  assert.deepEqual(settings, { database: "portal", listen: "127.0.0.1", sockets: "" });
  assert.match(
    first.adminConnectionString,
    new RegExp(`^postgresql://postgres:[0-9a-f]{48}@127\\.0\\.0\\.1:${port}/postgres$`),
  );

  await first.stop();
  await first.stop(); // idempotent: resolves again, does nothing

  assert.equal(existsSync(path.join(dataDir, "postmaster.pid")), false, "the server is down");
  await assert.rejects(query(first.adminConnectionString, "SELECT 1"), { code: "ECONNREFUSED" });

  const secondRun = collectLogs();
  const second = await start({ dataDir, port, onLog: secondRun.onLog });

  assert.equal(
    secondRun.lines.some((line) => line.includes("initialising")),
    false,
    "the cluster is reused",
  );
  assert.equal(second.connectionString, first.connectionString, "same password, same URL");
  assert.deepEqual(await query(second.connectionString, "SELECT body FROM notes"), [
    { body: "kept across restarts" },
  ]);
  await Promise.all([second.stop(), second.stop()]);
});

test("the data directory is private to the server and the password is required", async () => {
  const dataDir = await scratchDataDir();
  const server = await start({ dataDir, port: await findFreePort() });
  assert.equal(server.dataDir, dataDir);

  const directory = await stat(dataDir);
  const passwordFile = await stat(path.join(dataDir, "embedded-superuser-password"));
  assert.equal(directory.mode & 0o777, 0o700);
  assert.equal(passwordFile.mode & 0o777, 0o600);
  if (isRoot) {
    assert.notEqual(directory.uid, 0, "owned by the postgres user, not root");
    assert.equal(passwordFile.uid, directory.uid);
  }
  const wrongPassword = new URL(server.adminConnectionString);
  wrongPassword.password = "not-the-password";
  await assert.rejects(query(wrongPassword.toString(), "SELECT 1"), { code: "28P01" });
  assert.equal(
    (await readFile(path.join(dataDir, "embedded-superuser-password"), "utf8")).trim(),
    new URL(server.adminConnectionString).password,
  );
  await server.stop();
});

test("a postmaster.pid left by a crash does not prevent the next start, even when its PID was reused", async () => {
  const dataDir = await scratchDataDir();
  const port = await findFreePort();
  const server = await start({ dataDir, port });
  await query(server.connectionString, "CREATE TABLE survivor (id integer)");
  const lockFile = await readFile(path.join(dataDir, "postmaster.pid"), "utf8");
  await server.stop();
  // What a crash leaves behind: the lock file, naming a PID that now belongs to another process of the
  // same user. Postgres alone would refuse to start ("lock file already exists").
  const impostor = unrelatedProcessOf(await stat(dataDir));
  const [, ...rest] = lockFile.split("\n");
  await writeFile(path.join(dataDir, "postmaster.pid"), [String(impostor.pid), ...rest].join("\n"));
  const logs = collectLogs();

  const restarted = await start({ dataDir, port, onLog: logs.onLog });

  assert.ok(logs.lines.some((line) => line.includes("removing stale postmaster.pid")));
  assert.deepEqual(await query(restarted.connectionString, "SELECT to_regclass('survivor')::text AS t"), [
    { t: "survivor" },
  ]);
  await restarted.stop();
});

test("stop() resolves when the server has already died", async () => {
  const dataDir = await scratchDataDir();
  const server = await start({ dataDir, port: await findFreePort() });
  const postmasterPid = Number((await readFile(path.join(dataDir, "postmaster.pid"), "utf8")).split("\n")[0]);

  process.kill(postmasterPid, "SIGKILL");
  await server.stop();

  assert.equal(existsSync(`/proc/${postmasterPid}`), false);
});

test("a second server on a data directory in use is refused, naming the PID", async () => {
  const dataDir = await scratchDataDir();
  const running = await start({ dataDir, port: await findFreePort() });
  const postmasterPid = (await readFile(path.join(dataDir, "postmaster.pid"), "utf8")).split("\n")[0];

  await assert.rejects(start({ dataDir, port: await findFreePort() }), (error: Error) => {
    assert.match(error.message, new RegExp(`already running in .* \\(PID ${postmasterPid}, port`));
    return true;
  });

  assert.deepEqual(await query(running.connectionString, "SELECT 1 AS still_up"), [{ still_up: 1 }]);
  await running.stop();
});

test("a server orphaned by a process that was killed is stopped and the cluster started again", async (t) => {
  const dataDir = await scratchDataDir();
  const port = await findFreePort();
  // A separate Node process starts the server, then dies without a chance to stop it (kill -9).
  const script = path.join(path.dirname(dataDir), "start.mts"); // .mts: no package.json out there to say "module"
  const modulePath = fileURLToPath(new URL("./embeddedPostgres.ts", import.meta.url));
  await writeFile(
    script,
    `import { startEmbeddedPostgres } from ${JSON.stringify(modulePath)};
     const server = await startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)}, port: ${port}, databaseName: "portal", fsync: false });
     process.stdout.write(server.connectionString + "\\n");
     setInterval(() => {}, 1000);`,
  );
  const starter = spawn(process.execPath, ["--import", "tsx", script], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  cleanups.push(async () => starter.kill("SIGKILL"));
  const connectionString = await new Promise<string>((resolve, reject) => {
    starter.stdout?.on("data", (chunk: Buffer) => resolve(chunk.toString().trim()));
    starter.once("exit", (code) => reject(new Error(`the starter exited early (${code})`)));
  });
  await query(connectionString, "CREATE TABLE from_the_dead (id integer)");
  const orphanPid = Number((await readFile(path.join(dataDir, "postmaster.pid"), "utf8")).split("\n")[0]);
  starter.kill("SIGKILL");
  await new Promise((resolve) => starter.once("exit", resolve));
  const orphanParent = Number(
    (await readFile(`/proc/${orphanPid}/stat`, "utf8")).split(") ")[1]?.split(" ")[1] ?? Number.NaN,
  );
  if (orphanParent !== 1) {
    // A subreaper (systemd --user, some container inits) adopted it: we cannot tell it is orphaned.
    process.kill(orphanPid, "SIGINT");
    t.skip(`orphans are adopted by PID ${orphanParent} here, not by init`);
    return;
  }
  const logs = collectLogs();

  const restarted = await start({ dataDir, port, onLog: logs.onLog });

  assert.ok(logs.lines.some((line) => line.includes(`stopping an orphaned server (PID ${orphanPid})`)));
  assert.equal(readlinkSafe(`/proc/${orphanPid}/cwd`), null, "the orphan is gone");
  assert.deepEqual(
    await query(restarted.connectionString, "SELECT to_regclass('from_the_dead')::text AS t"),
    [{ t: "from_the_dead" }],
  );
  await restarted.stop();
});

test("as root, a data directory the postgres user cannot reach is kept in a system folder and found again", {
  skip: !isRoot,
}, async () => {
  const privateParent = await mkdtemp(path.join(os.tmpdir(), "vetting-portal-embedded-test-private-"));
  scratchDirectories.push(privateParent); // 0700: the postgres user cannot enter it
  const requested = path.join(privateParent, "data");
  const relocated = path.join(
    "/var/lib/vetting-portal",
    `embedded-${createHash("sha256").update(requested).digest("hex").slice(0, 16)}`,
  );
  scratchDirectories.push(relocated);
  const port = await findFreePort();
  const lines: string[] = [];

  const first = await start({ dataDir: requested, port, onLog: (line) => lines.push(line) });
  assert.equal(first.dataDir, relocated, "the handle names where the cluster went");
  await query(first.connectionString, "CREATE TABLE kept (id int)");
  await first.stop();
  assert.ok(
    lines.some((line) => line.includes(`cannot reach ${requested}: keeping the data in ${relocated}`)),
    "the log says where the data went",
  );
  assert.equal(existsSync(path.join(requested, "PG_VERSION")), false);
  assert.equal(existsSync(path.join(relocated, "PG_VERSION")), true);

  const second = await start({ dataDir: requested, port });
  assert.deepEqual(await query(second.connectionString, "SELECT to_regclass('kept')::text AS t"), [
    { t: "kept" },
  ]);
  await second.stop();
});

function readlinkSafe(link: string): string | null {
  try {
    return readlinkSync(link);
  } catch {
    return null;
  }
}
