// The invitation email and its links, shared by the commands that send, resend, withdraw or reissue
// an invitation. Links are minted when the email leaves (see the outbox), so withdrawing the unused
// ones before sending again leaves exactly one working link: the newest.
import type { Transaction } from "../../db.js";
import type { StaffRole } from "../../generated/prisma/client.js";
import { enqueueEmail } from "../../mail/outbox.js";
import { ROLE_LABELS } from "../../policies/staff.js";

export async function sendInvitationEmail(
  tx: Transaction,
  invitation: { id: string; invitee: { name: string; email: string; role: StaffRole }; inviterName: string },
): Promise<void> {
  await enqueueEmail(tx, {
    kind: "staff_invitation",
    recipient: invitation.invitee.email,
    payload: {
      inviteeName: invitation.invitee.name,
      inviterName: invitation.inviterName,
      roleLabel: ROLE_LABELS[invitation.invitee.role],
    },
    linkSubject: { type: "staff_invitation", id: invitation.id },
  });
}

/** Marks every unused link of an invitation used; returns how many were still open. */
export async function withdrawInvitationLinks(
  tx: Transaction,
  invitationId: string,
  now: Date,
): Promise<number> {
  const { count } = await tx.linkToken.updateMany({
    where: {
      purpose: "staff_invitation",
      subjectType: "staff_invitation",
      subjectId: invitationId,
      usedAt: null,
    },
    data: { usedAt: now },
  });
  return count;
}
