// A superadmin resets someone's two-step sign-in (lost phone). The authenticator secret, the recovery
// codes and the password are cleared, every session ends, and the person re-enrols through a new
// invitation link, emailed now (kind staff_invitation): the account is INVITED again until they do.
// Earlier invitation links are withdrawn, so only the new email works. The person is also told, in an
// email of its own, who reset it and when (kind credentials_changed), in case they did not ask for it.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Database } from "../../db.js";
import { conflict, notFound } from "../../errors.js";
import { type Actor, authorize, canResetSecondFactor } from "../../policies/staff.js";
import { endSessionsOf } from "../../sessions.js";
import { sendCredentialsChangedEmail } from "../signIn/credentialsChangedEmail.js";
import { sendInvitationEmail, withdrawInvitationLinks } from "./invitationEmails.js";

export async function resetSecondFactor(
  db: Database,
  options: { actor: Actor & { name: string }; staffUserId: string; audit: AuditActor; now?: Date },
): Promise<void> {
  const now = options.now ?? new Date();
  await db.$transaction(async (tx) => {
    const target = await tx.staffUser.findUnique({
      where: { id: options.staffUserId },
      select: { id: true, name: true, email: true, role: true, status: true },
    });
    if (!target) throw notFound();
    authorize(
      canResetSecondFactor(options.actor, target),
      "Only a superadmin may reset someone’s two-step sign-in.",
    );
    const { count } = await tx.staffUser.updateMany({
      where: { id: target.id, status: "ACTIVE" },
      data: {
        status: "INVITED",
        passwordHash: null,
        totpSecretSealed: null,
        totpEnabledAt: null,
        totpLastUsedStep: null,
      },
    });
    if (count !== 1) throw conflict("staff.refusal.resetNeedsActive");
    const { count: deletedRecoveryCodes } = await tx.recoveryCode.deleteMany({
      where: { staffUserId: target.id },
    });
    // A passkey signs in on its own: one left in place would undo the reset.
    const { count: deletedPasskeys } = await tx.staffPasskey.deleteMany({
      where: { staffUserId: target.id },
    });
    const endedSessions = await endSessionsOf(tx, target.id);
    const invitation = await tx.staffInvitation.upsert({
      where: { inviteeId: target.id },
      create: {
        inviteeId: target.id,
        invitedById: options.actor.id,
        status: "SENT",
        createdAt: now,
        sentAt: now,
      },
      update: { status: "SENT", sentAt: now, acceptedAt: null },
      select: { id: true },
    });
    const withdrawnLinks = await withdrawInvitationLinks(tx, invitation.id, now);
    await recordAudit(
      tx,
      options.audit,
      "staff.totp_reset",
      { type: "staff_user", id: target.id },
      { invitationId: invitation.id, endedSessions, deletedRecoveryCodes, deletedPasskeys, withdrawnLinks },
    );
    await sendCredentialsChangedEmail(tx, {
      staffUserId: target.id,
      change: "second_factor_reset",
      changedAt: now,
      changedBy: options.actor.name,
    });
    await sendInvitationEmail(tx, { id: invitation.id, invitee: target, inviterName: options.actor.name });
  });
}
