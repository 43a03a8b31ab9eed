import type { JobDependencies } from "./dependencies.js";

const KEEP_EXPIRED_FOR_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * Daily: forget link tokens that expired unused a week ago (their hashes serve nobody). Used tokens
 * stay as the record of what was done with them.
 */
export async function purgeExpiredLinkTokens(deps: JobDependencies, now = new Date()): Promise<void> {
  const { count } = await deps.db.linkToken.deleteMany({
    where: { usedAt: null, expiresAt: { lt: new Date(now.getTime() - KEEP_EXPIRED_FOR_MS) } },
  });
  if (count > 0) deps.logger.info({ count }, "purged expired link tokens");
}
