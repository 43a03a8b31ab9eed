// A staff member sets a new password through their reset link. One transaction consumes the link (so
// it works once, even against two racing requests), sets the password, ends every session of the
// person and writes the audit row. The second factor is untouched: signing in still needs it.
import type { AuditActor } from "../audit.js";
import { recordAudit } from "../audit.js";
import type { Database } from "../db.js";
import { endSessionsOf } from "../sessions.js";
import { consumeLinkToken } from "../tokens.js";

export class ResetLinkUnusableError extends Error {
  override readonly name = "ResetLinkUnusableError";
}

export async function resetPassword(
  db: Database,
  options: { token: string; staffUserId: string; passwordHash: string; actor: AuditActor },
): Promise<{ sessionsEnded: number }> {
  return db.$transaction(async (tx) => {
    const link = await consumeLinkToken(tx, "password_reset", options.token);
    if (
      link.status !== "valid" ||
      link.subject?.type !== "staff_user" ||
      link.subject.id !== options.staffUserId
    ) {
      throw new ResetLinkUnusableError(`password reset link is ${link.status}`);
    }
    const { count } = await tx.staffUser.updateMany({
      where: { id: options.staffUserId, status: "ACTIVE" },
      data: { passwordHash: options.passwordHash, passwordChangedAt: new Date() },
    });
    if (count !== 1) throw new ResetLinkUnusableError("the account is not active");
    const sessionsEnded = await endSessionsOf(tx, options.staffUserId);
    await recordAudit(
      tx,
      { ...options.actor, staffUserId: options.staffUserId },
      "staff.password_reset",
      { type: "staff_user", id: options.staffUserId },
      { sessionsEnded },
    );
    return { sessionsEnded };
  });
}
