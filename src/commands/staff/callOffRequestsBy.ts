// Four-eyes requests stand on their requester's authority: when an account is disabled, or its role
// lowered below what a request needed, what it asked for and nobody has approved yet is called off
// (CANCELLED, audited). Otherwise a second admin approving it later would be the only person behind
// the promotion or the token. Called in the transaction that disables or lowers the account.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Transaction } from "../../db.js";
import type { StaffRole } from "../../generated/prisma/client.js";
import { canRequestStandaloneToken } from "../../policies/registrationTokens.js";
import { type Actor, canInvite } from "../../policies/staff.js";
import { cancelApprovalEmails } from "../registrationTokens/decideRegistrationTokenRequest.js";
import { TOKEN_REQUEST_SUBJECT } from "../registrationTokens/requestStandaloneRegistrationToken.js";

export async function callOffRequestsBy(
  tx: Transaction,
  options: {
    requesterId: string;
    /** The requester's role from now on; null when the account was disabled. */
    roleNow: StaffRole | null;
    actor: Actor;
    audit: AuditActor;
    now: Date;
  },
): Promise<void> {
  const requester = options.roleNow ? { id: options.requesterId, role: options.roleNow } : null;
  const reason = requester ? "requester_role_lowered" : "requester_disabled";
  const roleChanges = await tx.staffRoleChange.findMany({
    where: { requestedById: options.requesterId, status: "PENDING" },
    select: { id: true, staffUserId: true, toRole: true },
  });
  for (const change of roleChanges) {
    if (requester && canInvite(requester, change.toRole)) continue;
    const { count } = await tx.staffRoleChange.updateMany({
      where: { id: change.id, status: "PENDING" },
      data: { status: "CANCELLED", decidedById: options.actor.id, decidedAt: options.now },
    });
    if (count !== 1) continue;
    await recordAudit(
      tx,
      options.audit,
      "staff.role_change_cancelled",
      { type: "staff_user", id: change.staffUserId },
      { roleChangeId: change.id, reason },
    );
  }
  if (requester && canRequestStandaloneToken(requester)) return;
  const tokenRequests = await tx.registrationTokenRequest.findMany({
    where: { requestedById: options.requesterId, status: "PENDING" },
    select: { id: true },
  });
  for (const request of tokenRequests) {
    const { count } = await tx.registrationTokenRequest.updateMany({
      where: { id: request.id, status: "PENDING" },
      data: { status: "CANCELLED", decidedById: options.actor.id, decidedAt: options.now },
    });
    if (count !== 1) continue;
    await cancelApprovalEmails(tx, request.id);
    await recordAudit(
      tx,
      options.audit,
      "matrix_token.request_cancelled",
      { type: TOKEN_REQUEST_SUBJECT, id: request.id },
      { reason },
    );
  }
}
