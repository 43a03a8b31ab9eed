// A signed-in person changes their password (the route has checked the current one). Every other
// session of theirs ends: whoever might have learned the old password loses access at once.
import { type AuditActor, recordAudit } from "../audit.js";
import type { Database } from "../db.js";
import { endSessionsOf } from "../sessions.js";

export async function changeOwnPassword(
  db: Database,
  options: {
    staffUserId: string;
    currentSessionId: string;
    passwordHash: string;
    audit: AuditActor;
    now?: Date;
  },
): Promise<{ endedSessions: number }> {
  const now = options.now ?? new Date();
  return db.$transaction(async (tx) => {
    await tx.staffUser.update({
      where: { id: options.staffUserId },
      data: { passwordHash: options.passwordHash, passwordChangedAt: now },
    });
    const endedSessions = await endSessionsOf(tx, options.staffUserId, { except: options.currentSessionId });
    await recordAudit(
      tx,
      options.audit,
      "staff.password_changed",
      { type: "staff_user", id: options.staffUserId },
      { via: "profile", endedSessions },
    );
    return { endedSessions };
  });
}
