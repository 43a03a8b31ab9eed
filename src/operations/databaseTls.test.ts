// TLS to a remote PostgreSQL, for real: Debian's server with ssl on and a certificate signed by a CA this
// test makes with openssl, taking TCP connections only over TLS (pg_hba.conf has only `hostssl`). With
// `?sslmode=verify-full&sslrootcert=<the CA>` in DATABASE_URL, everything that connects works: the
// migrations, a production web process (a page that reads the database, /readyz), a worker process (a
// job run), scripts/backup and scripts/restore. With a CA that did not sign the server's certificate,
// or a host name the certificate does not name, each of them stops promptly with one clear sentence
// (and never the password), and a running app's /readyz says the database is unavailable.
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { projectRoot } from "../config.js";
import { startTestApp } from "../test/app.js";
import { type CertificateAuthority, createCertificateAuthority } from "../test/certificateAuthority.js";
import { type DebianPostgres, startDebianPostgres } from "../test/debianPostgres.js";
import { productionEnvironment } from "../test/httpsApp.js";
import { type PortalProcess, setupTokenOf, startPortal } from "../test/portalProcess.js";
import { freePort } from "../test/ports.js";
import { runCommand, runScript, type ScriptOutcome } from "../test/scripts.js";
import { type FaultyListener, startRefusingPort } from "../test/smtp.js";
import { waitFor } from "../test/waitFor.js";

const BACKUP_SCRIPT = path.join(projectRoot, "scripts", "backup");
const RESTORE_SCRIPT = path.join(projectRoot, "scripts", "restore");
/** Far longer than any refusal should take: a process still running after this is a hang. */
const HANG_MS = 30_000;

let serverCa: CertificateAuthority;
let otherCa: CertificateAuthority;
let server: DebianPostgres;
let relay: FaultyListener;
let workDir: string;
/** verify-full against the CA that signed the server's certificate. */
let goodUrl: string;
/** The same, trusting only a CA that did not. */
let wrongCaUrl: string;
/** The right CA, but 127.0.0.2: a host name the server's certificate (localhost, 127.0.0.1) does not name. */
let otherHostUrl: string;
const portals: PortalProcess[] = [];

function withTls(url: string, caFile: string): string {
  return `${url}&sslmode=verify-full&sslrootcert=${encodeURIComponent(caFile)}`;
}

