// The background worker: graphile-worker on the same Postgres. Jobs receive ids, reload what they
// need and are safe to run twice. Several worker processes may drain one queue.
import { type Runner, run, runMigrations, type TaskList, Logger as WorkerLogger } from "graphile-worker";
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

export async function startWorker(options: {
  connectionString: string;
  concurrency: number;
  deps: JobDependencies;
}): Promise<Runner> {
  return run({
    connectionString: options.connectionString,
    concurrency: options.concurrency,
    maxPoolSize: options.concurrency + 2,
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
