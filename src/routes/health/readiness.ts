// Can this instance serve? One set of checks, asked by /readyz (load balancers, systemd, people) and by
// /metrics (Prometheus, which alerts on it): the database, its migrations and the uploads folder are
// required (a failing one makes /readyz 503); the mail relay and the room left on the uploads volume only
// degrade the instance (still 200): mail waits in the outbox and goes out once the relay is back, and
// with the volume nearly full uploads are refused (507, nothing kept) while everything else works, so
// taking the instance out of the balancer would help nobody. The same holds for the virus scanner
// (clamd): while it cannot be reached, uploads are refused with 503 and nothing else is affected; with
// scanning turned off (EVIDENCE_SCAN=off) the check says so, so that nobody mistakes it for scanned.
import { randomUUID } from "node:crypto";
import { rm, statfs, writeFile } from "node:fs/promises";
import path from "node:path";
import type { AppDependencies } from "../../appDependencies.js";
import {
  APPLIED_MIGRATIONS_QUERY,
  localMigrationNames,
  unappliedMigrations,
} from "../../database/migrations.js";
import { formatBytes } from "../../domain/fileSize.js";
import { createRelayProbe } from "../../mail/relayProbe.js";
import { createMalwareScanner } from "../../storage/scanForMalware.js";

const CHECK_TIMEOUT_MS = 3_000;
/** The relay's greeting must come within this (or its configured timeouts, when shorter). */
const RELAY_PROBE_TIMEOUT_MS = 2_000;
/** A relay probe's answer is reused this long (balancers and scrapers ask often). */
const RELAY_PROBE_CACHE_MS = 10_000;

type CheckResult = "ok" | string;

/** The scanner check's answer with EVIDENCE_SCAN=off: not a failure, but never to be mistaken for "ok". */
export const SCANNING_OFF = "off: uploads are not scanned for malware (EVIDENCE_SCAN=off)";

/** What /readyz answers (and /metrics reports as vetting_portal_ready and _readiness_check_ok). */
export interface ReadinessReport {
  /**
   * "maintenance": fit to serve, but read-only (MAINTENANCE_READ_ONLY): still 200, so that balancers keep
   * sending people to the pages they can read and the refusal page that says until when.
   */
  status: "ready" | "degraded" | "maintenance" | "not ready";
  /** Required checks that fail: the instance must not be sent requests. */
  failing: string[];
  /** Checks that fail without making the instance unfit to serve. */
  degraded: string[];
  checks: { database: string; migrations: string; uploads: string; mail: string; scanner: string };
}

export interface ReadinessCheck {
  check(): Promise<ReadinessReport>;
}

