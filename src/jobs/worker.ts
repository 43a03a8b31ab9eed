// The background worker: graphile-worker on the same Postgres. Jobs receive ids, reload what they
// need and are safe to run twice. Several worker processes may drain one queue.

import { type Runner, run, runMigrations, type TaskList, Logger as WorkerLogger } from "graphile-worker";
import pg from "pg";
import { z } from "zod";
import { purgeExpiredApplicantSessions } from "../applicantSessions.js";
import type { Logger } from "../logger.js";
import {
  createMailThrottle,
  deliverDueEmails,
  type MailDeliveryDependencies,
  recoverInterruptedEmails,
} from "../mail/outbox.js";
import { createSynapseAdmin } from "../matrix/synapseAdmin.js";
import { purgeExpiredOidcRequests } from "../security/oidc.js";
import { purgeExpiredPasskeyChallenges } from "../security/passkeys.js";
import { purgeExpiredSessions } from "../sessions.js";
import type { JobDependencies } from "./dependencies.js";
import { issueRegistrationToken } from "./issueRegistrationToken.js";
import { postStaffRoomNoticeJob, ZStaffRoomNoticePayload } from "./postStaffRoomNotice.js";
import { purgeAbandonedDrafts } from "./purgeAbandonedDrafts.js";
import { purgeDecidedCases } from "./purgeDecidedCases.js";
import { purgeExpiredLinkTokens } from "./purgeExpiredLinkTokens.js";
import { purgeOldCspViolations } from "./purgeOldCspViolations.js";
import { sendMatrixIdProof, ZSendMatrixIdProofPayload } from "./sendMatrixIdProof.js";
import {
  sendReferenceRequestMessage,
  ZSendReferenceRequestMessagePayload,
} from "./sendReferenceRequestMessage.js";
import { sendReminders } from "./sendReminders.js";
import { sendRequestedLink, ZSendRequestedLinkPayload } from "./sendRequestedLink.js";
import { sendStaffDigests } from "./sendStaffDigests.js";
import { sweepUploadsVolume } from "./sweepUploads.js";

/** Installs or upgrades the queue's own schema (graphile_worker); safe to run concurrently. */
export async function installJobQueue(connectionString: string, logger: Logger): Promise<void> {
  await bootstrapJobQueueSchema(connectionString);
  await runMigrations({ connectionString, logger: workerLogger(logger) });
  await planAddJobsForEachCall(connectionString);
}

/**
 * graphile-worker's add_jobs (behind every add_job) first clears the key of a locked job with the same
 * key: `UPDATE _private_jobs … FROM unnest(specs) WHERE jobs.key = spec.job_key`. PL/pgSQL caches that
 * statement's generic plan per connection, made with the table's statistics at the time; planned while
 * the queue was nearly empty, it scans the whole jobs table, and keeps doing so on that connection as
 * the queue grows until the next autoanalyze happens to replan it. Every email job of an application
 * then read every waiting job: with the relay down or the worker behind (or none, as in npm run bench)
 * the write path slowed with the backlog, by half over 7 000 waiting jobs (docs/performance.md). A plan
 * made for each call looks the key up in its unique index whatever the backlog (about 0.1 ms of planning).
 * Set on graphile-worker's function after its migrations, on every start, since an upgrade that
 * replaces the function drops the setting (src/jobs/addJobPlan.test.ts checks both).
 */
export const ADD_JOBS_PLAN_SETTING = `
  ALTER FUNCTION graphile_worker.add_jobs(graphile_worker.job_spec[], boolean)
    SET plan_cache_mode = force_custom_plan`;

async function planAddJobsForEachCall(connectionString: string): Promise<void> {
  // Only when missing: two processes altering the same function at once can fail with "tuple
  // concurrently updated" (and the lock keeps them apart).
  await underJobQueueLock(connectionString, async (client) => {
    const { rows } = await client.query<{ isSet: boolean }>(
      `SELECT coalesce('plan_cache_mode=force_custom_plan' = ANY(proconfig), false) AS "isSet" FROM pg_proc
        WHERE oid = 'graphile_worker.add_jobs(graphile_worker.job_spec[], boolean)'::regprocedure`,
    );
    if (!rows[0]?.isSet) await client.query(ADD_JOBS_PLAN_SETTING);
  });
}

