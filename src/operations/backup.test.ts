// scripts/backup and scripts/restore for real: a portal database on Debian's PostgreSQL 15 server (the
// pg_dump a production host has refuses the embedded 18), seeded through the portal's own commands, its
// evidence files on disk. The scripts run as child processes (bash), as the systemd unit runs them.
//
//   round trip     back up, DESTROY the database and the uploads, restore: every row of every table and
//                  every file (path, mode, SHA-256) comes back; the manifest checks with sha256sum -c;
//                  a tampered backup, a database or uploads folder that is not empty: refused
//   encrypted      for a recipient in a keyring or in a key file: nothing readable on disk, restores
//   at rest        evidence encrypted at rest (EVIDENCE_ENCRYPTION_KEY): the backup holds ciphertext and
//                  wrapped keys only, never the key (even with it in the backup's environment); what is
//                  restored opens with the key and with nothing else
//   consistency    a backup waits for an upload between placing its file and committing its row, and
//                  holds both; uploads and deletions during a backup leave no row without its file
//   retention      by the folder's stamp, only expired stamped folders, only after a successful backup
//   off-site       a restic repository (Debian's restic, a local path): the snapshot is there, encrypted;
//                  with the local backups deleted, restore --from-restic brings back every row and
//                  file; a wrong password or a missing repository fails clearly, restoring nothing and
//                  keeping the local backup; retention forgets older snapshots of ours only
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import pg from "pg";
import type { AuditActor } from "../audit.js";
import { addEvidenceFiles } from "../commands/evidence/addEvidenceFiles.js";
import { deleteEvidenceFile } from "../commands/evidence/deleteEvidenceFile.js";
import { type Config, loadConfig, projectRoot } from "../config.js";
import { grantRowPrivileges } from "../database/grants.js";
import { migrateDatabase } from "../database/migrate.js";
import { createDatabase, type Database } from "../db.js";
import type { EVIDENCE_MEDIA_TYPES } from "../domain/evidenceTypes.js";
import { createLogger } from "../logger.js";
import { BACKUP_LAST_SUCCESS_FILE, createAppMetrics } from "../metrics.js";
import type { ReceivedEvidenceFile } from "../routes/evidence/receiveEvidenceUpload.js";
import { EVIDENCE_PLACEMENT_LOCK_KEY } from "../storage/backupLock.js";
import { EvidenceDecryptionError, keyringOf } from "../storage/evidenceEncryption.js";
import { type EvidenceStore, evidenceStore } from "../storage/evidenceStore.js";
import { type DebianPostgres, startDebianPostgres } from "../test/debianPostgres.js";
import { createEvidenceCase, pdfDocument, pngImage } from "../test/evidenceFixtures.js";
import { beginUploadInFlight, waitForAdvisoryLockWaiter } from "../test/placementLock.js";
import { createStaffMember } from "../test/staff.js";

const execFileAsync = promisify(execFile);
const BACKUP_SCRIPT = path.join(projectRoot, "scripts", "backup");
const RESTORE_SCRIPT = path.join(projectRoot, "scripts", "restore");
const STAMP = /^\d{8}T\d{6}Z$/;
const silentLogger = createLogger({ level: "silent", pretty: false });
const applicant: AuditActor = { label: "applicant", requestId: "backup-test" };

let server: DebianPostgres;
let workDir: string;
const children = new Set<ChildProcess>();
const portals: Portal[] = [];

