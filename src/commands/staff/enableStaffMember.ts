// An admin enables a disabled account again. Only an account that had finished setting up (password
// and authenticator) can be enabled; one whose invitation was rejected or revoked cannot sign in
// anyway and stays disabled. Enabling gives the account its role back, so for a deciding role (inviting
// admin and up) it becomes a request that a second admin approves (decideRoleChange.ts), like a raise.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Database } from "../../db.js";
import { conflict } from "../../errors.js";
import { type Actor, authorize, canManageAccount, enablingNeedsApproval } from "../../policies/staff.js";
import { hasFinishedSetup, lockStaffUserForCommand } from "../../queries/staffRoleChanges.js";
import { requestRoleChange } from "./roleChangeRequests.js";

/** A catalog id: the page translates it. */
export const CANNOT_ENABLE_MESSAGE = "staff.refusal.cannotEnable";

/** "requested": enabling waits for approval; "enabled": the account may sign in again now. */
export type EnableOutcome = "requested" | "enabled";

export async function enableStaffMember(
  db: Database,
  options: { actor: Actor & { name: string }; staffUserId: string; audit: AuditActor; now?: Date },
): Promise<EnableOutcome> {
  const now = options.now ?? new Date();
  return db.$transaction(async (tx) => {
    const target = await lockStaffUserForCommand(tx, options.staffUserId);
    authorize(canManageAccount(options.actor, target), "You may not enable this account.");
    if (target.status !== "DISABLED" || !hasFinishedSetup(target)) throw conflict(CANNOT_ENABLE_MESSAGE);
    if (enablingNeedsApproval(target.role)) {
      await requestRoleChange(tx, {
        requester: options.actor,
        person: target,
        toRole: target.role,
        isReenable: true,
        audit: options.audit,
        now,
      });
      return "requested";
    }
    // Conditional like every state change; the row lock already keeps the check above true.
    const { count } = await tx.staffUser.updateMany({
      where: { id: target.id, status: "DISABLED" },
      data: { status: "ACTIVE", disabledAt: null },
    });
    if (count !== 1) throw conflict(CANNOT_ENABLE_MESSAGE);
    await recordAudit(tx, options.audit, "staff.enabled", { type: "staff_user", id: target.id });
    return "enabled";
  });
}
