// A staff member sets a new password through their reset link. One transaction consumes the link (so
// it works once, even against two racing requests), sets the password, ends every session of the
// person, writes the audit row and emails the owner that their password changed, as every change of a
// credential does. The second factor is untouched: signing in still needs it.
import type { AuditActor } from "../../audit.js";
import { recordAudit } from "../../audit.js";
import type { Database } from "../../db.js";
import { endSessionsOf } from "../../sessions.js";
import { consumeLinkToken } from "../../tokens.js";
import { sendCredentialsChangedEmail } from "./credentialsChangedEmail.js";

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
    const now = new Date();
    const { count } = await tx.staffUser.updateMany({
      where: { id: options.staffUserId, status: "ACTIVE" },
      data: { passwordHash: options.passwordHash, passwordChangedAt: now, mustChangePassword: false },
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
    await sendCredentialsChangedEmail(tx, {
      staffUserId: options.staffUserId,
      change: "password_reset",
      changedAt: now,
    });
    return { sessionsEnded };
  });
}
