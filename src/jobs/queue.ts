// Jobs are added with graphile-worker's SQL function inside the caller's transaction: if the
// transaction rolls back, the job never existed; if it commits, a worker will run it.
import type { Transaction } from "../db.js";

export interface JobPayloads {
  send_superadmin_welcome: { staffUserId: string };
}

export async function enqueueJob<Name extends keyof JobPayloads>(
  tx: Transaction,
  name: Name,
  payload: JobPayloads[Name],
  options: { jobKey?: string; maxAttempts?: number } = {},
): Promise<void> {
  await tx.$executeRaw`SELECT graphile_worker.add_job(
    ${name}::text,
    ${JSON.stringify(payload)}::json,
    job_key => ${options.jobKey ?? null}::text,
    max_attempts => ${options.maxAttempts ?? 25}::int
  )`;
}
