// Four eyes on promotions, the parts shared by the commands that change someone's role or status.
// A raise to a deciding role (or enabling an account that holds one) becomes a PENDING request that a
// second admin approves (decideRoleChange.ts); the approvers are emailed in the same transaction. Any
// immediate change to the person's role or status (lowering, disabling, another role) calls a pending
// request off, since it was asked against a role the account no longer holds.
// Callers hold the person's row lock (lockStaffUserForCommand) for the whole transaction.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Transaction } from "../../db.js";
import { conflict } from "../../errors.js";
import type { StaffRole } from "../../generated/prisma/client.js";
import { type Actor, ROLE_LABELS } from "../../policies/staff.js";
import {
  approversOf,
  findApproverCandidates,
  findPendingRoleChangeOf,
} from "../../queries/staffRoleChanges.js";
import { notifyStaff } from "../notifications/notifyStaff.js";

/** A catalog id: the page translates it. */
export const ROLE_CHANGE_PENDING_MESSAGE = "staff.refusal.roleChangePending";

/** Why a pending request was called off, kept in its audit row. */
export type RoleChangeCancelReason = "withdrawn" | "role_changed" | "disabled" | "account_changed";

/** Writes the PENDING request, its audit row and one email per approver; the account is not changed. */
export async function requestRoleChange(
  tx: Transaction,
  options: {
    requester: Actor & { name: string };
    person: { id: string; name: string; role: StaffRole };
    toRole: StaffRole;
    isReenable: boolean;
    audit: AuditActor;
    now: Date;
  },
): Promise<{ roleChangeId: string }> {
  const { requester, person, toRole, isReenable } = options;
  if (await findPendingRoleChangeOf(tx, person.id)) throw conflict(ROLE_CHANGE_PENDING_MESSAGE);
  const roleChange = await tx.staffRoleChange.create({
    data: {
      staffUserId: person.id,
      fromRole: person.role,
      toRole,
      isReenable,
      requestedById: requester.id,
      requestedAt: options.now,
    },
    select: { id: true },
  });
  await recordAudit(
    tx,
    options.audit,
    "staff.role_change_requested",
    { type: "staff_user", id: person.id },
    { roleChangeId: roleChange.id, from: person.role, to: toRole, isReenable },
  );
  const facts = { staffUserId: person.id, requestedById: requester.id, toRole };
  await notifyStaff(tx, {
    notification: {
      kind: "approval_needed",
      recipients: approversOf(await findApproverCandidates(tx, [toRole]), facts),
      email: {
        request: "role_change",
        requesterName: requester.name,
        personName: person.name,
        roleLabel: ROLE_LABELS[toRole].toLowerCase(),
        isReenable,
      },
    },
  });
  return { roleChangeId: roleChange.id };
}

/** Marks the person's pending request (there is at most one) CANCELLED, audited; returns whether there was one. */
export async function cancelPendingRoleChange(
  tx: Transaction,
  options: {
    staffUserId: string;
    cancelledBy: Actor;
    reason: RoleChangeCancelReason;
    audit: AuditActor;
    now: Date;
  },
): Promise<boolean> {
  const pending = await findPendingRoleChangeOf(tx, options.staffUserId);
  if (!pending) return false;
  const { count } = await tx.staffRoleChange.updateMany({
    where: { id: pending.id, status: "PENDING" },
    data: { status: "CANCELLED", decidedById: options.cancelledBy.id, decidedAt: options.now },
  });
  if (count !== 1) return false;
  await recordAudit(
    tx,
    options.audit,
    "staff.role_change_cancelled",
    { type: "staff_user", id: options.staffUserId },
    { roleChangeId: pending.id, reason: options.reason },
  );
  return true;
}