before(async () => {
  server = await startDebianPostgres();
  workDir = await mkdtemp(path.join(tmpdir(), "vp-backup-"));
});
after(async () => {
  for (const child of children) child.kill("SIGKILL");
  for (const portal of portals) await portal.db.$disconnect();
  await server?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

// ---- a portal: a migrated database of the cluster, its own uploads folder --------------------------

interface Portal {
  name: string;
  url: string;
  uploadsDir: string;
  config: Config;
  db: Database;
  store: EvidenceStore;
}

async function asSuperuser<T>(use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(server.admin);
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** The cluster's URL (password, ?schema=public and all) for another database of the portal's role. */
function databaseUrl(name: string): string {
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  return url.toString();
}

async function createEmptyDatabase(name: string): Promise<string> {
  await asSuperuser((client) => client.query(`CREATE DATABASE ${name} OWNER vetting_portal`));
  return databaseUrl(name);
}

async function createPortal(name: string, env: Record<string, string> = {}): Promise<Portal> {
  const url = await createEmptyDatabase(name);
  await migrateDatabase(url, silentLogger);
  const uploadsDir = path.join(workDir, `${name}-uploads`);
  const config = loadConfig({
    NODE_ENV: "test",
    DATABASE_URL: url,
    PUBLIC_URL: "http://127.0.0.1:3000",
    UPLOADS_DIR: uploadsDir,
    ...env,
  });
  const store = evidenceStore(uploadsDir, config.evidence.encryption);
  await store.ensureLayout();
  const portal = { name, url, uploadsDir, config, db: createDatabase(url, config.database), store };
  portals.push(portal);
  return portal;
}

/** A file as the upload receiver leaves it: a temporary file on the uploads volume. */
async function received(
  portal: Portal,
  bytes: Buffer,
  displayName: string,
  mediaType: (typeof EVIDENCE_MEDIA_TYPES)[number],
): Promise<ReceivedEvidenceFile> {
  const tempPath = path.join(portal.store.incomingRoot, `received-${randomUUID()}`);
  await writeFile(tempPath, bytes);
  return {
    tempPath,
    storageKey: randomUUID(),
    displayName,
    mediaType,
    sizeBytes: bytes.length,
    sha256: createHash("sha256").update(bytes).digest("hex"),
  };
}

async function uploadEvidence(portal: Portal, caseId: string, files: ReceivedEvidenceFile[]) {
  return addEvidenceFiles(
    { db: portal.db, store: portal.store, logger: silentLogger },
    {
      caseId,
      uploader: { kind: "APPLICANT" },
      files,
      note: "From the applicant",
      limits: portal.config.evidence,
      audit: applicant,
    },
  );
}

async function deleteEvidence(portal: Portal, caseId: string, fileId: string) {
  await deleteEvidenceFile(
    { db: portal.db, store: portal.store, logger: silentLogger },
    { caseId, fileId, deleter: { kind: "APPLICANT" }, audit: applicant },
  );
}

/** Three cases with two files each (one deleted again, so one file is gone with its row), a staff member. */
async function seedPortal(portal: Portal): Promise<void> {
  await createStaffMember(portal.db, portal.config, { role: "SERVER_ADMIN", name: "Mara Admin" });
  for (let index = 0; index < 3; index++) {
    const caseId = await createEvidenceCase(portal.db);
    const added = await uploadEvidence(portal, caseId, [
      await received(
        portal,
        pdfDocument(`Evidence ${portal.name} ${index}`),
        `letter-${index}.pdf`,
        "application/pdf",
      ),
      await received(portal, pngImage(index + 1, 2), `photo-${index}.png`, "image/png"),
    ]);
    if (index === 1) await deleteEvidence(portal, caseId, added[0]?.id ?? "");
  }
}

// ---- what a portal holds -----------------------------------------------------------------------------

interface StoredFile {
  path: string;
  mode: string;
  sha256?: string;
}

interface PortalState {
  /** "schema.table" → every row as JSON text, sorted. */
  tables: Record<string, string[]>;
  /** Every folder and file below uploads/evidence. */
  files: StoredFile[];
}

async function withPortalClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

async function captureState(url: string, uploadsDir: string): Promise<PortalState> {
  const tables = await withPortalClient(url, async (client) => {
    const { rows } = await client.query<{ name: string }>(
      `SELECT format('%I.%I', table_schema, table_name) AS name FROM information_schema.tables
       WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')
       ORDER BY 1`,
    );
    const contents: Record<string, string[]> = {};
    for (const { name } of rows) {
      const result = await client.query<{ row: string }>(`SELECT row_to_json(t)::text AS row FROM ${name} t`);
      contents[name] = result.rows.map((line) => line.row).sort();
    }
    return contents;
  });
  return { tables, files: await filesBelow(path.join(uploadsDir, "evidence")) };
}

async function filesBelow(folder: string): Promise<StoredFile[]> {
  let entries: import("node:fs").Dirent[];
  try {
    entries = await readdir(folder, { recursive: true, withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const files: StoredFile[] = [];
  for (const entry of entries) {
    const fullPath = path.join(entry.parentPath, entry.name);
    const mode = ((await stat(fullPath)).mode & 0o7777).toString(8);
    const relative = path.relative(folder, fullPath);
    files.push(
      entry.isFile()
        ? {
            path: relative,
            mode,
            sha256: createHash("sha256")
              .update(await readFile(fullPath))
              .digest("hex"),
          }
        : { path: relative, mode },
    );
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** Every evidence row's file is on disk with the row's SHA-256; returns how many rows there are. */
async function assertEveryRowHasItsFile(url: string, uploadsDir: string): Promise<number> {
  const rows = await withPortalClient(
    url,
    async (client) =>
      (
        await client.query<{ storageKey: string; sha256: string }>(
          `SELECT "storageKey", sha256 FROM evidence_files`,
        )
      ).rows,
  );
  const onDisk = new Map(
    (await filesBelow(path.join(uploadsDir, "evidence"))).map((file) => [
      path.basename(file.path),
      file.sha256,
    ]),
  );
  for (const row of rows)
    assert.equal(onDisk.get(row.storageKey), row.sha256, `the file of ${row.storageKey}`);
  return rows.length;
}

// ---- the scripts ---------------------------------------------------------------------------------------

interface ScriptRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function startScript(script: string, args: string[], env: Record<string, string>) {
  const child = spawn("bash", [script, ...args], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C.UTF-8", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const finished = new Promise<ScriptRun>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => {
      children.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
  return { child, finished };
}

function backupEnv(
  portal: { url: string; uploadsDir: string },
  backupDir: string,
  env: Record<string, string> = {},
) {
  return { DATABASE_URL: portal.url, UPLOADS_DIR: portal.uploadsDir, BACKUP_DIR: backupDir, ...env };
}

function runBackup(
  portal: { url: string; uploadsDir: string },
  backupDir: string,
  env: Record<string, string> = {},
) {
  return startScript(BACKUP_SCRIPT, [], backupEnv(portal, backupDir, env)).finished;
}

function runRestore(
  folder: string,
  target: { url: string; uploadsDir: string },
  env: Record<string, string> = {},
) {
  return startScript(RESTORE_SCRIPT, [folder], {
    DATABASE_URL: target.url,
    UPLOADS_DIR: target.uploadsDir,
    ...env,
  }).finished;
}

/** The one backup folder a run wrote. */
async function onlyBackup(backupDir: string): Promise<string> {
  const stamped = (await readdir(backupDir)).filter((name) => STAMP.test(name));
  assert.equal(stamped.length, 1, `one backup in ${stamped.join(", ")}`);
  return path.join(backupDir, stamped[0] ?? "");
}

const modeOf = async (target: string) => ((await stat(target)).mode & 0o7777).toString(8);
const passwordOf = (url: string) => decodeURIComponent(new URL(url).password);
let restoreCounter = 0;
/** A new, empty database and a path for an uploads folder that does not exist yet. */
async function emptyTarget() {
  const name = `restored_${++restoreCounter}`;
  return { url: await createEmptyDatabase(name), uploadsDir: path.join(workDir, `${name}-uploads`) };
}

// ---- the tests -------------------------------------------------------------------------------------------

test("scripts/backup takes the evidence placement lock of src/storage/backupLock.ts", async () => {
  const script = await readFile(BACKUP_SCRIPT, "utf8");
  const literal = /^readonly EVIDENCE_PLACEMENT_LOCK_KEY=(\d+)$/m.exec(script)?.[1];
  assert.equal(BigInt(literal ?? "-1"), EVIDENCE_PLACEMENT_LOCK_KEY);
  assert.match(script, /pg_advisory_lock\(\$EVIDENCE_PLACEMENT_LOCK_KEY\)/);
});

describe("a backup, the portal destroyed, the backup restored", () => {
  let source: Portal;
  let original: PortalState;
  let backupDir: string;
  let backup: string;
  let backupRun: ScriptRun;
  let backupWindow: { startedAt: number; endedAt: number };

  before(async () => {
    source = await createPortal("source");
    await seedPortal(source);
    original = await captureState(source.url, source.uploadsDir);
    backupDir = path.join(workDir, "backups");
    const startedAt = Date.now();
    backupRun = await runBackup(source, backupDir);
    backupWindow = { startedAt, endedAt: Date.now() };
    assert.equal(backupRun.code, 0, backupRun.stderr);
    backup = await onlyBackup(backupDir);
  });

  test("the seeded portal holds what the comparison is about", async () => {
    assert.equal(original.tables["public.vetting_cases"]?.length, 3);
    assert.equal(original.tables["public.staff_users"]?.length, 1);
    assert.equal(await assertEveryRowHasItsFile(source.url, source.uploadsDir), 5);
    const actions = original.tables["public.audit_events"]?.map((row) => JSON.parse(row).action).sort();
    assert.deepEqual(actions, ["evidence.deleted", ...Array(6).fill("evidence.uploaded")]);
    const files = original.files.filter((file) => file.sha256);
    assert.equal(files.length, 5);
    assert.ok(files.every((file) => file.mode === "640"));
    assert.ok(original.files.filter((file) => !file.sha256).every((file) => file.mode === "750"));
  });

  test("writes <stamp>/ (0700) with database.dump, uploads.tar and SHA256SUMS (0600), which sha256sum -c accepts", async () => {
    assert.deepEqual((await readdir(backup)).sort(), ["SHA256SUMS", "database.dump", "uploads.tar"]);
    assert.equal(await modeOf(backup), "700");
    for (const name of await readdir(backup)) assert.equal(await modeOf(path.join(backup, name)), "600");
    const { stdout } = await execFileAsync("sha256sum", ["--check", "--strict", "SHA256SUMS"], {
      cwd: backup,
    });
    assert.equal(stdout, "database.dump: OK\nuploads.tar: OK\n");
    assert.equal((await readFile(path.join(backup, "database.dump"))).subarray(0, 5).toString(), "PGDMP");
    // The staging folder of hard links is gone; nothing was left half-written.
    assert.deepEqual(await readdir(path.join(source.uploadsDir, ".backup")), []);
    assert.deepEqual(
      (await readdir(backupDir)).filter((name) => name.endsWith(".partial")),
      [],
    );
  });

  test("records when it completed in BACKUP_DIR/last-success (0600), which the portal's /metrics reports", async () => {
    const recorded = await readFile(path.join(backupDir, BACKUP_LAST_SUCCESS_FILE), "utf8");
    const [, seconds, stamp] = /^(\d+) (\S+)\n$/.exec(recorded) ?? [];
    assert.equal(stamp, path.basename(backup));
    const completedAt = Number(seconds) * 1000;
    assert.ok(
      completedAt >= backupWindow.startedAt - 1000 && completedAt <= backupWindow.endedAt + 1000,
      `${recorded} within the run`,
    );
    assert.equal(await modeOf(path.join(backupDir, BACKUP_LAST_SUCCESS_FILE)), "600");

    const metrics = await createAppMetrics().scrape({
      db: source.db,
      isReady: true,
      readinessChecks: { database: true, migrations: true, uploads: true, uploads_room: true, mail: true },
      backupDir,
      securityTxtExpiresAt: null,
    });
    assert.match(
      metrics,
      new RegExp(`^vetting_portal_backup_last_success_timestamp_seconds ${seconds}$`, "m"),
    );
    const never = await createAppMetrics().scrape({
      db: source.db,
      isReady: true,
      readinessChecks: { database: true, migrations: true, uploads: true, uploads_room: true, mail: true },
      backupDir: path.join(workDir, "no-backup-yet"),
      securityTxtExpiresAt: null,
    });
    assert.match(never, /^vetting_portal_backup_last_success_timestamp_seconds 0$/m, "none recorded: 0");
    assert.doesNotMatch(metrics, /backup_offsite/, "no off-site copy made here: nothing to report");
  });

  test("logs one line per step, and never the database password", () => {
    assert.match(backupRun.stdout, /^backup: copied the evidence folder and took database snapshot /m);
    assert.match(backupRun.stdout, /^backup: archived 5 evidence files$/m);
    assert.match(backupRun.stdout, /^backup: done$/m);
    assert.ok(!(backupRun.stdout + backupRun.stderr).includes(passwordOf(source.url)));
  });

  test("after the database and uploads are destroyed, restore brings back every row and every file", async () => {
    await source.db.$disconnect();
    await asSuperuser(async (client) => {
      await client.query("DROP DATABASE source WITH (FORCE)");
      await client.query("CREATE DATABASE source OWNER vetting_portal");
    });
    await rm(source.uploadsDir, { recursive: true, force: true });
    assert.deepEqual(await captureState(source.url, source.uploadsDir), { tables: {}, files: [] });

    const run = await runRestore(backup, source);
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      /restored 3 cases, 5 evidence files, 7 audit events, 1 staff accounts into the database, and 5 files into /,
    );
    assert.ok(!(run.stdout + run.stderr).includes(passwordOf(source.url)));
    assert.deepEqual(await captureState(source.url, source.uploadsDir), original);
    assert.deepEqual(await readdir(source.uploadsDir), ["evidence"]);
    // The documented next step finds nothing to do.
    assert.deepEqual((await migrateDatabase(source.url, silentLogger)).applied, []);
  });

  test("a tampered backup is refused, naming the mismatch, and nothing is restored", async () => {
    const tampered = path.join(workDir, "tampered", path.basename(backup));
    await cp(backup, tampered, { recursive: true });
    const archive = await readFile(path.join(tampered, "uploads.tar"));
    const offset = archive.length - 2048;
    archive.writeUInt8(archive.readUInt8(offset) ^ 0xff, offset);
    await writeFile(path.join(tampered, "uploads.tar"), archive);
    const target = await emptyTarget();

    const run = await runRestore(tampered, target);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /uploads\.tar: FAILED/);
    assert.match(run.stderr, /does not match its SHA256SUMS \(damaged or altered\): nothing was restored/);
    assert.deepEqual(await captureState(target.url, target.uploadsDir), { tables: {}, files: [] });
  });

  test("restore refuses a database that is not empty, and an uploads folder holding files", async () => {
    const intoLivePortal = await runRestore(backup, source);
    assert.equal(intoLivePortal.code, 1);
    assert.match(
      intoLivePortal.stderr,
      /the target database is not empty \(\d+ tables, views or sequences\)/,
    );

    const target = await emptyTarget();
    await mkdir(path.join(target.uploadsDir, "evidence"), { recursive: true });
    await writeFile(path.join(target.uploadsDir, "evidence", "stray"), "x");
    const intoUsedFolder = await runRestore(backup, target);
    assert.equal(intoUsedFolder.code, 1);
    assert.match(intoUsedFolder.stderr, /the uploads folder .* is not empty \(it holds .*stray\)/);
    assert.deepEqual((await captureState(target.url, target.uploadsDir)).tables, {});
  });
});

describe("a backup of evidence encrypted at rest", () => {
  const encryptionKey = randomBytes(32);
  let source: Portal;
  let backup: string;
  let backupRun: ScriptRun;

  before(async () => {
    source = await createPortal("at_rest", { EVIDENCE_ENCRYPTION_KEY: encryptionKey.toString("base64") });
    await seedPortal(source);
    const backupDir = path.join(workDir, "at-rest-backups");
    // The unit hands the backup the portal's whole environment, the key included.
    backupRun = await runBackup(source, backupDir, {
      EVIDENCE_ENCRYPTION_KEY: encryptionKey.toString("base64"),
    });
    assert.equal(backupRun.code, 0, backupRun.stderr);
    backup = await onlyBackup(backupDir);
  });

  test("holds ciphertext and wrapped keys only, and never the key-encryption key", async () => {
    const unpacked = path.join(workDir, "at-rest-unpacked");
    await mkdir(unpacked);
    await execFileAsync("tar", ["-xf", path.join(backup, "uploads.tar"), "-C", unpacked]);
    const archived = (await filesBelow(unpacked)).filter((file) => file.sha256);
    assert.equal(archived.length, 5);
    for (const file of archived) {
      const bytes = await readFile(path.join(unpacked, file.path));
      assert.equal(bytes.subarray(0, 4).toString("ascii"), "VPEV", file.path);
      assert.equal(bytes.indexOf("%PDF"), -1, file.path);
      assert.equal(bytes.indexOf("Evidence at_rest"), -1, file.path);
      assert.equal(bytes.indexOf(Buffer.from([0x89, 0x50, 0x4e, 0x47])), -1, `${file.path}: no PNG`);
    }
    const rows = await source.db.evidenceFile.findMany({
      select: { encryptionKeyId: true, wrappedDataKey: true },
    });
    assert.equal(rows.length, 5);
    assert.ok(rows.every((row) => row.encryptionKeyId === source.config.evidence.encryption?.current.id));
    assert.ok(rows.every((row) => row.wrappedDataKey?.startsWith("w1.")));

    // Neither the key nor any spelling of it, in any file of the backup or of what it unpacks to.
    const spellings = [
      encryptionKey,
      Buffer.from(encryptionKey.toString("base64")),
      Buffer.from(encryptionKey.toString("base64url")),
      Buffer.from(encryptionKey.toString("hex")),
    ];
    for (const folder of [backup, unpacked]) {
      for (const entry of await readdir(folder, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile()) continue;
        const bytes = await readFile(path.join(entry.parentPath, entry.name));
        for (const spelling of spellings) assert.equal(bytes.indexOf(spelling), -1, entry.name);
      }
    }
    assert.ok(!(backupRun.stdout + backupRun.stderr).includes(encryptionKey.toString("base64")));
  });

  test("restored, every file opens to its row's SHA-256 with the key, and with no other key or none", async () => {
    const target = await emptyTarget();
    const run = await runRestore(backup, target);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /5 evidence files/);
    const restored = createDatabase(target.url, source.config.database);
    try {
      const rows = await restored.evidenceFile.findMany({
        select: {
          storageKey: true,
          sha256: true,
          sizeBytes: true,
          encryptionKeyId: true,
          wrappedDataKey: true,
        },
      });
      assert.equal(rows.length, 5);
      const withKey = evidenceStore(target.uploadsDir, keyringOf(encryptionKey, null));
      const withAnotherKey = evidenceStore(target.uploadsDir, keyringOf(randomBytes(32), null));
      const withoutKey = evidenceStore(target.uploadsDir, null);
      for (const row of rows) {
        assert.deepEqual(await withKey.digest(row), { sha256: row.sha256, sizeBytes: row.sizeBytes });
        await assert.rejects(withAnotherKey.digest(row), EvidenceDecryptionError);
        await assert.rejects(withoutKey.digest(row), /EVIDENCE_ENCRYPTION_KEY/);
      }
    } finally {
      await restored.$disconnect();
    }
  });
});

describe("the README's least-privilege roles", () => {
  // The schema belongs to an owner role used only by the migrate step (and the restore); the portal and
  // its backup run as a role that reads and writes rows, with a policy on graphile-worker's tables kept
  // behind row-level security.
  const roleUrl = (role: string, password: string, database: string) => {
    const url = new URL(databaseUrl(database));
    url.username = role;
    url.password = password;
    return url.toString();
  };
  const ownerPassword = "owner-pass/word";
  const appPassword = "app-pass@word";

  test("the portal's role backs up everything; the owner restores it and migrate grants the portal's role again", async () => {
    await asSuperuser(async (client) => {
      await client.query(`CREATE ROLE vp_owner LOGIN PASSWORD '${ownerPassword}'`);
      await client.query(`CREATE ROLE vp_app LOGIN PASSWORD '${appPassword}'`);
      for (const name of ["least", "least_restored"]) {
        await client.query(`CREATE DATABASE ${name} OWNER vp_owner`);
        await client.query(`REVOKE ALL ON DATABASE ${name} FROM PUBLIC`);
      }
    });
    const ownerUrl = roleUrl("vp_owner", ownerPassword, "least");
    await migrateDatabase(ownerUrl, silentLogger);
    await grantRowPrivileges(ownerUrl, "vp_app");

    const appUrl = roleUrl("vp_app", appPassword, "least");
    const uploadsDir = path.join(workDir, "least-uploads");
    const config = loadConfig({
      NODE_ENV: "test",
      DATABASE_URL: appUrl,
      PUBLIC_URL: "http://127.0.0.1:3000",
      UPLOADS_DIR: uploadsDir,
    });
    const portal: Portal = {
      name: "least",
      url: appUrl,
      uploadsDir,
      config,
      db: createDatabase(appUrl, config.database),
      store: evidenceStore(uploadsDir),
    };
    portals.push(portal);
    await portal.store.ensureLayout();
    await seedPortal(portal);
    // A queued job: a row in graphile-worker's tables behind row-level security.
    await withPortalClient(appUrl, (client) =>
      client.query("SELECT graphile_worker.add_job('send_email', '{}')"),
    );
    const original = await captureState(ownerUrl, uploadsDir);
    assert.equal(original.tables["graphile_worker._private_jobs"]?.length, 1);

    const backupDir = path.join(workDir, "least-backups");
    const backup = await runBackup(portal, backupDir);
    assert.equal(backup.code, 0, backup.stderr);

    const target = {
      url: roleUrl("vp_owner", ownerPassword, "least_restored"),
      uploadsDir: path.join(workDir, "least-restored-uploads"),
    };
    const restore = await runRestore(await onlyBackup(backupDir), target);
    assert.equal(restore.code, 0, restore.stderr);
    assert.deepEqual((await migrateDatabase(target.url, silentLogger)).applied, []);
    await grantRowPrivileges(target.url, "vp_app");
    assert.deepEqual(await captureState(target.url, target.uploadsDir), original);
    // The portal's role is back in business on the restored database.
    const restoredAsApp = roleUrl("vp_app", appPassword, "least_restored");
    assert.equal(await assertEveryRowHasItsFile(restoredAsApp, target.uploadsDir), 5);
  });
});

describe("an encrypted backup", () => {
  let gnupgHome: string;
  let portal: Portal;
  let original: PortalState;
  const recipient = "backups@example.org";

  before(async () => {
    gnupgHome = await mkdtemp(path.join(tmpdir(), "vp-gnupg-"));
    await chmod(gnupgHome, 0o700);
    await execFileAsync(
      "gpg",
      [
        "--batch",
        "--passphrase",
        "",
        "--quick-generate-key",
        `Portal backups <${recipient}>`,
        "default",
        "default",
        "never",
      ],
      { env: { ...process.env, GNUPGHOME: gnupgHome } },
    );
    portal = await createPortal("encrypted");
    await seedPortal(portal);
    original = await captureState(portal.url, portal.uploadsDir);
  });
  after(async () => {
    if (!gnupgHome) return;
    await execFileAsync("gpgconf", ["--kill", "all"], {
      env: { ...process.env, GNUPGHOME: gnupgHome },
    }).catch(() => {});
    await rm(gnupgHome, { recursive: true, force: true });
  });

  /** Nothing of the dump or the files is readable in the backup; it restores with the secret key. */
  async function assertEncryptedAndRestorable(backup: string) {
    assert.deepEqual((await readdir(backup)).sort(), ["SHA256SUMS", "database.dump.gpg", "uploads.tar.gpg"]);
    const { stdout } = await execFileAsync("sha256sum", ["--check", "--strict", "SHA256SUMS"], {
      cwd: backup,
    });
    assert.equal(stdout, "database.dump.gpg: OK\nuploads.tar.gpg: OK\n");
    const dump = await readFile(path.join(backup, "database.dump.gpg"));
    const archive = await readFile(path.join(backup, "uploads.tar.gpg"));
    assert.ok(!dump.includes("PGDMP") && !dump.includes("evidence_files"));
    assert.ok(!archive.includes("ustar") && !archive.includes(`Evidence ${portal.name}`));

    const target = await emptyTarget();
    const run = await runRestore(backup, target, { GNUPGHOME: gnupgHome });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(await captureState(target.url, target.uploadsDir), original);
  }

  test("for a recipient in the keyring (BACKUP_GPG_RECIPIENT): *.gpg only, restored with the secret key", async () => {
    const backupDir = path.join(workDir, "encrypted-backups");
    const run = await runBackup(portal, backupDir, { BACKUP_GPG_RECIPIENT: recipient, GNUPGHOME: gnupgHome });
    assert.equal(run.code, 0, run.stderr);
    await assertEncryptedAndRestorable(await onlyBackup(backupDir));
  });

  test("for a public key file (BACKUP_GPG_RECIPIENT_FILE), with no keyring at all", async () => {
    const keyFile = path.join(workDir, "backup-key.asc");
    const { stdout: publicKey } = await execFileAsync("gpg", ["--armor", "--export", recipient], {
      env: { ...process.env, GNUPGHOME: gnupgHome },
    });
    await writeFile(keyFile, publicKey);
    const backupDir = path.join(workDir, "encrypted-file-backups");
    const run = await runBackup(portal, backupDir, {
      BACKUP_GPG_RECIPIENT_FILE: keyFile,
      HOME: "/nonexistent",
    });
    assert.equal(run.code, 0, run.stderr);
    await assertEncryptedAndRestorable(await onlyBackup(backupDir));
  });
});

describe("consistency between the dump and the archive", () => {
  test("a backup waits for an upload between placing its file and committing its row, and holds both", async () => {
    const portal = await createPortal("inflight");
    const caseId = await createEvidenceCase(portal.db);
    const file = await received(portal, pdfDocument("In flight"), "late.pdf", "application/pdf");

    const upload = await beginUploadInFlight(portal.url, {
      caseId,
      storageKey: file.storageKey,
      displayName: "late.pdf",
      mediaType: "application/pdf",
      sizeBytes: file.sizeBytes,
      sha256: file.sha256,
    });
    try {
      await portal.store.place({ storageKey: file.storageKey, stagedPath: file.tempPath, encryption: null });

      const backupDir = path.join(workDir, "inflight-backups");
      const backup = startScript(BACKUP_SCRIPT, [], backupEnv(portal, backupDir));
      let exited = false;
      void backup.finished.then(() => {
        exited = true;
      });
      // The backup's session shows up waiting for the advisory lock (or the backup ends: a failure).
      await waitForAdvisoryLockWaiter(portal.url, () => exited, "vetting-portal-backup");
      if (exited) assert.fail(`the backup did not wait: ${(await backup.finished).stderr}`);
      assert.deepEqual(
        (await readdir(backupDir)).filter((name) => STAMP.test(name)),
        [],
      );

      await upload.query("COMMIT");
      const run = await backup.finished;
      assert.equal(run.code, 0, run.stderr);

      const target = await emptyTarget();
      const restored = await runRestore(await onlyBackup(backupDir), target);
      assert.equal(restored.code, 0, restored.stderr);
      assert.equal(await assertEveryRowHasItsFile(target.url, target.uploadsDir), 1);
    } finally {
      await upload.end();
    }
  });

  test("a backup that cannot get the lock in BACKUP_LOCK_TIMEOUT_SECONDS gives up and keeps nothing", async () => {
    const portal = await createPortal("stuck");
    const backupDir = path.join(workDir, "stuck-backups");
    const upload = new pg.Client({ connectionString: portal.url });
    await upload.connect();
    try {
      await upload.query("BEGIN");
      await upload.query("SELECT pg_advisory_xact_lock_shared($1)", [EVIDENCE_PLACEMENT_LOCK_KEY.toString()]);
      const run = await runBackup(portal, backupDir, { BACKUP_LOCK_TIMEOUT_SECONDS: "1" });
      assert.equal(run.code, 1);
      assert.match(run.stderr, /canceling statement due to lock timeout/);
      assert.match(
        run.stderr,
        /backup failed: the database session ended \(uploads in flight did not finish within 1s\)/,
      );
      assert.deepEqual(await readdir(backupDir), [".lock"]);
      assert.deepEqual(await readdir(path.join(portal.uploadsDir, ".backup")), []);
    } finally {
      await upload.end();
    }
  });

  test("uploads and deletions running through a backup: every restored evidence row has its file", async () => {
    const portal = await createPortal("busy", {
      EVIDENCE_MAX_FILES_PER_CASE: "1000",
      EVIDENCE_MAX_CASE_MB: "1000",
    });
    const caseId = await createEvidenceCase(portal.db);
    const kept: string[] = [];
    let uploads = 0;
    let deletions = 0;
    const uploadOne = async () => {
      const [added] = await uploadEvidence(portal, caseId, [
        await received(portal, pngImage(uploads + 1, 1), `photo-${uploads}.png`, "image/png"),
      ]);
      uploads += 1;
      if (added) kept.push(added.id);
    };
    for (let index = 0; index < 5; index++) await uploadOne();
    const backupDir = path.join(workDir, "busy-backups");
    const backup = startScript(BACKUP_SCRIPT, [], backupEnv(portal, backupDir));
    let exited = false;
    void backup.finished.then(() => {
      exited = true;
    });
    do {
      await uploadOne();
      if (uploads % 3 === 0) {
        await deleteEvidence(portal, caseId, kept.shift() ?? "");
        deletions += 1;
      }
    } while (!exited);
    const run = await backup.finished;
    assert.equal(run.code, 0, run.stderr);
    assert.ok(
      uploads > 5 && deletions > 0,
      `${uploads} uploads and ${deletions} deletions during the backup`,
    );

    const target = await emptyTarget();
    const restored = await runRestore(await onlyBackup(backupDir), target);
    assert.equal(restored.code, 0, restored.stderr);
    assert.ok((await assertEveryRowHasItsFile(target.url, target.uploadsDir)) > 0);
  });
});

describe("retention", () => {
  const DAY_MS = 86_400_000;
  const stampAgo = (ms: number) =>
    new Date(Date.now() - ms)
      .toISOString()
      .replace(/[-:]/g, "")
      .replace(/\.\d{3}/, "");

  test("after a successful backup, deletes the stamped folders older than 14 days (by name) and nothing else", async () => {
    const portal = await createPortal("retention");
    const backupDir = path.join(workDir, "retention-backups");
    await mkdir(backupDir);
    const expired = [stampAgo(20 * DAY_MS), stampAgo(15 * DAY_MS), stampAgo(14 * DAY_MS + 3_600_000)];
    const kept = [stampAgo(13 * DAY_MS), stampAgo(3_600_000), "notes", "old-20200101T000000Z"];
    for (const name of [...expired, ...kept]) await mkdir(path.join(backupDir, name));
    // A FILE with an old stamp for a name is not a backup folder: it stays.
    const strayFile = stampAgo(30 * DAY_MS);
    await writeFile(path.join(backupDir, strayFile), "not a backup");
    const everything = [...expired, ...kept, strayFile].sort();

    // A backup that fails deletes nothing (this one at its first step: the database does not answer).
    const failed = await runBackup(
      { url: "postgresql://vetting_portal:secret@127.0.0.1:1/nothing", uploadsDir: portal.uploadsDir },
      backupDir,
    );
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /^backup failed: could not connect to the database: .*Connection refused/);
    assert.deepEqual((await readdir(backupDir)).filter((name) => name !== ".lock").sort(), everything);

    const run = await runBackup(portal, backupDir);
    assert.equal(run.code, 0, run.stderr);
    const written = path.basename(await onlyBackupNewerThan(backupDir, everything));
    assert.deepEqual(
      (await readdir(backupDir)).filter((name) => name !== ".lock").sort(),
      [...kept, strayFile, written, BACKUP_LAST_SUCCESS_FILE].sort(),
    );
    for (const name of expired)
      assert.match(run.stdout, new RegExp(`^backup: deleted ${name} \\(older than 14 days\\)$`, "m"));
  });

  test("refuses a retention that is not a whole number of days, before doing anything", async () => {
    const backupDir = path.join(workDir, "never-written");
    const run = await runBackup({ url: server.url, uploadsDir: path.join(workDir, "none") }, backupDir, {
      BACKUP_RETENTION_DAYS: "two weeks",
    });
    assert.equal(run.code, 1);
    assert.equal(
      run.stderr,
      'backup failed: BACKUP_RETENTION_DAYS must be a whole number of days, at least 1 (it is "two weeks")\n',
    );
    await assert.rejects(stat(backupDir), { code: "ENOENT" });
  });
});

/** The backup folder written by the last run: the stamped folder that was not there before. */
async function onlyBackupNewerThan(backupDir: string, existing: string[]): Promise<string> {
  const fresh = (await readdir(backupDir)).filter((name) => STAMP.test(name) && !existing.includes(name));
  assert.equal(fresh.length, 1, fresh.join(", "));
  return path.join(backupDir, fresh[0] ?? "");
}

describe("the off-site copy (restic)", () => {
  const DAY_MS = 86_400_000;
  let portal: Portal;
  let original: PortalState;
  let credentials: string;
  let cacheDir: string;

  /** restic itself, on a repository, for what the test sets up and looks at. */
  async function restic(
    repository: string,
    args: string[],
    passwordFile = path.join(credentials, "vetting-portal_RESTIC_PASSWORD"),
  ) {
    const { stdout } = await execFileAsync("restic", [...args, "--no-cache"], {
      env: { ...process.env, RESTIC_REPOSITORY: repository, RESTIC_PASSWORD_FILE: passwordFile },
    });
    return stdout;
  }

  async function createRepository(name: string): Promise<string> {
    const repository = path.join(workDir, name);
    await restic(repository, ["init", "--quiet"]);
    return repository;
  }

  interface Snapshot {
    id: string;
    short_id: string;
    time: string;
    paths: string[];
    tags?: string[];
  }
  const snapshotsOf = async (repository: string): Promise<Snapshot[]> =>
    JSON.parse(await restic(repository, ["snapshots", "--json"])) as Snapshot[];

  /** As the unit runs it: the password as the credential, restic's cache in the unit's CacheDirectory=. */
  const offsiteEnv = (repository: string, env: Record<string, string> = {}) => ({
    BACKUP_RESTIC_REPOSITORY: repository,
    CREDENTIALS_DIRECTORY: credentials,
    CACHE_DIRECTORY: cacheDir,
    ...env,
  });

  before(async () => {
    credentials = path.join(workDir, "restic-credentials");
    await mkdir(credentials, { mode: 0o700 });
    await writeFile(
      path.join(credentials, "vetting-portal_RESTIC_PASSWORD"),
      "correct horse battery staple\n",
      {
        mode: 0o600,
      },
    );
    cacheDir = path.join(workDir, "restic-cache");
    await mkdir(cacheDir, { mode: 0o700 });
    portal = await createPortal("offsite");
    await seedPortal(portal);
    original = await captureState(portal.url, portal.uploadsDir);
  });

  test("a backup lands in the repository as a snapshot; with every local backup gone, the portal restores from the repository alone", async () => {
    const repository = await createRepository("restic-repo");
    const backupDir = path.join(workDir, "offsite-backups");
    const run = await runBackup(portal, backupDir, offsiteEnv(repository));
    assert.equal(run.code, 0, run.stderr);
    const stamp = path.basename(await onlyBackup(backupDir));

    const [snapshot, ...others] = await snapshotsOf(repository);
    assert.deepEqual(others, []);
    assert.deepEqual(snapshot?.tags, ["vetting-portal", stamp]);
    assert.deepEqual(snapshot?.paths, [path.join(backupDir, stamp)]);
    // The snapshot's time is the backup's stamp, so restic's retention goes by when the backup was taken.
    assert.equal(new Date(snapshot?.time ?? "").toISOString().replace(/[-:]|\.\d{3}/g, ""), stamp);
    assert.match(
      run.stdout,
      new RegExp(`^backup: copied ${stamp} off the host: restic snapshot ${snapshot?.short_id}$`, "m"),
    );
    assert.match(
      run.stdout,
      /^backup: applied the off-site retention \(--keep-daily 7 --keep-weekly 5 --keep-monthly 12\)$/m,
    );
    assert.match(run.stdout, /^backup: checked the off-site repository \(and read [1-7]\/7 of its data\)$/m);
    const offsiteMarker = await readFile(path.join(backupDir, "last-offsite-success"), "utf8");
    assert.match(offsiteMarker, new RegExp(`^\\d+ ${stamp} ${snapshot?.short_id}\\n$`));
    // The web instances report it, for the off-site alert (deploy/prometheus).
    const metrics = await createAppMetrics().scrape({
      db: portal.db,
      isReady: true,
      readinessChecks: { database: true, migrations: true, uploads: true, uploads_room: true, mail: true },
      backupDir,
      securityTxtExpiresAt: null,
    });
    assert.match(
      metrics,
      new RegExp(
        `^vetting_portal_backup_offsite_last_success_timestamp_seconds ${offsiteMarker.split(" ")[0]}$`,
        "m",
      ),
    );
    assert.ok((await readdir(cacheDir)).length > 0, "restic kept its cache in CACHE_DIRECTORY");
    // The repository is encrypted: none of the dump or the evidence is readable in it.
    for (const file of await filesBelow(repository)) {
      if (!file.sha256) continue;
      const bytes = await readFile(path.join(repository, file.path));
      assert.ok(!bytes.includes("PGDMP") && !bytes.includes(`Evidence ${portal.name}`), file.path);
    }

    await rm(backupDir, { recursive: true, force: true });
    const target = await emptyTarget();
    const restored = await startScript(RESTORE_SCRIPT, ["--from-restic", stamp], {
      DATABASE_URL: target.url,
      UPLOADS_DIR: target.uploadsDir,
      ...offsiteEnv(repository),
    }).finished;
    assert.equal(restored.code, 0, restored.stderr);
    assert.match(restored.stdout, new RegExp(`^restore: fetched ${stamp} from the restic repository$`, "m"));
    assert.match(restored.stdout, /^restore: checked .* against SHA256SUMS$/m);
    assert.deepEqual(await captureState(target.url, target.uploadsDir), original);
    assert.equal(await assertEveryRowHasItsFile(target.url, target.uploadsDir), 5);

    // A stamp the repository does not hold is refused.
    const elsewhere = await emptyTarget();
    const missing = await startScript(RESTORE_SCRIPT, ["--from-restic", "20000101T000000Z"], {
      DATABASE_URL: elsewhere.url,
      UPLOADS_DIR: elsewhere.uploadsDir,
      ...offsiteEnv(repository),
    }).finished;
    assert.equal(missing.code, 1);
    assert.match(
      missing.stderr,
      /restore refused: restic could not restore the snapshot 20000101T000000Z \(tagged vetting-portal,20000101T000000Z\)/,
    );
  });

  test("a wrong password: the restore is refused with that reason and restores nothing; the backup fails but keeps its local copy", async () => {
    const repository = await createRepository("restic-repo-password");
    const wrongPassword = path.join(workDir, "wrong-restic-password");
    await writeFile(wrongPassword, "not the password\n", { mode: 0o600 });
    const wrongEnv = {
      BACKUP_RESTIC_REPOSITORY: repository,
      RESTIC_PASSWORD_FILE: wrongPassword,
      CACHE_DIRECTORY: cacheDir,
    };

    const target = await emptyTarget();
    const restore = await startScript(RESTORE_SCRIPT, ["--from-restic", "latest"], {
      DATABASE_URL: target.url,
      UPLOADS_DIR: target.uploadsDir,
      ...wrongEnv,
    }).finished;
    assert.equal(restore.code, 1);
    assert.equal(
      restore.stderr,
      "restore refused: the restic repository did not accept the password (RESTIC_PASSWORD_FILE or the credential RESTIC_PASSWORD)\n",
    );
    assert.deepEqual(await captureState(target.url, target.uploadsDir), { tables: {}, files: [] });
    await assert.rejects(stat(target.uploadsDir), { code: "ENOENT" });

    const backupDir = path.join(workDir, "offsite-wrong-password");
    const backup = await runBackup(portal, backupDir, wrongEnv);
    assert.equal(backup.code, 1);
    const kept = await onlyBackup(backupDir);
    assert.equal(
      backup.stderr,
      "backup failed: the restic repository did not accept the password (RESTIC_PASSWORD_FILE or the credential RESTIC_PASSWORD)\n" +
        `backup failed: the off-site copy did not complete; the local backup ${kept} is complete and kept\n`,
    );
    assert.match(
      await readFile(path.join(backupDir, BACKUP_LAST_SUCCESS_FILE), "utf8"),
      new RegExp(` ${path.basename(kept)}\\n$`),
    );
    await assert.rejects(stat(path.join(backupDir, "last-offsite-success")), { code: "ENOENT" });
    assert.deepEqual(await snapshotsOf(repository), []);
  });

  test("a repository that does not exist yet is not created: the backup fails, says how to create it, keeps the local copy", async () => {
    const repository = path.join(workDir, "restic-repo-never-initialised");
    const backupDir = path.join(workDir, "offsite-no-repository");
    const run = await runBackup(portal, backupDir, offsiteEnv(repository));
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /^backup failed: there is no restic repository at BACKUP_RESTIC_REPOSITORY: create it once, as the README's Production step 8 says \(restic init\)/,
    );
    assert.match(run.stderr, /the local backup .* is complete and kept\n$/);
    await onlyBackup(backupDir);
    await assert.rejects(stat(repository), { code: "ENOENT" });
  });

  test("retention forgets this host's older vetting-portal snapshots by BACKUP_RESTIC_KEEP_*, and leaves other snapshots alone", async () => {
    const repository = await createRepository("restic-repo-retention");
    const older = path.join(workDir, "older-snapshot");
    await mkdir(older);
    await writeFile(path.join(older, "SHA256SUMS"), "");
    const stampAgo = (ms: number) => new Date(Date.now() - ms).toISOString().replace(/[-:]|\.\d{3}/g, "");
    const localTime = (stamp: string) => {
      const at = new Date(stamp.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, "$1-$2-$3T$4:$5:$6Z"));
      const pad = (n: number) => String(n).padStart(2, "0");
      return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
    };
    const days = [10, 9, 8].map((n) => stampAgo(n * DAY_MS));
    for (const stamp of days)
      await restic(repository, [
        "backup",
        "--quiet",
        "--tag",
        "vetting-portal",
        "--tag",
        stamp,
        "--time",
        localTime(stamp),
        older,
      ]);
    // Something else kept in the same repository: not ours to forget.
    await restic(repository, [
      "backup",
      "--quiet",
      "--tag",
      "other",
      "--time",
      localTime(days[0] ?? ""),
      older,
    ]);

    const refused = await runBackup(
      portal,
      path.join(workDir, "never-written-offsite"),
      offsiteEnv(repository, { BACKUP_RESTIC_KEEP_DAILY: "a week" }),
    );
    assert.equal(refused.code, 1);
    assert.equal(
      refused.stderr,
      'backup failed: BACKUP_RESTIC_KEEP_DAILY must be a whole number of snapshots, 0 or more (it is "a week")\n',
    );
    await assert.rejects(stat(path.join(workDir, "never-written-offsite")), { code: "ENOENT" });

    const backupDir = path.join(workDir, "offsite-retention");
    const run = await runBackup(
      portal,
      backupDir,
      offsiteEnv(repository, {
        BACKUP_RESTIC_KEEP_DAILY: "2",
        BACKUP_RESTIC_KEEP_WEEKLY: "0",
        BACKUP_RESTIC_KEEP_MONTHLY: "0",
      }),
    );
    assert.equal(run.code, 0, run.stderr);
    const stamp = path.basename(await onlyBackup(backupDir));
    assert.match(run.stdout, /^backup: applied the off-site retention \(--keep-daily 2\)$/m);
    const left = (await snapshotsOf(repository)).map((snapshot) => snapshot.tags?.join(",")).sort();
    assert.deepEqual(left, ["other", `vetting-portal,${days[2]}`, `vetting-portal,${stamp}`].sort());
  });
});

describe("the database URL from a file", () => {
  test("backup and restore read DATABASE_URL_FILE or the unit's credential, and refuse it given twice", async () => {
    const portal = await createPortal("url_from_file");
    const secrets = path.join(workDir, "credentials");
    await mkdir(secrets, { mode: 0o700 });
    await writeFile(path.join(secrets, "vetting-portal_DATABASE_URL"), `${portal.url}\n`, { mode: 0o600 });
    const { DATABASE_URL: _url, ...withoutUrl } = backupEnv(portal, path.join(workDir, "from-credential"));

    const fromCredential = await startScript(BACKUP_SCRIPT, [], {
      ...withoutUrl,
      CREDENTIALS_DIRECTORY: secrets,
    }).finished;
    assert.equal(fromCredential.code, 0, fromCredential.stderr);
    assert.ok(!fromCredential.stdout.includes(passwordOf(portal.url)), "no password in the log");

    const target = await emptyTarget();
    const restored = await startScript(
      RESTORE_SCRIPT,
      [await onlyBackup(path.join(workDir, "from-credential"))],
      {
        UPLOADS_DIR: target.uploadsDir,
        DATABASE_URL_FILE: path.join(secrets, "target-url"),
      },
    ).finished;
    assert.equal(restored.code, 1, "the named file does not exist yet");
    assert.match(restored.stderr, /DATABASE_URL_FILE .*target-url cannot be read/);
    await writeFile(path.join(secrets, "target-url"), target.url, { mode: 0o600 });
    const restoredAgain = await startScript(
      RESTORE_SCRIPT,
      [await onlyBackup(path.join(workDir, "from-credential"))],
      { UPLOADS_DIR: target.uploadsDir, DATABASE_URL_FILE: path.join(secrets, "target-url") },
    ).finished;
    assert.equal(restoredAgain.code, 0, restoredAgain.stderr);

    const twice = await startScript(BACKUP_SCRIPT, [], {
      ...backupEnv(portal, path.join(workDir, "never")),
      DATABASE_URL_FILE: path.join(secrets, "vetting-portal_DATABASE_URL"),
    }).finished;
    assert.equal(twice.code, 1);
    assert.match(
      twice.stderr,
      /set either DATABASE_URL or DATABASE_URL_FILE \(or its credential\), not both/,
    );
  });
});
