// Runs queued jobs of one task the way a worker would (through the worker's own task list), for tests
// that have no worker running. Other tasks' jobs stay queued (deliver_email: see deliverQueuedEmails).
import type { Config } from "../config.js";
import type { Database } from "../db.js";
import { taskList } from "../jobs/worker.js";
import type { Logger } from "../logger.js";
import { createMailRelay } from "../mail/relay.js";
import { testViews } from "./views.js";

/** Runs every queued job of the task, oldest first, and removes it as graphile-worker would; returns how many ran. */
export async function runQueuedJobs(
  testApp: { config: Config; db: Database; logger: Logger },
  task: string,
): Promise<number> {
  // These jobs send no mail themselves; the relay points at the discard port and is never used.
  const relay = createMailRelay(
    {
      host: "127.0.0.1",
      ports: [9],
      allowPlaintext: true,
      connectionTimeoutMs: 100,
      greetingTimeoutMs: 100,
      socketTimeoutMs: 100,
    },
    testApp.logger,
  );
  try {
    const run = taskList({ ...testApp, views: testViews(), relay, throttle: null })[task];
    if (!run) throw new Error(`no task ${task} in the worker's task list`);
    const jobs = await testApp.db.$queryRaw<{ id: bigint; payload: unknown }[]>`
      SELECT j.id, j.payload FROM graphile_worker._private_jobs j
        JOIN graphile_worker._private_tasks t ON t.id = j.task_id
       WHERE t.identifier = ${task} ORDER BY j.id`;
    for (const job of jobs) {
      await run(job.payload, {} as never);
      await testApp.db.$executeRaw`DELETE FROM graphile_worker._private_jobs WHERE id = ${job.id}`;
    }
    return jobs.length;
  } finally {
    relay.close();
  }
}
