// A new email for an invitation that is out but not yet accepted (lost, expired, or the account's
// two-step sign-in was reset). Earlier links are withdrawn at the same moment: only the newest email
// works, so a forgotten message in an old mailbox can never open the account. (Link tokens are minted
// when the mail leaves, so the new email's token is not among those withdrawn here.)
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Database } from "../../db.js";
import { conflict, notFound } from "../../errors.js";
import { type Actor, authorize, canResendInvitation } from "../../policies/staff.js";
import { sendInvitationEmail, withdrawInvitationLinks } from "./invitationEmails.js";

export async function resendInvitation(
  db: Database,
  options: { invitationId: string; actor: Actor & { name: string }; audit: AuditActor; now?: Date },
): Promise<void> {
  const now = options.now ?? new Date();
  await db.$transaction(async (tx) => {
    const invitation = await tx.staffInvitation.findUnique({
      where: { id: options.invitationId },
      select: {
        id: true,
        status: true,
        invitee: { select: { id: true, name: true, email: true, role: true, status: true } },
      },
    });
    if (!invitation) throw notFound();
    authorize(
      canResendInvitation(options.actor, { status: invitation.status, role: invitation.invitee.role }),
      "Only an invitation that was sent and not yet accepted can be sent again, by an admin who may invite that role.",
    );
    const { count } = await tx.staffInvitation.updateMany({
      where: { id: invitation.id, status: "SENT" },
      data: { sentAt: now },
    });
    if (count !== 1) throw conflict("staff.refusal.invitationChanged");
    const withdrawnLinks = await withdrawInvitationLinks(tx, invitation.id, now);
    await recordAudit(
      tx,
      options.audit,
      "staff.invitation_resent",
      { type: "staff_user", id: invitation.invitee.id },
      { invitationId: invitation.id, withdrawnLinks },
    );
    await sendInvitationEmail(tx, {
      id: invitation.id,
      invitee: invitation.invitee,
      inviterName: options.actor.name,
    });
  });
}
