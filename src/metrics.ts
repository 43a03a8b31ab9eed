// Prometheus metrics, served by GET /metrics (routes/health/metrics.ts). Three sources:
//
//   this process's events   counted where they happen (evidence uploads, sign-in failures, CSP reports)
//                           or read from the request limiter's tallies, plus Node's process metrics.
//                           Per instance: sum() them over instances.
//   this app's requests     a duration histogram by method, route pattern and status (the app's own
//                           registry, so tests that build several apps in one process do not collide).
//   the shared database     the outbox, the job queue, the evidence stored, registration tokens, and two
//                           totals kept in the audit log (tokens the homeserver refused, orphan evidence
//                           files the sweep removed), read at scrape time with one statement. Every
//                           instance reports the same values: max() them, never sum(). A worker-only
//                           process has no /metrics, and still what its jobs did shows here.
//   this host and config    the instance's readiness (the checks /readyz makes), the last successful
//                           backup (the file scripts/backup writes in BACKUP_DIR), security.txt's expiry.
//
// Route labels are the router's patterns (/staff/cases/:id), never raw paths: ids and link tokens must
// not become labels, and the number of series must stay bounded.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Database } from "./db.js";
import {
  rateLimitInsuranceDecisionCount,
  rateLimitRefusalCount,
  rateLimitStoreFailureCount,
} from "./security/requestLimits.js";

const PREFIX = "vetting_portal_";

// ── This process's events ──────────────────────────────────────────────────────────────────────
// One registry per process, not prom-client's global default, created on first use so that importing
// this module (every command does, indirectly) starts no event-loop or GC observers.
let processMetrics: ReturnType<typeof createProcessMetrics> | undefined;

function createProcessMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    uploadsAccepted: new Counter({
      name: `${PREFIX}evidence_uploads_accepted_total`,
      help: "Evidence uploads accepted (one per request, however many files it carried).",
      registers: [registry],
    }),
    uploadsRefused: new Counter({
      name: `${PREFIX}evidence_uploads_refused_total`,
      help: "Evidence uploads refused, by reason (case_full, payload_too_large, unsupported_media_type, bad_request, conflict, forbidden, rate_limited, …).",
      labelNames: ["reason"] as const,
      registers: [registry],
    }),
    signInFailures: new Counter({
      name: `${PREFIX}sign_in_failures_total`,
      help: "Failed staff sign-in steps, by reason and stage.",
      labelNames: ["reason", "stage"] as const,
      registers: [registry],
    }),
    cspReports: new Counter({
      name: `${PREFIX}csp_reports_received_total`,
      help: "CSP violation reports received (each report of a batch counts).",
      registers: [registry],
    }),
    rateLimitRefusals: new Counter({
      name: `${PREFIX}rate_limit_refusals_total`,
      help: "Requests refused by the request limits (429).",
      registers: [registry],
      collect() {
        this.reset();
        this.inc(rateLimitRefusalCount());
      },
    }),
    rateLimitLocalDecisions: new Counter({
      name: `${PREFIX}rate_limit_local_decisions_total`,
      help: "Requests the in-memory limiter decided because the shared counter store had failed.",
      registers: [registry],
      collect() {
        this.reset();
        this.inc(rateLimitInsuranceDecisionCount());
      },
    }),
    rateLimitStoreFailures: new Counter({
      name: `${PREFIX}rate_limit_store_failures_total`,
      help: "Times the shared rate-limit store failed or did not answer within RATE_LIMIT_STORE_TIMEOUT_MS (the in-memory limiter then decided).",
      registers: [registry],
      collect() {
        this.reset();
        this.inc(rateLimitStoreFailureCount());
      },
    }),
  };
}

function processMetricsOf(): ReturnType<typeof createProcessMetrics> {
  processMetrics ??= createProcessMetrics();
  return processMetrics;
}

/** An evidence upload was accepted and its files stored. */
export function countEvidenceUploadAccepted(): void {
  processMetricsOf().uploadsAccepted.inc();
}

/** An evidence upload was refused; `reason` is an error id (errors.ts) or "case_full": a bounded set. */
export function countEvidenceUploadRefused(reason: string): void {
  processMetricsOf().uploadsRefused.inc({ reason });
}

export function countSignInFailure(reason: string, stage: string): void {
  processMetricsOf().signInFailures.inc({ reason, stage });
}

export function countCspReports(received: number): void {
  processMetricsOf().cspReports.inc(received);
}

// ── This app's requests and the shared database ───────────────────────────────────────────────

