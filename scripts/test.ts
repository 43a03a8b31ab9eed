// npm test: every check in one run, and one closing line CI can read ("N passed, N failed").
//   1. lockfile (scripts/lockfileCheck.ts): the install left package-lock.json as committed ("skipped"
//      outside a git checkout, or while package.json itself differs from the committed one)
//   2. typecheck (tsc)   3. lint + format check (Biome)
//   4. dependency audit (scripts/auditDependencies.ts: npm audit --omit=dev, high and critical fail
//      unless audit-allowlist.json accepts them; "skipped" on its own line when the registry does not
//      answer audits, never counted as passed)
//   5. unit and integration tests (node:test), against one real Postgres started for the run; each
//      test file creates its own database from a migrated template
//   6. browser tests (Playwright + Chromium, installed from Debian when missing)
// Debian's redis-server (for the Redis rate-limit store's tests) and systemd-analyze (for the checks of
// deploy/systemd) are installed first when missing.
// `npm test -- src/config.test.ts` runs only the named test files and skips the browser suite.
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";
import { projectRoot } from "../src/config.js";
import { debianPostgresBinDir } from "../src/test/debianPostgres.js";
import { createTestDatabase, startTestPostgresServer } from "../src/test/postgres.js";
import { auditDependencies } from "./auditDependencies.js";
import { ensureChromium } from "./chromium.js";
import { ensureDebianProgram, runsVersion } from "./debianPackages.js";
import { checkLockfile } from "./lockfileCheck.js";

interface StepResult {
  name: string;
  passed: number;
  failed: number;
  /** A check that could not be made (said on its summary line with why). */
  skipped?: { count: number; reason: string };
}

const results: StepResult[] = [];

async function runTests(): Promise<number> {
  const onlyFiles = process.argv.slice(2);
  if (onlyFiles.length === 0) {
    results.push(await lockfileStep());
    results.push(await check("typecheck", "npx", ["tsc", "--noEmit"]));
    results.push(await check("lint", "npx", ["biome", "check", "."]));
    results.push(await dependencyAudit());
  }

  heading("unit and integration tests");
  try {
    await ensureDebianProgram({
      program: "redis-server",
      packageName: "redis-server",
      neededFor: "the tests of the Redis rate-limit store",
    });
  } catch (error) {
    // The Redis store's tests then fail and say why; everything else still runs.
    process.stdout.write(`${error instanceof Error ? error.message : String(error)}\n`);
  }
  try {
    await ensureDebianProgram({
      program: "systemd-analyze",
      packageName: "systemd",
      neededFor: "the checks of deploy/systemd (src/operations/systemdUnits.test.ts)",
    });
  } catch (error) {
    process.stdout.write(`${error instanceof Error ? error.message : String(error)}\n`);
  }
  // The deployment tests run the real programs a production host runs: nginx in front of the portal,
  // Debian's PostgreSQL server and client (pg_dump/pg_restore for scripts/backup), gpg for encrypted
  // backups and restic for their off-site copy.
  for (const program of [
    {
      program: "nginx",
      packageName: "nginx",
      neededFor: "the tests of deploy/nginx",
      installed: () => runsVersion("nginx", "-v"),
    },
    {
      program: "pg_dump",
      packageName: "postgresql",
      neededFor: "the tests of scripts/backup and scripts/restore",
      installed: () => debianPostgresBinDir() !== undefined && runsVersion("pg_dump", "--version"),
    },
    { program: "gpg", packageName: "gnupg", neededFor: "the test of encrypted backups" },
    {
      program: "restic",
      packageName: "restic",
      neededFor: "the test of off-site backups (src/operations/backup.test.ts)",
      // restic answers `restic version`, not --version.
      installed: () => runsVersion("restic", "version"),
    },
    {
      program: "promtool",
      packageName: "prometheus",
      neededFor: "the checks of deploy/prometheus (src/operations/prometheus.test.ts)",
    },
    // The evidence checks run the programs the portal runs in production: clamd (its tests start one
    // with a signature database of their own; freshclam is never needed), qpdf and exiftool; and
    // poppler's pdftoppm draws PDF pages for staff.
    {
      program: "clamd",
      packageName: "clamav-daemon",
      neededFor: "the malware scanning tests (src/storage/scanForMalware.test.ts)",
    },
    { program: "qpdf", packageName: "qpdf", neededFor: "the checks of PDFs' active content" },
    {
      program: "pdftoppm",
      packageName: "poppler-utils",
      neededFor: "PDF pages drawn for staff to read",
      // pdftoppm answers -v, not --version.
      installed: () => runsVersion("pdftoppm", "-v"),
    },
    {
      program: "exiftool",
      packageName: "libimage-exiftool-perl",
      neededFor: "the removal of location and camera data from photos",
      // exiftool answers -ver, not --version.
      installed: () => runsVersion("exiftool", "-ver"),
    },
  ]) {
    try {
      await ensureDebianProgram(program);
    } catch (error) {
      process.stdout.write(`${error instanceof Error ? error.message : String(error)}\n`);
    }
  }
  const postgres = await startTestPostgresServer();
  try {
    const files = onlyFiles.length > 0 ? onlyFiles : findTestFiles(["src", "scripts"]);
    const { output, code } = await run(
      process.execPath,
      ["--import", "tsx", "--test", "--test-reporter=spec", "--test-concurrency=2", ...files],
      { TEST_POSTGRES_ADMIN_URL: postgres.adminUrl },
    );
    const passed = lastNumber(output, /^ℹ pass (\d+)$/gm);
    const failed = lastNumber(output, /^ℹ fail (\d+)$/gm) + lastNumber(output, /^ℹ cancelled (\d+)$/gm);
    // A crash before any summary still counts as a failure.
    results.push({ name: "node tests", passed, failed: code !== 0 && failed === 0 ? 1 : failed });

    if (onlyFiles.length === 0) {
      heading("browser tests");
      try {
        await ensureChromium();
        const database = await createTestDatabase();
        try {
          const e2e = await run("npx", ["playwright", "test"], {
            E2E_DATABASE_URL: database.url,
            CI: "true",
          });
          const e2ePassed = lastNumber(e2e.output, /^\s*(\d+) passed/gm);
          const e2eFailed = lastNumber(e2e.output, /^\s*(\d+) (?:failed|flaky|interrupted)/gm);
          results.push({
            name: "browser tests",
            passed: e2ePassed,
            failed: e2e.code !== 0 && e2eFailed === 0 ? 1 : e2eFailed,
          });
        } finally {
          await database.drop();
        }
      } catch (error) {
        process.stdout.write(`${error instanceof Error ? error.message : String(error)}\n`);
        results.push({ name: "browser tests", passed: 0, failed: 1 });
      }
    }
  } finally {
    await postgres.stop();
  }

  heading("summary");
  for (const result of results) {
    if (result.skipped) {
      process.stdout.write(`⚠ ${result.name}: skipped, ${result.skipped.reason}\n`);
      continue;
    }
    process.stdout.write(
      `${result.failed === 0 ? "✔" : "✖"} ${result.name}: ${result.passed} passed, ${result.failed} failed\n`,
    );
  }
  const passed = results.reduce((sum, result) => sum + result.passed, 0);
  const failed = results.reduce((sum, result) => sum + result.failed, 0);
  // The last line stays exactly "N passed, N failed" for CI; a skipped step says so on its own line above.
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  return failed === 0 ? 0 : 1;
}

