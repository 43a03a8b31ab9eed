// A signed-in person changes their password (the route has checked the current one). Every other
// session of theirs ends: whoever might have learned the old password loses access at once. This
// session goes on under a new id and token (a token copied before the change stops working), and the
// owner is emailed, in case it was not them.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Database } from "../../db.js";
import { endSessionsOf, renewSession } from "../../sessions.js";
import { sendCredentialsChangedEmail } from "./credentialsChangedEmail.js";

export async function changeOwnPassword(
  db: Database,
  options: {
    staffUserId: string;
    currentSessionId: string;
    passwordHash: string;
    audit: AuditActor;
    now?: Date;
  },
): Promise<{ endedSessions: number; session: { token: string; sessionId: string } }> {
  const now = options.now ?? new Date();
  return db.$transaction(async (tx) => {
    await tx.staffUser.update({
      where: { id: options.staffUserId },
      data: { passwordHash: options.passwordHash, passwordChangedAt: now, mustChangePassword: false },
    });
    const endedSessions = await endSessionsOf(tx, options.staffUserId, { except: options.currentSessionId });
    const session = await renewSession(tx, { sessionId: options.currentSessionId, now });
    await recordAudit(
      tx,
      options.audit,
      "staff.password_changed",
      { type: "staff_user", id: options.staffUserId },
      { via: "profile", endedSessions, sessionId: session.sessionId },
    );
    await sendCredentialsChangedEmail(tx, {
      staffUserId: options.staffUserId,
      change: "password",
      changedAt: now,
    });
    return { endedSessions, session };
  });
}
