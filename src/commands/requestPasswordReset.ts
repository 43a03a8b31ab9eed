// A staff member asks for a password-reset link. Only an active account gets one, but the page answers
// the same either way: nobody learns from it whether an address has an account. The link token itself
// is minted by the worker when the mail leaves (see mail/outbox.ts).
import type { AuditActor } from "../audit.js";
import { recordAudit } from "../audit.js";
import type { Database } from "../db.js";
import { enqueueEmail } from "../mail/outbox.js";

export async function requestPasswordReset(
  db: Database,
  options: { email: string; actor: AuditActor },
): Promise<{ sent: boolean }> {
  const email = options.email.trim().toLowerCase();
  const staffUser = await db.staffUser.findUnique({
    where: { email },
    select: { id: true, name: true, email: true, status: true, passwordHash: true },
  });
  // People still to accept their invitation have no password yet: their invitation link is the way in.
  if (staffUser?.status !== "ACTIVE" || !staffUser.passwordHash) return { sent: false };
  await db.$transaction(async (tx) => {
    await enqueueEmail(tx, {
      kind: "password_reset",
      recipient: staffUser.email,
      payload: { staffName: staffUser.name },
      linkSubject: { type: "staff_user", id: staffUser.id },
    });
    await recordAudit(tx, options.actor, "staff.password_reset_requested", {
      type: "staff_user",
      id: staffUser.id,
    });
  });
  return { sent: true };
}