/** Written by scripts/backup in BACKUP_DIR when a backup completes: "<Unix time> <folder name>". */
export const BACKUP_LAST_SUCCESS_FILE = "last-success";
/** Written beside it when the backup's off-site copy (restic) completes: "<Unix time> <stamp> <snapshot>". */
export const BACKUP_LAST_OFFSITE_SUCCESS_FILE = "last-offsite-success";

/** The readiness checks as /readyz made them (routes/health/readiness.ts). */
export const READINESS_CHECKS = ["database", "migrations", "uploads", "uploads_room", "mail"] as const;

/** What one scrape reads besides this process's own counters. */
export interface ScrapeSources {
  db: Database;
  /** true: the instance is fit to serve (/readyz 200), degraded or not. */
  isReady: boolean;
  /** Each readiness check: passing or not. */
  readinessChecks: Record<(typeof READINESS_CHECKS)[number], boolean> & {
    /** clamd answers; absent when scanning is off (EVIDENCE_SCAN=off): nothing to report then. */
    scanner?: boolean;
  };
  /** BACKUP_DIR; null: not set, and the backup gauge is left out. */
  backupDir: string | null;
  /** security.txt's Expires; null: no security.txt is served. */
  securityTxtExpiresAt: Date | null;
}

export interface AppMetrics {
  /** Observed by middleware/requestMetrics.ts once a response is decided. */
  httpRequestDuration: Histogram<"method" | "route" | "status">;
  /** The Prometheus text of everything above; the database part is left out when it cannot be read. */
  scrape(sources: ScrapeSources): Promise<string>;
  readonly contentType: string;
}

interface DatabaseSnapshot {
  outbox: Record<string, number> | null;
  oldest_queued_seconds: number | null;
  jobs_ready: bigint;
  jobs_scheduled: bigint;
  jobs_running: bigint;
  jobs_failed: bigint;
  jobs_oldest_ready_seconds: number | null;
  evidence_files: bigint;
  evidence_bytes: bigint;
  registration_tokens: Record<string, number> | null;
  registration_tokens_retrying: bigint;
  registration_token_failures: bigint;
  orphan_files_removed: bigint;
}

const OUTBOX_STATUSES = ["QUEUED", "SENDING", "SENT", "FAILED", "CANCELLED"] as const;
const REGISTRATION_TOKEN_STATES = ["PENDING", "CREATED", "FAILED", "REVOKED"] as const;

// One statement, every part bounded: the outbox count reads its (status, nextAttemptAt) index, jobs
// live in the queue table only until they are done, evidence_files holds one row per stored file,
// registration_tokens one per token issued, and the two audit totals read the (action, occurredAt)
// index for actions that are rare by nature (the audit log is append-only, so they only grow).
const DATABASE_SNAPSHOT_QUERY = `
SELECT
  (SELECT json_object_agg(status, n) FROM (
     SELECT status::text AS status, count(*) AS n FROM outbox_messages GROUP BY status) AS counts) AS outbox,
  (SELECT extract(epoch FROM now() - min("createdAt"))::float8
     FROM outbox_messages WHERE status = 'QUEUED') AS oldest_queued_seconds,
  jobs.ready AS jobs_ready, jobs.scheduled AS jobs_scheduled,
  jobs.running AS jobs_running, jobs.failed AS jobs_failed,
  jobs.oldest_ready_seconds AS jobs_oldest_ready_seconds,
  evidence.files AS evidence_files, evidence.bytes AS evidence_bytes,
  (SELECT json_object_agg(state, n) FROM (
     SELECT state::text AS state, count(*) AS n FROM registration_tokens GROUP BY state) AS counts)
    AS registration_tokens,
  (SELECT count(*) FROM registration_tokens WHERE state = 'PENDING' AND attempts > 0)
    AS registration_tokens_retrying,
  (SELECT count(*) FROM audit_events WHERE action = 'matrix_token.failed') AS registration_token_failures,
  (SELECT coalesce(sum((details->>'files')::bigint), 0)::bigint
     FROM audit_events WHERE action = 'evidence.orphans_removed') AS orphan_files_removed
FROM
  (SELECT count(*) FILTER (WHERE is_available AND run_at <= now()) AS ready,
          count(*) FILTER (WHERE is_available AND run_at > now()) AS scheduled,
          count(*) FILTER (WHERE locked_at IS NOT NULL) AS running,
          count(*) FILTER (WHERE attempts >= max_attempts) AS failed,
          extract(epoch FROM now() - min(run_at) FILTER (WHERE is_available AND run_at <= now()))::float8
            AS oldest_ready_seconds
     FROM graphile_worker._private_jobs) AS jobs,
  (SELECT count(*) AS files, coalesce(sum("sizeBytes"), 0)::bigint AS bytes FROM evidence_files) AS evidence`;

