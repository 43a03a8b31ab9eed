// A second admin decides an invitation that waits for approval (four eyes). Approving sends it (the
// email is enqueued in the same transaction); rejecting closes it and disables the account, which is
// kept for the record. The decision is a conditional update on PENDING_APPROVAL, so when two admins
// decide at once exactly one decision is written; the other gets a conflict.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Database } from "../../db.js";
import { conflict, notFound } from "../../errors.js";
import { type Actor, authorize, canDecideInvitation } from "../../policies/staff.js";
import { sendInvitationEmail } from "./invitationEmails.js";

/** A catalog id, like every refusal here: the page translates it. */
export const ALREADY_DECIDED_MESSAGE = "staff.refusal.invitationDecided";

export async function decideInvitation(
  db: Database,
  options: {
    invitationId: string;
    decision: "approve" | "reject";
    note: string | null;
    decider: Actor;
    audit: AuditActor;
    now?: Date;
  },
): Promise<void> {
  const now = options.now ?? new Date();
  await db.$transaction(async (tx) => {
    const invitation = await tx.staffInvitation.findUnique({
      where: { id: options.invitationId },
      select: {
        id: true,
        invitedById: true,
        invitedBy: { select: { name: true } },
        invitee: { select: { id: true, name: true, email: true, role: true } },
      },
    });
    if (!invitation) throw notFound();
    authorize(
      canDecideInvitation(options.decider, {
        invitedById: invitation.invitedById,
        role: invitation.invitee.role,
      }),
      "You may not decide this invitation: it needs a different admin with enough authority.",
    );
    const isApproved = options.decision === "approve";
    const { count } = await tx.staffInvitation.updateMany({
      where: { id: invitation.id, status: "PENDING_APPROVAL" },
      data: {
        status: isApproved ? "SENT" : "REJECTED",
        decidedById: options.decider.id,
        decidedAt: now,
        decisionNote: options.note,
        sentAt: isApproved ? now : null,
      },
    });
    if (count !== 1) throw conflict(ALREADY_DECIDED_MESSAGE);
    const subject = { type: "staff_user", id: invitation.invitee.id };
    if (isApproved) {
      await tx.staffUser.update({ where: { id: invitation.invitee.id }, data: { status: "INVITED" } });
      await recordAudit(tx, options.audit, "staff.invitation_approved", subject, {
        invitationId: invitation.id,
        note: options.note,
      });
      await sendInvitationEmail(tx, {
        id: invitation.id,
        invitee: invitation.invitee,
        inviterName: invitation.invitedBy.name,
      });
    } else {
      await tx.staffUser.update({
        where: { id: invitation.invitee.id },
        data: { status: "DISABLED", disabledAt: now },
      });
      await recordAudit(tx, options.audit, "staff.invitation_rejected", subject, {
        invitationId: invitation.id,
        note: options.note,
      });
    }
  });
}
