// Prometheus metrics, served by GET /metrics (routes/health/metrics.ts). Three sources:
//
//   this process's events   counted where they happen (evidence uploads, sign-in failures, CSP reports)
//                           or read from the request limiter's tallies, plus Node's process metrics.
//                           Per instance: sum() them over instances.
//   this app's requests     a duration histogram by method, route pattern and status (the app's own
//                           registry, so tests that build several apps in one process do not collide).
//   the shared database     the outbox, the job queue and the evidence stored, read at scrape time with
//                           one statement. Every instance reports the same values: max() them, never sum().
//                           A worker-only process has no /metrics, and still its mail shows here.
//
// Route labels are the router's patterns (/staff/cases/:id), never raw paths: ids and link tokens must
// not become labels, and the number of series must stay bounded.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Database } from "./db.js";
import { rateLimitInsuranceDecisionCount, rateLimitRefusalCount } from "./security/requestLimits.js";

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

export interface AppMetrics {
  /** Observed by middleware/requestMetrics.ts once a response is decided. */
  httpRequestDuration: Histogram<"method" | "route" | "status">;
  /** The Prometheus text of everything above; the database part is left out when it cannot be read. */
  scrape(db: Database): Promise<string>;
  readonly contentType: string;
}

interface DatabaseSnapshot {
  outbox: Record<string, number> | null;
  oldest_queued_seconds: number | null;
  jobs_ready: bigint;
  jobs_scheduled: bigint;
  jobs_running: bigint;
  jobs_failed: bigint;
  evidence_files: bigint;
  evidence_bytes: bigint;
}

const OUTBOX_STATUSES = ["QUEUED", "SENDING", "SENT", "FAILED", "CANCELLED"] as const;

// One statement, every part bounded: the outbox count reads its (status, nextAttemptAt) index, jobs
// live in the queue table only until they are done, evidence_files holds one row per stored file.
const DATABASE_SNAPSHOT_QUERY = `
SELECT
  (SELECT json_object_agg(status, n) FROM (
     SELECT status::text AS status, count(*) AS n FROM outbox_messages GROUP BY status) AS counts) AS outbox,
  (SELECT extract(epoch FROM now() - min("createdAt"))::float8
     FROM outbox_messages WHERE status = 'QUEUED') AS oldest_queued_seconds,
  jobs.ready AS jobs_ready, jobs.scheduled AS jobs_scheduled,
  jobs.running AS jobs_running, jobs.failed AS jobs_failed,
  evidence.files AS evidence_files, evidence.bytes AS evidence_bytes
FROM
  (SELECT count(*) FILTER (WHERE is_available AND run_at <= now()) AS ready,
          count(*) FILTER (WHERE is_available AND run_at > now()) AS scheduled,
          count(*) FILTER (WHERE locked_at IS NOT NULL) AS running,
          count(*) FILTER (WHERE attempts >= max_attempts) AS failed
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
    help: "1 when this scrape could read the database metrics (outbox, jobs, evidence); 0 leaves them out.",
    registers: [registry],
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
      evidenceFiles.set(Number(snapshot.evidence_files));
      evidenceBytes.set(Number(snapshot.evidence_bytes));
      return true;
    } catch {
      return false;
    }
  }

  return {
    httpRequestDuration,
    contentType: registry.contentType,
    async scrape(db) {
      const isDatabaseRead = await readDatabase(db);
      databaseUp.set(isDatabaseRead ? 1 : 0);
      const parts = [await processMetricsOf().registry.metrics(), await registry.metrics()];
      if (isDatabaseRead) parts.push(await databaseRegistry.metrics());
      return `${parts.map((part) => part.trimEnd()).join("\n")}\n`;
    },
  };
}