/** `work` in a transaction of its own, holding the lock that keeps processes starting together apart. */
async function underJobQueueLock(
  connectionString: string,
  work: (client: pg.Client) => Promise<void>,
): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock(hashtext('vetting-portal: job queue bootstrap'))");
    await work(client);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    await client.end();
  }
}

/** graphile-worker's own bootstrap statement (installSchema() in its dist/migrate.js), verbatim. */
export const JOB_QUEUE_BOOTSTRAP = `
create schema if not exists graphile_worker;
create table if not exists graphile_worker.migrations(
  id int primary key,
  ts timestamptz default now() not null
);
alter table graphile_worker.migrations add column if not exists breaking boolean not null default false;
`;

/**
 * On a database without the queue, graphile-worker learns that its schema is missing by reading its
 * migrations table and catching "relation does not exist": Postgres logs that failed statement as an
 * ERROR, the first line a newcomer's first `npm start` would show in red. So when the table is absent
 * we run graphile-worker's bootstrap ourselves first (under a lock, so that processes starting together
 * do not race on CREATE SCHEMA); it then finds no migration applied and applies them all, as before.
 */
async function bootstrapJobQueueSchema(connectionString: string): Promise<void> {
  await underJobQueueLock(connectionString, async (client) => {
    const { rows } = await client.query<{ isInstalled: boolean }>(
      `SELECT to_regclass('graphile_worker.migrations') IS NOT NULL AS "isInstalled"`,
    );
    if (!rows[0]?.isInstalled) await client.query(JOB_QUEUE_BOOTSTRAP);
  });
}

export function taskList(deps: MailDeliveryDependencies): TaskList {
  // One admin client per worker; null when no homeserver is configured (the job then only warns).
  const synapse = deps.config.matrix ? createSynapseAdmin(deps.config.matrix) : null;
  return {
    deliver_email: async (payload) => {
      const { outboxMessageId } = ZDeliverEmailPayload.parse(payload);
      await deliverDueEmails(deps, outboxMessageId);
    },
    issue_registration_token: async (payload) => {
      const { registrationTokenId } = ZIssueRegistrationTokenPayload.parse(payload);
      await issueRegistrationToken({ ...deps, synapse }, registrationTokenId);
    },
    post_staff_room_notice: async (payload) => {
      await postStaffRoomNoticeJob(deps, ZStaffRoomNoticePayload.parse(payload));
    },
    send_matrix_id_proof: async (payload) => {
      await sendMatrixIdProof(deps, ZSendMatrixIdProofPayload.parse(payload));
    },
    send_reference_request_message: async (payload) => {
      await sendReferenceRequestMessage(deps, ZSendReferenceRequestMessagePayload.parse(payload));
    },
    send_requested_link: async (payload) => {
      await sendRequestedLink(deps, ZSendRequestedLinkPayload.parse(payload));
    },
    recover_interrupted_emails: async () => {
      await recoverInterruptedEmails(deps);
    },
    purge_expired_link_tokens: () => purgeExpiredLinkTokens(deps),
    purge_expired_rate_limits: async () => {
      // rate-limiter-flexible stores expiry as epoch milliseconds.
      const count = await deps.db.rateLimit.deleteMany({ where: { expire: { lt: BigInt(Date.now()) } } });
      if (count.count > 0) deps.logger.debug({ count: count.count }, "purged expired rate-limit counters");
    },
    purge_expired_sessions: async () => {
      const count = await purgeExpiredSessions(deps.db, deps.config);
      if (count > 0) deps.logger.info({ count }, "purged expired staff sessions");
      const applicantCount = await purgeExpiredApplicantSessions(deps.db, deps.config);
      if (applicantCount > 0)
        deps.logger.info({ count: applicantCount }, "purged expired applicant sessions");
      // Passkey challenges nobody answered within their five minutes.
      const challengeCount = await purgeExpiredPasskeyChallenges(deps.db);
      if (challengeCount > 0)
        deps.logger.debug({ count: challengeCount }, "purged expired passkey challenges");
      // Single sign-on round trips nobody finished within their ten minutes.
      const oidcCount = await purgeExpiredOidcRequests(deps.db);
      if (oidcCount > 0) deps.logger.debug({ count: oidcCount }, "purged expired single sign-on requests");
    },
    send_staff_digests: async (payload) => {
      await sendStaffDigests(deps, cronTick(payload));
    },
    // The name of the new-case digest before digests were per person: a job of that name still queued
    // sends today's digests.
    send_new_case_digest: async (payload) => {
      await sendStaffDigests(deps, cronTick(payload));
    },
    purge_decided_cases: () => purgeDecidedCases(deps),
    purge_abandoned_drafts: async () => {
      await purgeAbandonedDrafts(deps);
    },
    send_reminders: async () => {
      await sendReminders(deps);
    },
    purge_old_csp_violations: async () => {
      await purgeOldCspViolations(deps);
    },
    sweep_uploads: async () => {
      await sweepUploadsVolume(deps);
    },
  };
}

