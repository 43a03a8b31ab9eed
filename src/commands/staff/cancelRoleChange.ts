// The requester withdraws a role change that still waits for approval (or an admin who may decide it
// calls it off). Nothing about the account changes.
import type { AuditActor } from "../../audit.js";
import type { Database } from "../../db.js";
import { conflict, notFound } from "../../errors.js";
import { type Actor, authorize, canCancelRoleChange } from "../../policies/staff.js";
import { lockStaffUserForCommand } from "../../queries/staffRoleChanges.js";
import { ROLE_CHANGE_DECIDED_MESSAGE } from "./decideRoleChange.js";
import { cancelPendingRoleChange } from "./roleChangeRequests.js";

export async function cancelRoleChange(
  db: Database,
  options: { roleChangeId: string; actor: Actor; audit: AuditActor; now?: Date },
): Promise<void> {
  const now = options.now ?? new Date();
  await db.$transaction(async (tx) => {
    const change = await tx.staffRoleChange.findUnique({
      where: { id: options.roleChangeId },
      select: { id: true, staffUserId: true, requestedById: true, toRole: true },
    });
    if (!change) throw notFound();
    authorize(canCancelRoleChange(options.actor, change), "You may not cancel this role change.");
    await lockStaffUserForCommand(tx, change.staffUserId);
    const pending = await tx.staffRoleChange.count({ where: { id: change.id, status: "PENDING" } });
    if (pending !== 1) throw conflict(ROLE_CHANGE_DECIDED_MESSAGE);
    await cancelPendingRoleChange(tx, {
      staffUserId: change.staffUserId,
      cancelledBy: options.actor,
      reason: "withdrawn",
      audit: options.audit,
      now,
    });
  });
}
