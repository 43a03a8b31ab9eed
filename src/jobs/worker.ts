// The background worker: graphile-worker on the same Postgres. Jobs receive ids, reload what they
// need and are safe to run twice. Several worker processes may drain one queue.

import { type Runner, run, runMigrations, type TaskList, Logger as WorkerLogger } from "graphile-worker";
import pg from "pg";
import type { Logger } from "../logger.js";
import type { JobDependencies } from "./dependencies.js";
import { purgeExpiredSetupTokens } from "./purgeExpiredSetupTokens.js";
import { sendSuperadminWelcome } from "./sendSuperadminWelcome.js";

/** Installs or upgrades the queue's own schema (graphile_worker); safe to run concurrently. */
export async function installJobQueue(connectionString: string, logger: Logger): Promise<void> {
  await runMigrations({ connectionString, logger: workerLogger(logger) });
}

export function taskList(deps: JobDependencies): TaskList {
  return {
    send_superadmin_welcome: (payload) => sendSuperadminWelcome(deps, payload),
    purge_expired_setup_tokens: () => purgeExpiredSetupTokens(deps),
  };
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
  // connection the server terminates is logged rather than crashing the process.
  const pgPool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.concurrency + 2,
    application_name: "vetting-portal-worker",
  });
  pgPool.on("error", (error) => options.deps.logger.warn({ err: error }, "job queue connection lost"));
  let runner: Runner;
  try {
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
    pollInterval: 1_000,
    logger: workerLogger(options.deps.logger),
    taskList: taskList(options.deps),
    crontab: "0 3 * * * purge_expired_setup_tokens",
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
