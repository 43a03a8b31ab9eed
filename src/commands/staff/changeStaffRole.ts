// An admin changes someone's role within their own authority. A raise to a deciding role (inviting
// admin and up) does not happen here: it becomes a request that a second admin approves
// (roleChangeRequests.ts, decideRoleChange.ts). Any other change applies at once, calls off a request
// still pending for the person, and ends every session of theirs: the next sign-in starts with the
// new role, never a session carried over.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Database } from "../../db.js";
import type { StaffRole } from "../../generated/prisma/client.js";
import { type Actor, authorize, canManageAccount, roleChangeNeedsApproval } from "../../policies/staff.js";
import { lockStaffUserForCommand } from "../../queries/staffRoleChanges.js";
import { endSessionsOf } from "../../sessions.js";
import { callOffRequestsBy } from "./callOffRequestsBy.js";
import { cancelPendingRoleChange, requestRoleChange } from "./roleChangeRequests.js";

/** "requested": the raise waits for approval; "changed": applied now; "unchanged": the person already held it. */
export type RoleChangeOutcome = "requested" | "changed" | "unchanged";

export async function changeStaffRole(
  db: Database,
  options: {
    actor: Actor & { name: string };
    staffUserId: string;
    newRole: StaffRole;
    audit: AuditActor;
    now?: Date;
  },
): Promise<RoleChangeOutcome> {
  const now = options.now ?? new Date();
  return db.$transaction(async (tx) => {
    const target = await lockStaffUserForCommand(tx, options.staffUserId);
    authorize(
      canManageAccount(options.actor, target, options.newRole),
      "You may not give this person that role.",
    );
    if (target.role === options.newRole) return "unchanged";
    if (roleChangeNeedsApproval(target.role, options.newRole)) {
      await requestRoleChange(tx, {
        requester: options.actor,
        person: target,
        toRole: options.newRole,
        isReenable: false,
        audit: options.audit,
        now,
      });
      return "requested";
    }
    await cancelPendingRoleChange(tx, {
      staffUserId: target.id,
      cancelledBy: options.actor,
      reason: "role_changed",
      audit: options.audit,
      now,
    });
    await tx.staffUser.update({ where: { id: target.id }, data: { role: options.newRole } });
    // What they asked for with the authority they no longer hold waits for nobody now.
    await callOffRequestsBy(tx, {
      requesterId: target.id,
      roleNow: options.newRole,
      actor: options.actor,
      audit: options.audit,
      now,
    });
    const endedSessions = await endSessionsOf(tx, target.id);
    await recordAudit(
      tx,
      options.audit,
      "staff.role_changed",
      { type: "staff_user", id: target.id },
      { from: target.role, to: options.newRole, endedSessions },
    );
    return "changed";
  });
}
