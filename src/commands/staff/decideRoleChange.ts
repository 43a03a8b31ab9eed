// A second admin decides a role change that waits for approval (four eyes on promotions). Approving
// applies it only while the account is as it was when the change was asked for (it still holds
// fromRole; for an enabling, it is still disabled and finished setting up): otherwise the request is
// moot, is marked CANCELLED (committed), and the approver is told. An applied change ends the person's
// sessions, like any role change. Rejecting records the note.
// The person's row is locked first, as every command that changes a role or status does, and the
// decision is a conditional update on PENDING: when two admins decide at once, exactly one decision is
// written and the other gets a conflict.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Database } from "../../db.js";
import { conflict, notFound } from "../../errors.js";
import { type Actor, authorize, canDecideRoleChange } from "../../policies/staff.js";
import { hasFinishedSetup, lockStaffUserForCommand } from "../../queries/staffRoleChanges.js";
import { endSessionsOf } from "../../sessions.js";
import { cancelPendingRoleChange } from "./roleChangeRequests.js";

/** Catalog ids, like every refusal here: the page translates them. */
export const ROLE_CHANGE_DECIDED_MESSAGE = "staff.refusal.roleChangeDecided";

export const ROLE_CHANGE_MOOT_MESSAGE = "staff.refusal.roleChangeMoot";

export async function decideRoleChange(
  db: Database,
  options: {
    roleChangeId: string;
    decision: "approve" | "reject";
    note: string | null;
    decider: Actor;
    audit: AuditActor;
    now?: Date;
  },
): Promise<{ isReenable: boolean }> {
  const now = options.now ?? new Date();
  const outcome = await db.$transaction(async (tx) => {
    const staffUserId = (
      await tx.staffRoleChange.findUnique({
        where: { id: options.roleChangeId },
        select: { staffUserId: true },
      })
    )?.staffUserId;
    if (!staffUserId) throw notFound();
    const person = await lockStaffUserForCommand(tx, staffUserId);
    // Read again under the lock: what another admin decided meanwhile is committed and visible now.
    const change = await tx.staffRoleChange.findUniqueOrThrow({
      where: { id: options.roleChangeId },
      select: {
        id: true,
        staffUserId: true,
        requestedById: true,
        fromRole: true,
        toRole: true,
        isReenable: true,
        status: true,
      },
    });
    authorize(
      canDecideRoleChange(options.decider, change),
      "You may not decide this role change: it needs a different admin with enough authority.",
    );
    if (change.status !== "PENDING") throw conflict(ROLE_CHANGE_DECIDED_MESSAGE);
    const subject = { type: "staff_user", id: person.id };
    const isApproved = options.decision === "approve";
    const stillApplies =
      person.role === change.fromRole &&
      (!change.isReenable || (person.status === "DISABLED" && hasFinishedSetup(person)));
    if (isApproved && !stillApplies) {
      await cancelPendingRoleChange(tx, {
        staffUserId: person.id,
        cancelledBy: options.decider,
        reason: "account_changed",
        audit: options.audit,
        now,
      });
      return "moot" as const;
    }
    const { count } = await tx.staffRoleChange.updateMany({
      where: { id: change.id, status: "PENDING" },
      data: {
        status: isApproved ? "APPROVED" : "REJECTED",
        decidedById: options.decider.id,
        decidedAt: now,
        decisionNote: options.note,
      },
    });
    if (count !== 1) throw conflict(ROLE_CHANGE_DECIDED_MESSAGE);
    if (!isApproved) {
      await recordAudit(tx, options.audit, "staff.role_change_rejected", subject, {
        roleChangeId: change.id,
      });
      return "decided" as const;
    }
    await tx.staffUser.update({
      where: { id: person.id },
      data: change.isReenable ? { status: "ACTIVE", disabledAt: null } : { role: change.toRole },
    });
    const endedSessions = await endSessionsOf(tx, person.id);
    await recordAudit(tx, options.audit, "staff.role_change_approved", subject, {
      roleChangeId: change.id,
      from: change.fromRole,
      to: change.toRole,
      isReenable: change.isReenable,
      endedSessions,
    });
    return change.isReenable ? ("reenabled" as const) : ("decided" as const);
  });
  // After the commit, so that the moot request stays cancelled.
  if (outcome === "moot") throw conflict(ROLE_CHANGE_MOOT_MESSAGE);
  return { isReenable: outcome === "reenabled" };
}
