// Reads for one's own profile page: the signed-in sessions still open, how many recovery codes are
// left unused, one's own Matrix ID and phone (and single sign-on link), and one's passkeys.
import type { Database } from "../db.js";

export async function findProfileFacts(db: Database, staffUserId: string) {
  const [sessions, unusedRecoveryCodes, contactDetails, passkeys] = await Promise.all([
    db.staffSession.findMany({
      where: { staffUserId, authenticatedAt: { not: null }, expiresAt: { gt: new Date() } },
      orderBy: { lastSeenAt: "desc" },
      select: { id: true, createdAt: true, lastSeenAt: true, ipAddress: true, userAgent: true },
    }),
    db.recoveryCode.count({ where: { staffUserId, usedAt: null } }),
    db.staffUser.findUniqueOrThrow({
      where: { id: staffUserId },
      select: { matrixId: true, phone: true, oidcIssuer: true, oidcLinkedAt: true },
    }),
    findPasskeysOf(db, staffUserId),
  ]);
  return { sessions, unusedRecoveryCodes, contactDetails, passkeys };
}
export type ProfileFacts = Awaited<ReturnType<typeof findProfileFacts>>;

/** A person's passkeys, the oldest first (their own profile page, and their page for admins). */
export function findPasskeysOf(db: Database, staffUserId: string) {
  return db.staffPasskey.findMany({
    where: { staffUserId },
    orderBy: { createdAt: "asc" },
    select: { id: true, name: true, createdAt: true, lastUsedAt: true, isBackedUp: true },
  });
}