async function lockfileStep(): Promise<StepResult> {
  const name = "lockfile";
  heading(name);
  const outcome = await checkLockfile();
  for (const line of outcome.lines) process.stdout.write(`${line}\n`);
  if (outcome.kind === "skipped") {
    return { name, passed: 0, failed: 0, skipped: { count: 1, reason: outcome.lines.join("; ") } };
  }
  return { name, passed: outcome.kind === "passed" ? 1 : 0, failed: outcome.kind === "failed" ? 1 : 0 };
}

async function dependencyAudit(): Promise<StepResult> {
  const name = "dependency audit";
  heading(name);
  const outcome = await auditDependencies();
  for (const line of outcome.lines) process.stdout.write(`${line}\n`);
  if (outcome.kind === "unavailable") {
    return { name, passed: 0, failed: 0, skipped: { count: 1, reason: outcome.lines.join("; ") } };
  }
  return { name, passed: outcome.kind === "passed" ? 1 : 0, failed: outcome.kind === "failed" ? 1 : 0 };
}

async function check(name: string, command: string, args: string[]): Promise<StepResult> {
  heading(name);
  const { code } = await run(command, args);
  return { name, passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1 };
}

function run(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: projectRoot,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const tee = (stream: NodeJS.WriteStream) => (chunk: Buffer) => {
      output += chunk.toString();
      stream.write(chunk);
    };
    child.stdout.on("data", tee(process.stdout));
    child.stderr.on("data", tee(process.stderr));
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

function findTestFiles(directories: string[]): string[] {
  const found: string[] = [];
  const walk = (directory: string) => {
    for (const entry of readdirSync(path.join(projectRoot, directory), { withFileTypes: true })) {
      const relative = path.join(directory, entry.name);
      if (entry.isDirectory() && entry.name !== "generated") walk(relative);
      else if (entry.isFile() && entry.name.endsWith(".test.ts")) found.push(relative);
    }
  };
  for (const directory of directories) walk(directory);
  return found.sort();
}

function lastNumber(text: string, pattern: RegExp): number {
  const matches = [...text.matchAll(pattern)];
  return matches.length > 0 ? Number(matches[matches.length - 1]?.[1]) : 0;
}

function heading(title: string) {
  process.stdout.write(`\n── ${title} ${"─".repeat(Math.max(0, 60 - title.length))}\n`);
}

runTests()
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    process.stdout.write(
      `test run failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.stdout.write(`0 passed, 1 failed\n`);
    process.exit(1);
  });
