// Reads for one's own profile page: the signed-in sessions still open, how many recovery codes are
// left unused, and one's own Matrix ID and phone.
import type { Database } from "../db.js";

export async function findProfileFacts(db: Database, staffUserId: string) {
  const [sessions, unusedRecoveryCodes, contactDetails] = await Promise.all([
    db.staffSession.findMany({
      where: { staffUserId, authenticatedAt: { not: null }, expiresAt: { gt: new Date() } },
      orderBy: { lastSeenAt: "desc" },
      select: { id: true, createdAt: true, lastSeenAt: true, ipAddress: true, userAgent: true },
    }),
    db.recoveryCode.count({ where: { staffUserId, usedAt: null } }),
    db.staffUser.findUniqueOrThrow({ where: { id: staffUserId }, select: { matrixId: true, phone: true } }),
  ]);
  return { sessions, unusedRecoveryCodes, contactDetails };
}
export type ProfileFacts = Awaited<ReturnType<typeof findProfileFacts>>;