export function createAppMetrics(): AppMetrics {
  const registry = new Registry();
  const httpRequestDuration = new Histogram({
    name: `${PREFIX}http_request_duration_seconds`,
    help: "HTTP requests by method, route pattern and status, with their duration (its _count is the number of requests).",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120],
    registers: [registry],
  });
  const databaseUp = new Gauge({
    name: `${PREFIX}metrics_database_up`,
    help: "1 when this scrape could read the database metrics (outbox, jobs, evidence, registration tokens); 0 leaves them out.",
    registers: [registry],
  });
  const ready = new Gauge({
    name: `${PREFIX}ready`,
    help: "1 when this instance is fit to serve (/readyz answers 200, degraded or not), else 0.",
    registers: [registry],
  });
  const readinessCheckOk = new Gauge({
    name: `${PREFIX}readiness_check_ok`,
    help: "Each check /readyz makes, 1 when it passes: database, migrations, uploads (writable) are required; uploads_room, mail and scanner (clamd, only while scanning is on) only degrade.",
    labelNames: ["check"] as const,
    registers: [registry],
  });

  // Reported only where configured: a value made up for a missing setting would mislead.
  const backupRegistry = new Registry();
  const backupLastSuccess = new Gauge({
    name: `${PREFIX}backup_last_success_timestamp_seconds`,
    help: "When scripts/backup last completed (Unix time, from BACKUP_DIR/last-success; 0 when none is recorded). Same on every instance of a host.",
    registers: [backupRegistry],
  });
  // Only where an off-site copy has ever been made: a host without one has nothing to report.
  const offsiteRegistry = new Registry();
  const backupLastOffsiteSuccess = new Gauge({
    name: `${PREFIX}backup_offsite_last_success_timestamp_seconds`,
    help: "When scripts/backup last copied a backup off the host with restic (Unix time, from BACKUP_DIR/last-offsite-success). Same on every instance of a host.",
    registers: [offsiteRegistry],
  });
  const securityTxtRegistry = new Registry();
  const securityTxtExpiry = new Gauge({
    name: `${PREFIX}security_txt_expiry_timestamp_seconds`,
    help: "The Expires of /.well-known/security.txt (Unix time, SECURITY_TXT_EXPIRES).",
    registers: [securityTxtRegistry],
  });

  // Filled in per scrape and exposed only when the read succeeded: a stale value would mislead.
  const databaseRegistry = new Registry();
  const outboxEmails = new Gauge({
    name: `${PREFIX}outbox_emails`,
    help: "Emails in the outbox by status (queued, sending, sent, failed, cancelled). Shared: same on every instance.",
    labelNames: ["status"] as const,
    registers: [databaseRegistry],
  });
  const oldestQueued = new Gauge({
    name: `${PREFIX}outbox_oldest_queued_age_seconds`,
    help: "Age of the oldest email still queued (0 when none is). Shared: same on every instance.",
    registers: [databaseRegistry],
  });
  const jobs = new Gauge({
    name: `${PREFIX}job_queue_jobs`,
    help: "Jobs in the queue: ready (waiting for a worker), scheduled (later), running, failed (no attempts left).",
    labelNames: ["state"] as const,
    registers: [databaseRegistry],
  });
  const evidenceFiles = new Gauge({
    name: `${PREFIX}evidence_files_stored`,
    help: "Evidence files stored. Shared: same on every instance.",
    registers: [databaseRegistry],
  });
  const evidenceBytes = new Gauge({
    name: `${PREFIX}evidence_stored_bytes`,
    help: "Bytes of evidence stored. Shared: same on every instance.",
    registers: [databaseRegistry],
  });
  const oldestReadyJob = new Gauge({
    name: `${PREFIX}job_queue_oldest_ready_age_seconds`,
    help: "How long the oldest job that is due has waited for a worker (0 when none waits). Shared: same on every instance.",
    registers: [databaseRegistry],
  });
  const registrationTokens = new Gauge({
    name: `${PREFIX}registration_tokens`,
    help: "Matrix registration tokens by state (pending, created, failed, revoked). Shared: same on every instance.",
    labelNames: ["state"] as const,
    registers: [databaseRegistry],
  });
  const registrationTokensRetrying = new Gauge({
    name: `${PREFIX}registration_tokens_retrying`,
    help: "Pending registration tokens whose creation on the homeserver failed at least once and is being retried. Shared: same on every instance.",
    registers: [databaseRegistry],
  });
  const registrationTokenFailures = new Counter({
    name: `${PREFIX}registration_token_failures_total`,
    help: "Registration tokens the homeserver refused for good (audit log: matrix_token.failed). Shared: same on every instance.",
    registers: [databaseRegistry],
  });
  const orphanFilesRemoved = new Counter({
    name: `${PREFIX}evidence_orphan_files_removed_total`,
    help: "Stored evidence files that no row referred to, removed by the uploads sweep (audit log: evidence.orphans_removed). Shared: same on every instance.",
    registers: [databaseRegistry],
  });

  async function readDatabase(db: Database): Promise<boolean> {
    try {
      const [snapshot] = await db.$queryRawUnsafe<DatabaseSnapshot[]>(DATABASE_SNAPSHOT_QUERY);
      if (!snapshot) return false;
      for (const status of OUTBOX_STATUSES) {
        outboxEmails.set({ status: status.toLowerCase() }, Number(snapshot.outbox?.[status] ?? 0));
      }
      oldestQueued.set(Math.max(0, snapshot.oldest_queued_seconds ?? 0));
      jobs.set({ state: "ready" }, Number(snapshot.jobs_ready));
      jobs.set({ state: "scheduled" }, Number(snapshot.jobs_scheduled));
      jobs.set({ state: "running" }, Number(snapshot.jobs_running));
      jobs.set({ state: "failed" }, Number(snapshot.jobs_failed));
      oldestReadyJob.set(Math.max(0, snapshot.jobs_oldest_ready_seconds ?? 0));
      evidenceFiles.set(Number(snapshot.evidence_files));
      evidenceBytes.set(Number(snapshot.evidence_bytes));
      for (const state of REGISTRATION_TOKEN_STATES) {
        registrationTokens.set(
          { state: state.toLowerCase() },
          Number(snapshot.registration_tokens?.[state] ?? 0),
        );
      }
      registrationTokensRetrying.set(Number(snapshot.registration_tokens_retrying));
      registrationTokenFailures.reset();
      registrationTokenFailures.inc(Number(snapshot.registration_token_failures));
      orphanFilesRemoved.reset();
      orphanFilesRemoved.inc(Number(snapshot.orphan_files_removed));
      return true;
    } catch {
      return false;
    }
  }

  return {
    httpRequestDuration,
    contentType: registry.contentType,
    async scrape(sources) {
      const isDatabaseRead = await readDatabase(sources.db);
      databaseUp.set(isDatabaseRead ? 1 : 0);
      ready.set(sources.isReady ? 1 : 0);
      for (const check of READINESS_CHECKS) {
        readinessCheckOk.set({ check }, sources.readinessChecks[check] ? 1 : 0);
      }
      const { scanner } = sources.readinessChecks;
      if (scanner === undefined) readinessCheckOk.remove({ check: "scanner" });
      else readinessCheckOk.set({ check: "scanner" }, scanner ? 1 : 0);
      const parts = [await processMetricsOf().registry.metrics(), await registry.metrics()];
      if (isDatabaseRead) parts.push(await databaseRegistry.metrics());
      if (sources.backupDir !== null) {
        backupLastSuccess.set((await readBackupMarker(sources.backupDir, BACKUP_LAST_SUCCESS_FILE)) ?? 0);
        parts.push(await backupRegistry.metrics());
        const offsite = await readBackupMarker(sources.backupDir, BACKUP_LAST_OFFSITE_SUCCESS_FILE);
        if (offsite !== null) {
          backupLastOffsiteSuccess.set(offsite);
          parts.push(await offsiteRegistry.metrics());
        }
      }
      if (sources.securityTxtExpiresAt !== null) {
        securityTxtExpiry.set(sources.securityTxtExpiresAt.getTime() / 1000);
        parts.push(await securityTxtRegistry.metrics());
      }
      return `${parts.map((part) => part.trimEnd()).join("\n")}\n`;
    },
  };
}

/**
 * The Unix time scripts/backup wrote when its last backup completed. A file in the backup folder rather
 * than a database row: the backup unit writes that folder anyway (its sandbox allows it and the uploads
 * folder, nothing else), every web unit of the host can read it (ProtectSystem=strict leaves /srv
 * readable; same user), and the record lives beside the backups it speaks of, with no table, migration
 * or database write in a script that otherwise only reads. Null when the file is missing, unreadable
 * or holds no time: for the local backup that is reported as 0 (no backup this portal can vouch for,
 * which the backup alert then reports); the off-site marker is then left out.
 */
async function readBackupMarker(backupDir: string, file: string): Promise<number | null> {
  try {
    const text = await readFile(path.join(backupDir, file), "utf8");
    const seconds = /^(\d{1,12})(?:\s|$)/.exec(text)?.[1];
    return seconds === undefined ? null : Number(seconds);
  } catch {
    return null;
  }
}
