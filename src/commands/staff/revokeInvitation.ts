// Withdraws an invitation that is waiting for approval or out but not yet accepted: the invitation is
// REVOKED, the account DISABLED (kept for the record), every link already mailed stops working, and
// mail not yet delivered is cancelled.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Database } from "../../db.js";
import { conflict, notFound } from "../../errors.js";
import { type Actor, authorize, canRevokeInvitation } from "../../policies/staff.js";
import { endSessionsOf } from "../../sessions.js";
import { withdrawInvitationLinks } from "./invitationEmails.js";

export async function revokeInvitation(
  db: Database,
  options: { invitationId: string; actor: Actor; audit: AuditActor; now?: Date },
): Promise<void> {
  const now = options.now ?? new Date();
  await db.$transaction(async (tx) => {
    const invitation = await tx.staffInvitation.findUnique({
      where: { id: options.invitationId },
      select: { id: true, status: true, invitee: { select: { id: true, role: true } } },
    });
    if (!invitation) throw notFound();
    authorize(
      canRevokeInvitation(options.actor, { status: invitation.status, role: invitation.invitee.role }),
      "Only an invitation not yet accepted can be revoked, by an admin who may invite that role.",
    );
    const { count } = await tx.staffInvitation.updateMany({
      where: { id: invitation.id, status: { in: ["PENDING_APPROVAL", "SENT"] } },
      data: { status: "REVOKED" },
    });
    if (count !== 1) throw conflict("staff.refusal.invitationChanged");
    await tx.staffUser.update({
      where: { id: invitation.invitee.id },
      data: { status: "DISABLED", disabledAt: now },
    });
    await endSessionsOf(tx, invitation.invitee.id);
    const withdrawnLinks = await withdrawInvitationLinks(tx, invitation.id, now);
    const { count: cancelledEmails } = await tx.outboxMessage.updateMany({
      where: { linkSubjectType: "staff_invitation", linkSubjectId: invitation.id, status: "QUEUED" },
      data: { status: "CANCELLED" },
    });
    await recordAudit(
      tx,
      options.audit,
      "staff.invitation_revoked",
      { type: "staff_user", id: invitation.invitee.id },
      { invitationId: invitation.id, previousStatus: invitation.status, withdrawnLinks, cancelledEmails },
    );
  });
}