/** The portal role's URL of another database of the cluster, TLS parameters kept. */
function databaseUrlFor(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

before(async () => {
  serverCa = await createCertificateAuthority("Vetting Portal test database CA");
  otherCa = await createCertificateAuthority("Somebody else's CA");
  // Fails with the reason (not installed, not startable) rather than skipping: this is the proof.
  server = await startDebianPostgres({
    tls: await serverCa.issue({ commonName: "localhost", subjectAltName: "DNS:localhost,IP:127.0.0.1" }),
    listenAddresses: ["127.0.0.1", "127.0.0.2"],
  });
  goodUrl = withTls(server.url, serverCa.certFile);
  wrongCaUrl = withTls(server.url, otherCa.certFile);
  otherHostUrl = goodUrl.replace("@127.0.0.1:", "@127.0.0.2:");
  relay = await startRefusingPort();
  workDir = await mkdtemp(path.join(tmpdir(), "vp-db-tls-"));
});

after(async () => {
  await Promise.all(portals.map((portal) => portal.stop()));
  await server?.stop();
  await relay?.close();
  await serverCa?.remove();
  await otherCa?.remove();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

const passwordOf = (url: string) => decodeURIComponent(new URL(url).password);

async function asSuperuser<T>(use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(server.admin);
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** What a production host's units are given (config.ts insists on it), for a database URL. */
async function productionEnv(databaseUrl: string, name: string): Promise<Record<string, string>> {
  const port = await freePort();
  return {
    ...productionEnvironment("https://vetting.example.org"),
    DATABASE_URL: databaseUrl,
    PORT: String(port),
    SMTP_HOST: "127.0.0.1",
    SMTP_PORTS: String(relay.port),
    UPLOADS_DIR: path.join(workDir, `${name}-uploads`),
    LOG_LEVEL: "info",
  };
}

function migrate(env: Record<string, string>): Promise<ScriptOutcome> {
  return within(
    "npm run db:migrate",
    runScript("scripts/db.ts", {
      args: ["migrate"],
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", ...env },
    }),
  );
}

function runBash(script: string, args: string[], env: Record<string, string>): Promise<ScriptOutcome> {
  return within(
    path.basename(script),
    runCommand("bash", [script, ...args], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C.UTF-8", ...env },
    }),
  );
}

async function within<T>(what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} still running after ${HANG_MS} ms`)), HANG_MS);
  });
  try {
    return await Promise.race([work, hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** The TLS state of the server's sessions per application_name (the superuser's socket session aside). */
async function tlsByApplication(): Promise<Record<string, boolean[]>> {
  const { rows } = await asSuperuser((client) =>
    client.query<{ application: string; ssl: boolean }>(
      `SELECT a.application_name AS application, s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
        WHERE a.datname = 'vetting_portal' AND a.backend_type = 'client backend'`,
    ),
  );
  const byApplication: Record<string, boolean[]> = {};
  for (const row of rows) {
    byApplication[row.application] = [...(byApplication[row.application] ?? []), row.ssl];
  }
  return byApplication;
}

describe("scripts/databaseUrl.sh", () => {
  test("hands libpq sslmode, sslrootcert, sslcert and sslkey as they are, and only drops what libpq does not know", async () => {
    const url =
      "postgresql://portal:p%40ss@db.example.org:5432/portal?schema=public&sslmode=verify-full&sslrootcert=/etc/vetting-portal/db-ca.pem&sslcert=/etc/vetting-portal/client.crt&sslkey=/etc/vetting-portal/client.key&connection_limit=5";
    const outcome = await runCommand("bash", [
      "-c",
      'set -euo pipefail; die() { echo "died: $*" >&2; exit 1; }; source scripts/databaseUrl.sh; use_database_url "$1"; printf "%s\\n%s\\n" "$database_url" "$PGPASSWORD"',
      "databaseUrl",
      url,
    ]);
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.equal(
      outcome.stdout,
      "postgresql://portal@db.example.org:5432/portal?sslmode=verify-full&sslrootcert=/etc/vetting-portal/db-ca.pem&sslcert=/etc/vetting-portal/client.crt&sslkey=/etc/vetting-portal/client.key\np@ss\n",
    );
  });
});

describe("sslmode=verify-full with the server's CA", () => {
  test("a connection without TLS is refused by the server: whatever works below, works over TLS", async () => {
    const plain = new pg.Client({ connectionString: server.url });
    await assert.rejects(plain.connect(), { code: "28000", message: /no encryption/ });
  });

  test("migrations, the web process, the worker, backup and restore all work", {
    timeout: 300_000,
  }, async () => {
    // Migrations and grants, as the production host's migrate unit runs them (the schema owner's URL).
    const migrated = await migrate({
      ...(await productionEnv(goodUrl, "migrate")),
      DATABASE_OWNER_URL: goodUrl,
      DATABASE_APP_ROLE: "vetting_portal",
    });
    assert.equal(migrated.code, 0, migrated.output);
    assert.match(migrated.stdout, /^Applied \d+ migration\(s\):/);
    assert.match(migrated.stdout, /^Granted row access \(no schema changes\) to the role vetting_portal\.$/m);

    // A production web process: a page that reads the database, and /readyz.
    const webEnv = await productionEnv(goodUrl, "portal");
    const web = startPortal(webEnv, [process.execPath, "--import", "tsx", "src/main.ts", "--web"]);
    portals.push(web);
    const { token } = await setupTokenOf(web);
    await web.waitForOutput(/web server listening/);
    const baseUrl = `http://127.0.0.1:${webEnv.PORT}`;
    const setupPage = await fetch(`${baseUrl}/setup/${token}`);
    assert.equal(setupPage.status, 200, "the setup link's token was read from the database");
    const ready = await fetch(`${baseUrl}/readyz`);
    const readiness = (await ready.json()) as { checks: Record<string, string> };
    assert.equal(ready.status, 200, JSON.stringify(readiness));
    assert.equal(readiness.checks.database, "ok");
    assert.equal(readiness.checks.migrations, "ok");

    // A worker process runs a job: the expired counter goes.
    const worker = startPortal(webEnv, [process.execPath, "--import", "tsx", "src/main.ts", "--worker"]);
    portals.push(worker);
    await worker.waitForOutput(/"msg":"Worker connected/);
    const admin = new pg.Client({ ...server.admin, database: "vetting_portal" });
    await admin.connect();
    try {
      await admin.query("INSERT INTO rate_limits (key, points, expire) VALUES ('tls-test:expired', 1, 1)");
      await admin.query("SELECT graphile_worker.add_job('purge_expired_rate_limits')");
      await waitFor("the worker's purge of the expired counter", async () => {
        const { rowCount } = await admin.query("SELECT 1 FROM rate_limits WHERE key = 'tls-test:expired'");
        return rowCount === 0 ? true : undefined;
      });
    } finally {
      await admin.end();
    }

    // Every pool of both processes holds its sessions over TLS.
    const sessions = await tlsByApplication();
    for (const application of ["vetting-portal", "vetting-portal-limits", "vetting-portal-worker"]) {
      assert.ok(sessions[application]?.length, `${application} has sessions: ${JSON.stringify(sessions)}`);
      assert.ok(
        sessions[application]?.every(Boolean),
        `${application} over TLS: ${JSON.stringify(sessions)}`,
      );
    }
    assert.equal(web.child.exitCode, null, web.output().slice(-2000));
    assert.equal(worker.child.exitCode, null, worker.output().slice(-2000));
    assert.ok(!`${web.output()}${worker.output()}`.includes(passwordOf(goodUrl)), "no password in the logs");

    // scripts/backup, then scripts/restore into a new, empty database.
    const backupDir = path.join(workDir, "backups");
    const backup = await runBash(BACKUP_SCRIPT, [], {
      DATABASE_URL: goodUrl,
      UPLOADS_DIR: webEnv.UPLOADS_DIR ?? "",
      BACKUP_DIR: backupDir,
    });
    assert.equal(backup.code, 0, backup.output);
    assert.ok(!backup.output.includes(passwordOf(goodUrl)), "no password in the backup's output");
    const [stamp] = (await readdir(backupDir)).filter((name) => /^\d{8}T\d{6}Z$/.test(name));
    assert.ok(stamp, `a backup folder in ${backupDir}`);
    await asSuperuser((client) => client.query("CREATE DATABASE restored_over_tls OWNER vetting_portal"));
    const restore = await runBash(RESTORE_SCRIPT, [path.join(backupDir, stamp)], {
      DATABASE_URL: databaseUrlFor(goodUrl, "restored_over_tls"),
      UPLOADS_DIR: path.join(workDir, "restored-uploads"),
    });
    assert.equal(restore.code, 0, restore.output);
    const countMigrations = async (database: string) => {
      const client = new pg.Client({ ...server.admin, database });
      await client.connect();
      try {
        const { rows } = await client.query<{ count: number }>(
          "SELECT count(*)::int AS count FROM _prisma_migrations WHERE finished_at IS NOT NULL",
        );
        return rows[0]?.count;
      } finally {
        await client.end();
      }
    };
    assert.equal(await countMigrations("restored_over_tls"), await countMigrations("vetting_portal"));
  });
});

