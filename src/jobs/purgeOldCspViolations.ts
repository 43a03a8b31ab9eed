import type { JobDependencies } from "./dependencies.js";

/** Rows not seen for this long are deleted: a violation that stopped is history nobody reads. */
export const CSP_VIOLATION_RETENTION_DAYS = 90;

const DAY_MS = 24 * 60 * 60 * 1000;

/** Daily: forget CSP violations last seen more than CSP_VIOLATION_RETENTION_DAYS ago. */
export async function purgeOldCspViolations(
  deps: Pick<JobDependencies, "db" | "logger">,
  now = new Date(),
): Promise<number> {
  const cutoff = new Date(now.getTime() - CSP_VIOLATION_RETENTION_DAYS * DAY_MS);
  const { count } = await deps.db.cspViolation.deleteMany({ where: { lastSeenAt: { lt: cutoff } } });
  if (count > 0) deps.logger.info({ count }, "purged old CSP violations");
  return count;
}