export function createReadinessCheck(deps: AppDependencies): ReadinessCheck {
  const expectedMigrations = localMigrationNames();
  const relay = deps.config.mail.relay;
  // In development mail goes to the in-process catcher: there is no relay to be unreachable.
  const relayProbe = relay
    ? createRelayProbe(relay, {
        timeoutMs: Math.min(
          RELAY_PROBE_TIMEOUT_MS,
          deps.config.mail.timeouts.connectionMs + deps.config.mail.timeouts.greetingMs,
        ),
        cacheMs: RELAY_PROBE_CACHE_MS,
      })
    : null;
  // Said in the log when it changes, not on every probe of a balancer.
  let wasMailDegraded = false;
  let wasScannerDegraded = false;
  const malwareScan = deps.config.evidence.malwareScan;
  const scanner = malwareScan
    ? createMalwareScanner(malwareScan.clamd, {
        timeoutMs: Math.min(CHECK_TIMEOUT_MS, malwareScan.timeoutMs),
      })
    : null;

  return {
    async check() {
      const relayCheck = relayProbe?.check() ?? null;
      const scannerCheck = scanner?.isReachable() ?? null;
      const database = await withTimeout(checkDatabase(deps));
      const migrations =
        database === "ok" ? await withTimeout(checkMigrations(deps, expectedMigrations)) : "skipped";
      const uploads = await withTimeout(checkUploadsWritable(deps.config.uploadsDir));
      const uploadsRoom = uploads === "ok" ? await withTimeout(checkUploadsRoom(deps)) : "ok";
      const relayResult = await relayCheck;
      const mail: CheckResult = relayResult?.isReachable === false ? "degraded: relay unreachable" : "ok";
      if ((mail !== "ok") !== wasMailDegraded) {
        wasMailDegraded = mail !== "ok";
        if (relayResult?.isReachable === false) {
          deps.logger.warn(
            { detail: relayResult.detail },
            "readiness: mail relay unreachable, mail waits in the outbox",
          );
        } else deps.logger.info("readiness: mail relay reachable again");
      }
      const isScannerReachable = await scannerCheck;
      const scannerResult: CheckResult = !scanner
        ? SCANNING_OFF
        : isScannerReachable
          ? "ok"
          : `degraded: clamd unreachable (${scanner.description}), uploads are refused`;
      if ((isScannerReachable === false) !== wasScannerDegraded) {
        wasScannerDegraded = isScannerReachable === false;
        if (wasScannerDegraded)
          deps.logger.warn(
            { clamd: scanner?.description },
            "readiness: the virus scanner cannot be reached, uploads are refused",
          );
        else deps.logger.info("readiness: the virus scanner answers again");
      }
      const required = { database, migrations, uploads };
      const failing = Object.entries(required)
        .filter(([, result]) => result !== "ok")
        .map(([name]) => name);
      const degraded = [
        ...(uploadsRoom === "ok" ? [] : ["uploads"]),
        ...(mail === "ok" ? [] : ["mail"]),
        ...(isScannerReachable === false ? ["scanner"] : []),
      ];
      return {
        status:
          failing.length > 0
            ? "not ready"
            : deps.config.maintenance.isReadOnly
              ? "maintenance"
              : degraded.length > 0
                ? "degraded"
                : "ready",
        failing,
        degraded,
        checks: {
          ...required,
          uploads: uploads === "ok" ? uploadsRoom : uploads,
          mail,
          scanner: scannerResult,
        },
      };
    },
  };
}

async function checkDatabase(deps: AppDependencies): Promise<CheckResult> {
  try {
    await deps.db.$queryRaw`SELECT 1`;
    return "ok";
  } catch (error) {
    deps.logger.warn({ err: error }, "readiness: database unreachable");
    return "unreachable";
  }
}

async function checkMigrations(deps: AppDependencies, expected: string[]): Promise<CheckResult> {
  try {
    const rows = await deps.db.$queryRawUnsafe<{ migration_name: string }[]>(APPLIED_MIGRATIONS_QUERY);
    const missing = unappliedMigrations(
      rows.map((row) => row.migration_name),
      expected,
    );
    return missing.length === 0 ? "ok" : `${missing.length} migration(s) not applied`;
  } catch (error) {
    deps.logger.warn({ err: error }, "readiness: migrations table unreadable");
    return "not applied";
  }
}

async function checkUploadsWritable(uploadsDir: string): Promise<CheckResult> {
  // access(W_OK) says yes to root even on a read-only mount: write a real probe file instead.
  const probe = path.join(uploadsDir, `.readyz-${randomUUID()}`);
  try {
    await writeFile(probe, "", { mode: 0o600 });
    await rm(probe, { force: true });
    return "ok";
  } catch {
    return "not writable";
  }
}

async function checkUploadsRoom(deps: AppDependencies): Promise<CheckResult> {
  const { maxFileBytes, maxFilesPerUpload } = deps.config.evidence;
  const largestUpload = maxFileBytes * maxFilesPerUpload;
  try {
    const volume = await statfs(deps.config.uploadsDir);
    const freeBytes = volume.bavail * volume.bsize;
    if (freeBytes >= largestUpload) return "ok";
    return `degraded: ${formatBytes(freeBytes)} free, less than one upload may take (${formatBytes(largestUpload)})`;
  } catch {
    return "ok"; // writable, as checked just before; how full it is cannot be told here
  }
}

async function withTimeout(check: Promise<CheckResult>): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve("timed out"), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