describe("a certificate that is not accepted", () => {
  const clearRefusal = (reason: RegExp, setting = "DATABASE_URL") =>
    new RegExp(
      `the database server's TLS certificate was not accepted: ${reason.source} \\(check sslrootcert and the host name in ${setting}\\)`,
    );
  const WRONG_CA = /unable to verify the first certificate/;
  const OTHER_HOST =
    /Hostname\/IP does not match certificate's altnames: IP: 127\.0\.0\.2 is not in the cert's list: 127\.0\.0\.1/;

  test("npm run db:migrate: one line on stderr naming the setting, exit 1", async () => {
    const wrongCa = await migrate(await productionEnv(wrongCaUrl, "migrate-wrong-ca"));
    assert.equal(wrongCa.code, 1, wrongCa.output);
    assert.match(wrongCa.stderr, new RegExp(`^db: ${clearRefusal(WRONG_CA).source}\\n$`));

    const ownerOtherHost = await migrate({
      ...(await productionEnv(goodUrl, "migrate-owner")),
      DATABASE_OWNER_URL: otherHostUrl,
    });
    assert.equal(ownerOtherHost.code, 1, ownerOtherHost.output);
    assert.match(ownerOtherHost.stderr, clearRefusal(OTHER_HOST, "DATABASE_OWNER_URL"));
    for (const outcome of [wrongCa, ownerOtherHost]) {
      assert.ok(!outcome.output.includes(passwordOf(goodUrl)), "no password");
    }
  });

  test("the web process and the worker stop at start: the reason in the log and on stderr, exit 1", async () => {
    for (const [role, url, reason] of [
      ["--web", wrongCaUrl, WRONG_CA],
      ["--worker", otherHostUrl, OTHER_HOST],
    ] as const) {
      const portal = startPortal(await productionEnv(url, `refused${role}`), [
        process.execPath,
        "--import",
        "tsx",
        "src/main.ts",
        role,
      ]);
      portals.push(portal);
      const code = await within(`the ${role} process`, portal.exited);
      assert.equal(code, 1, portal.output());
      const fatal = portal
        .output()
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as { level: number; msg: string })
        .find((entry) => entry.level === 60);
      assert.match(fatal?.msg ?? "", clearRefusal(reason), portal.output());
      assert.match(portal.output(), new RegExp(`^fatal: ${clearRefusal(reason).source}$`, "m"));
      assert.ok(!portal.output().includes(passwordOf(url)), "no password");
    }
  });

  test("a running app: /readyz says the database is unavailable, a page that needs it answers 503", async () => {
    const testApp = await startTestApp({
      databaseUrl: wrongCaUrl,
      env: { SMTP_PORTS: String(relay.port), DATABASE_CONNECTION_TIMEOUT_MS: "2000" },
    });
    try {
      const ready = await within("/readyz", fetch(`${testApp.baseUrl}/readyz`));
      assert.equal(ready.status, 503);
      const body = (await ready.json()) as { failing: string[]; checks: Record<string, string> };
      assert.deepEqual(body.failing, ["database", "migrations"]);
      assert.equal(body.checks.database, "unreachable");
      const page = await within("a page", fetch(`${testApp.baseUrl}/setup/${"x".repeat(43)}`));
      assert.equal(page.status, 503);
      assert.match(page.headers.get("retry-after") ?? "", /^\d+$/);
      const logged = testApp.logLines().find((line) => line.msg === "database unavailable: answered 503");
      assert.match(JSON.stringify(logged), /unable to verify the first certificate/);
      assert.ok(!testApp.logText().includes(passwordOf(wrongCaUrl)), "no password in the log");
    } finally {
      await testApp.close();
    }
  });

  test("scripts/backup and scripts/restore stop before doing anything, with the reason", async () => {
    const backupDir = path.join(workDir, "refused-backups");
    const backup = await runBash(BACKUP_SCRIPT, [], {
      DATABASE_URL: wrongCaUrl,
      UPLOADS_DIR: path.join(workDir, "refused-uploads"),
      BACKUP_DIR: backupDir,
    });
    assert.equal(backup.code, 1, backup.output);
    assert.match(
      backup.stderr,
      /^backup failed: the database server's TLS certificate was not accepted: SSL error: certificate verify failed \(check sslrootcert and the host name in DATABASE_URL\)$/m,
    );
    await assert.rejects(readdir(backupDir), { code: "ENOENT" }, "nothing was written");

    // The target is checked before the backup folder is even read.
    const anyFolder = await mkdtemp(path.join(workDir, "not-read-"));
    await asSuperuser((client) => client.query("CREATE DATABASE refused_restore OWNER vetting_portal"));
    const restore = await runBash(RESTORE_SCRIPT, [anyFolder], {
      DATABASE_URL: databaseUrlFor(otherHostUrl, "refused_restore"),
      UPLOADS_DIR: path.join(workDir, "refused-restore-uploads"),
    });
    assert.equal(restore.code, 1, restore.output);
    assert.match(
      restore.stderr,
      /^restore refused: the database server's TLS certificate was not accepted: server certificate for "localhost" \(and 1 other name\) does not match host name "127\.0\.0\.2" \(check sslrootcert and the host name in DATABASE_URL\)$/m,
    );
    for (const outcome of [backup, restore]) {
      assert.ok(!outcome.output.includes(passwordOf(goodUrl)), "no password");
    }
  });
});
