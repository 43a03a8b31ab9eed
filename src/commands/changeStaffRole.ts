// An admin changes someone's role within their own authority. A privilege change ends every session
// of that person: the next sign-in starts with the new role, never a session carried over.
import { type AuditActor, recordAudit } from "../audit.js";
import type { Database } from "../db.js";
import { notFound } from "../errors.js";
import type { StaffRole } from "../generated/prisma/client.js";
import { type Actor, authorize, canManageAccount } from "../policies/staff.js";
import { endSessionsOf } from "../sessions.js";

export async function changeStaffRole(
  db: Database,
  options: { actor: Actor; staffUserId: string; newRole: StaffRole; audit: AuditActor },
): Promise<void> {
  await db.$transaction(async (tx) => {
    const target = await tx.staffUser.findUnique({
      where: { id: options.staffUserId },
      select: { id: true, role: true },
    });
    if (!target) throw notFound();
    authorize(
      canManageAccount(options.actor, target, options.newRole),
      "You may not give this person that role.",
    );
    if (target.role === options.newRole) return;
    await tx.staffUser.update({ where: { id: target.id }, data: { role: options.newRole } });
    const endedSessions = await endSessionsOf(tx, target.id);
    await recordAudit(
      tx,
      options.audit,
      "staff.role_changed",
      { type: "staff_user", id: target.id },
      { from: target.role, to: options.newRole, endedSessions },
    );
  });
}
