// An admin disables an account within their authority: it can no longer sign in, and every session
// it has ends at once, and a role change still waiting for approval for it is called off, as are the
// four-eyes requests it made itself (callOffRequestsBy.ts). The account
// is kept (never deleted): its history stays attributable.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Database } from "../../db.js";
import { conflict } from "../../errors.js";
import { type Actor, authorize, canManageAccount } from "../../policies/staff.js";
import { lockStaffUserForCommand } from "../../queries/staffRoleChanges.js";
import { endSessionsOf } from "../../sessions.js";
import { callOffRequestsBy } from "./callOffRequestsBy.js";
import { cancelPendingRoleChange } from "./roleChangeRequests.js";

export async function disableStaffMember(
  db: Database,
  options: { actor: Actor; staffUserId: string; audit: AuditActor; now?: Date },
): Promise<void> {
  const now = options.now ?? new Date();
  await db.$transaction(async (tx) => {
    const target = await lockStaffUserForCommand(tx, options.staffUserId);
    authorize(canManageAccount(options.actor, target), "You may not disable this account.");
    const { count } = await tx.staffUser.updateMany({
      where: { id: target.id, status: { not: "DISABLED" } },
      data: { status: "DISABLED", disabledAt: now },
    });
    if (count !== 1) throw conflict("staff.refusal.alreadyDisabled");
    const endedSessions = await endSessionsOf(tx, target.id);
    await recordAudit(
      tx,
      options.audit,
      "staff.disabled",
      { type: "staff_user", id: target.id },
      { previousStatus: target.status, endedSessions },
    );
    await cancelPendingRoleChange(tx, {
      staffUserId: target.id,
      cancelledBy: options.actor,
      reason: "disabled",
      audit: options.audit,
      now,
    });
    await callOffRequestsBy(tx, {
      requesterId: target.id,
      roleNow: null,
      actor: options.actor,
      audit: options.audit,
      now,
    });
  });
}
