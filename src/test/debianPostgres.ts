// Debian's PostgreSQL server, for tests that need the programs a production host has (pg_dump and
// pg_restore of scripts/backup and scripts/restore must be at least the server's major version, and
// Debian 12 ships 15, while the embedded server is 18).
import { execFile, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { appendFile, chown, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { freePort } from "./ports.js";

const execFileAsync = promisify(execFile);

const DEBIAN_POSTGRES_ROOT = "/usr/lib/postgresql";

/** /usr/lib/postgresql/<newest major>/bin when its initdb is installed (package postgresql), else undefined. */
export function debianPostgresBinDir(): string | undefined {
  if (!existsSync(DEBIAN_POSTGRES_ROOT)) return undefined;
  const majors = readdirSync(DEBIAN_POSTGRES_ROOT)
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  for (const major of majors) {
    const bin = path.join(DEBIAN_POSTGRES_ROOT, major, "bin");
    if (existsSync(path.join(bin, "initdb")) && existsSync(path.join(bin, "pg_ctl"))) return bin;
  }
  return undefined;
}

export interface DebianPostgres {
  /** postgresql:// URL of the portal's database, as its password-authenticated owner (not a superuser). */
  url: string;
  /** The superuser `postgres` on the `postgres` database, through the cluster's socket (trust). */
  admin: pg.ClientConfig;
  /** The server's bin folder (initdb, pg_ctl, postgres; psql and pg_dump are on PATH). */
  binDir: string;
  port: number;
  /** Stops the server and deletes its files. Safe to call more than once. */
  stop(): Promise<void>;
}

export interface DebianPostgresOptions {
  /**
   * TLS on, with this server certificate and key: TCP connections must then use TLS (pg_hba.conf has
   * only `hostssl` lines), so a client that does not ask for it is refused.
   */
  tls?: { cert: string; key: string };
  /** The addresses it listens on (default 127.0.0.1 only); all of 127.0.0.0/8 is local on Linux. */
  listenAddresses?: string[];
}

/**
 * A throwaway cluster of Debian's server on a free port of 127.0.0.1, run as the OS user `postgres`
 * (initdb refuses root), with a database owned by a role that signs in with a password, as a production
 * host's portal role does. Not migrated: the caller runs the project's own migrations.
 */
export async function startDebianPostgres(options: DebianPostgresOptions = {}): Promise<DebianPostgres> {
  const binDir = debianPostgresBinDir();
  if (!binDir) throw new Error("Debian's PostgreSQL server is not installed (apt-get install postgresql)");
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "vp-debian-postgres-"));
  const pgCtlStop = [
    "-u",
    "postgres",
    "--",
    path.join(binDir, "pg_ctl"),
    "-D",
    dataDir,
    "-m",
    "immediate",
    "-w",
    "stop",
  ];
  let isRunning = false;
  // A test process that ends without stop() (a failure in before(), an uncaught error) must not leave
  // the server running: stop it synchronously on the way out.
  const stopOnExit = () => {
    if (isRunning) spawnSync("runuser", pgCtlStop, { cwd: "/", stdio: "ignore" });
    rmSync(dataDir, { recursive: true, force: true });
  };
  process.on("exit", stopOnExit);
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      try {
        if (isRunning) await execFileAsync("runuser", pgCtlStop, { cwd: "/" });
        isRunning = false;
      } finally {
        await rm(dataDir, { recursive: true, force: true });
        process.off("exit", stopOnExit);
      }
    })();
    return stopping;
  };

  try {
    const { uid, gid } = postgresUser();
    await chown(dataDir, uid, gid);
    // The superuser only over the socket, in the cluster's own folder (0700, postgres; root gets in);
    // every role over TCP with scram-sha-256, as the portal connects in production.
    await asPostgres(path.join(binDir, "initdb"), [
      "-D",
      dataDir,
      "-U",
      "postgres",
      "--auth-local=trust",
      "--auth-host=scram-sha-256",
      "--no-sync",
    ]);
    const listenAddresses = options.listenAddresses ?? ["127.0.0.1"];
    if (options.tls) await enableTls(dataDir, options.tls, listenAddresses, { uid, gid });
    const port = await freePort();
    await asPostgres(path.join(binDir, "pg_ctl"), [
      "-D",
      dataDir,
      "-l",
      path.join(dataDir, "server.log"),
      "-o",
      `-p ${port} -k ${dataDir} -c listen_addresses=${listenAddresses.join(",")} -c fsync=off -c full_page_writes=off`,
      "-w",
      "start",
    ]);
    isRunning = true;

    const password = randomBytes(18).toString("base64url");
    const admin: pg.ClientConfig = { host: dataDir, port, user: "postgres", database: "postgres" };
    const client = new pg.Client(admin);
    await client.connect();
    try {
      await client.query(`CREATE ROLE vetting_portal LOGIN PASSWORD '${password}'`);
      await client.query("CREATE DATABASE vetting_portal OWNER vetting_portal");
    } finally {
      await client.end();
    }
    // The ?schema= a Prisma-style URL carries, which libpq (psql, pg_dump) refuses: the scripts cope.
    const url = `postgresql://vetting_portal:${password}@127.0.0.1:${port}/vetting_portal?schema=public`;
    return { url, admin, binDir, port, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * ssl=on with the given certificate, and a pg_hba.conf that accepts TCP connections only over TLS
 * (`hostssl`, password) while the superuser keeps its socket. The key must belong to the server's user
 * and be readable by nobody else, or the server refuses to start.
 */
async function enableTls(
  dataDir: string,
  tls: { cert: string; key: string },
  listenAddresses: string[],
  owner: { uid: number; gid: number },
): Promise<void> {
  const certFile = path.join(dataDir, "server.crt");
  const keyFile = path.join(dataDir, "server.key");
  await writeFile(certFile, tls.cert, { mode: 0o644 });
  await writeFile(keyFile, tls.key, { mode: 0o600 });
  await chown(certFile, owner.uid, owner.gid);
  await chown(keyFile, owner.uid, owner.gid);
  await appendFile(
    path.join(dataDir, "postgresql.conf"),
    `\nssl = on\nssl_cert_file = '${certFile}'\nssl_key_file = '${keyFile}'\n`,
  );
  await writeFile(
    path.join(dataDir, "pg_hba.conf"),
    [
      "local all all trust",
      ...listenAddresses.map((address) => `hostssl all all ${address}/32 scram-sha-256`),
      "",
    ].join("\n"),
  );
}

function postgresUser(): { uid: number; gid: number } {
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((entry) => entry.startsWith("postgres:"));
  const [, , uid, gid] = line?.split(":") ?? [];
  if (uid === undefined || gid === undefined)
    throw new Error("there is no OS user postgres (apt-get install postgresql)");
  return { uid: Number(uid), gid: Number(gid) };
}

/** Runs a server program as the OS user postgres, failing with its output when it fails. */
async function asPostgres(program: string, args: string[]): Promise<void> {
  try {
    await execFileAsync("runuser", ["-u", "postgres", "--", program, ...args], { cwd: "/" });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${path.basename(program)} failed: ${stderr || stdout || String(error)}`);
  }
}