const ZDeliverEmailPayload = z.object({ outboxMessageId: z.uuid() });
const ZIssueRegistrationTokenPayload = z.object({ registrationTokenId: z.uuid() });
const ZCronPayload = z.object({ _cron: z.object({ ts: z.string() }) });

/** Cron jobs carry the tick they are for; a job added by hand is for now. */
function cronTick(payload: unknown): Date {
  const tick = ZCronPayload.safeParse(payload);
  return tick.success ? new Date(tick.data._cron.ts) : new Date();
}

export interface Worker {
  /** Waits for running jobs, then closes the worker's connections. */
  stop(): Promise<void>;
}

export async function startWorker(options: {
  connectionString: string;
  concurrency: number;
  deps: JobDependencies;
}): Promise<Worker> {
  // Our own pool, so that its connections are ended before the database stops, and so that a
  // connection the server terminates is logged rather than crashing the process. TLS comes from the
  // URL, as everywhere. Unlike the web's pools it has no connection or query timeout, on purpose:
  // graphile-worker 0.17 retries marking a job done or failed only after errors it knows (ETIMEDOUT,
  // serialization failures); any other failure there ends the process (an unhandled rejection) or
  // stops the worker ("queue is in an inconsistent state"), so a timeout of ours would turn a database
  // that stopped answering for a while into a dead worker. Waiting costs no request anything here; the
  // jobs' own queries (deps.db) do time out, and a job that failed so is retried later
  // (src/drills/postgresPaused.test.ts pauses the server under a worker).
  const pgPool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.concurrency + 2,
    application_name: "vetting-portal-worker",
  });
  const onConnectionError = (error: Error) =>
    options.deps.logger.warn({ err: error }, "job queue connection lost");
  pgPool.on("error", onConnectionError);
  pgPool.on("connect", (client) => client.on("error", onConnectionError));
  let runner: Runner;
  try {
    // Rows a previous worker left half-delivered go back to the queue before anything else.
    await recoverInterruptedEmails(options.deps);
    runner = await startRunner(pgPool, options);
  } catch (error) {
    await pgPool.end();
    throw error;
  }
  return {
    async stop() {
      await runner.stop();
      await pgPool.end();
    },
  };
}

function startRunner(
  pgPool: pg.Pool,
  options: { concurrency: number; deps: JobDependencies },
): Promise<Runner> {
  return run({
    pgPool,
    concurrency: options.concurrency,
    noHandleSignals: true, // main.ts owns shutdown
    // Fetch jobs in batches and complete them in batches: far fewer queries per job under load.
    preset: { worker: { localQueue: { size: options.concurrency * 2 }, completeJobBatchDelay: 0 } },
    pollInterval: 1_000,
    logger: workerLogger(options.deps.logger),
    taskList: taskList({
      ...options.deps,
      throttle: createMailThrottle(pgPool, options.deps.config.mail.maxPerMinute),
    }),
    crontab: [
      "* * * * * recover_interrupted_emails",
      "*/15 * * * * purge_expired_sessions",
      "7 * * * * purge_expired_rate_limits",
      "0 3 * * * purge_expired_link_tokens",
      "30 3 * * * purge_decided_cases",
      "40 3 * * * purge_abandoned_drafts",
      "0 7 * * * send_reminders",
      "45 3 * * * purge_old_csp_violations",
      "*/15 * * * * sweep_uploads",
      `0 ${options.deps.config.cases.digestHour} * * * send_staff_digests`,
    ].join("\n"),
  });
}

function workerLogger(logger: Logger): WorkerLogger {
  const jobsLogger = logger.child({ category: "jobs" });
  return new WorkerLogger(() => (level, message, meta) => {
    const method =
      level === "error" ? "error" : level === "warning" ? "warn" : level === "info" ? "info" : "debug";
    jobsLogger[method](meta ?? {}, message);
  });
}
