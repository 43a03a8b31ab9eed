import type { JobDependencies } from "./dependencies.js";

const KEEP_EXPIRED_FOR_MS = 7 * 24 * 60 * 60 * 1000;

/** Daily: forget setup links that expired unused a week ago. Used ones stay, linked to their account. */
export async function purgeExpiredSetupTokens(deps: JobDependencies, now = new Date()): Promise<void> {
  const { count } = await deps.db.setupToken.deleteMany({
    where: { usedAt: null, expiresAt: { lt: new Date(now.getTime() - KEEP_EXPIRED_FOR_MS) } },
  });
  if (count > 0) deps.logger.info({ count }, "purged expired setup links");
}
