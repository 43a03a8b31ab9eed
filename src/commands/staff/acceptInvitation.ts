// The invitee accepts: in one transaction the link is consumed (exactly one of two racing requests
// wins), the password and the authenticator are set, the account becomes ACTIVE, the invitation
// ACCEPTED, ten recovery codes are stored (hashed), both audit rows are written and a fully signed-in
// session starts. The recovery codes are returned to be shown once; they are never stored in clear.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Config } from "../../config.js";
import type { Database } from "../../db.js";
import { hashRecoveryCode, newRecoveryCodes } from "../../domain/recoveryCodes.js";
import { sealSecret } from "../../secrets.js";
import { startSession } from "../../sessions.js";
import { consumeLinkToken } from "../../tokens.js";

export class InvitationLinkUnusableError extends Error {
  constructor() {
    super("The invitation link is invalid, expired, already used, or the invitation was withdrawn.");
  }
}

export async function acceptInvitation(
  db: Database,
  options: {
    config: Config;
    token: string;
    passwordHash: string;
    totpSecret: string;
    /** The TOTP step of the code the person typed, from matchTotpCode: that code cannot be used again. */
    totpStep: bigint;
    audit: AuditActor;
    replacingSessionId?: string | null;
    now?: Date;
  },
): Promise<{ staffUserId: string; sessionToken: string; recoveryCodes: string[] }> {
  const now = options.now ?? new Date();
  return db.$transaction(async (tx) => {
    const link = await consumeLinkToken(tx, "staff_invitation", options.token, now);
    if (link.status !== "valid" || link.subject?.type !== "staff_invitation") {
      throw new InvitationLinkUnusableError();
    }
    const accepted = await tx.staffInvitation.updateManyAndReturn({
      where: { id: link.subject.id, status: "SENT", invitee: { status: "INVITED" } },
      data: { status: "ACCEPTED", acceptedAt: now },
      select: { id: true, inviteeId: true },
    });
    const invitation = accepted[0];
    if (!invitation) throw new InvitationLinkUnusableError();
    const staffUserId = invitation.inviteeId;
    await tx.staffUser.update({
      where: { id: staffUserId },
      data: {
        status: "ACTIVE",
        passwordHash: options.passwordHash,
        passwordChangedAt: now,
        totpSecretSealed: sealSecret(options.config.staff.totpKey, options.totpSecret),
        totpEnabledAt: now,
        totpLastUsedStep: options.totpStep,
        lastSignInAt: now,
        disabledAt: null,
      },
    });
    const recoveryCodes = newRecoveryCodes();
    await tx.recoveryCode.deleteMany({ where: { staffUserId } });
    await tx.recoveryCode.createMany({
      data: recoveryCodes.map((code) => ({
        staffUserId,
        codeHash: hashRecoveryCode(options.config.staff.totpKey, code),
        createdAt: now,
      })),
    });
    const subject = { type: "staff_user", id: staffUserId };
    const audit = { ...options.audit, staffUserId };
    await recordAudit(tx, audit, "staff.invitation_accepted", subject, {
      invitationId: invitation.id,
      linkTokenId: link.id,
    });
    await recordAudit(tx, audit, "staff.totp_enrolled", subject, { via: "invitation" });
    const session = await startSession(tx, {
      config: options.config,
      staffUserId,
      isAuthenticated: true,
      replacing: options.replacingSessionId ?? null,
      ipAddress: options.audit.ipAddress,
      userAgent: options.audit.userAgent,
      now,
    });
    return { staffUserId, sessionToken: session.token, recoveryCodes };
  });
}
