// The invitee accepts by linking their single sign-on identity instead of choosing a password and an
// authenticator: in one transaction the invitation link is consumed (exactly one of two racing answers
// wins), the identity (issuer + subject) is stored on the account, which becomes ACTIVE with no password,
// the invitation ACCEPTED, both audit rows are written, the owner is emailed, and a full session starts.
// An identity already linked to another account links nothing (the unique index says so).
//
// Where two-step sign-in is required, only a sign-in the provider says used more than one factor (amr)
// may link: the account has no second factor of its own here to fall back on.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Config } from "../../config.js";
import type { Database } from "../../db.js";
import { Prisma } from "../../generated/prisma/client.js";
import { type OidcIdentity, provesSecondFactor } from "../../security/oidc.js";
import { startSession } from "../../sessions.js";
import { consumeLinkToken } from "../../tokens.js";
import { sendCredentialsChangedEmail } from "../signIn/credentialsChangedEmail.js";

export type SsoInvitationResult =
  | { kind: "accepted"; staffUserId: string; sessionToken: string }
  | { kind: "link_unusable" }
  | { kind: "identity_taken" }
  | { kind: "no_second_factor" };

export async function acceptInvitationWithSso(
  db: Database,
  options: {
    config: Config;
    token: string;
    /** The account the round trip was started for: the link must still lead to it. */
    staffUserId: string;
    identity: OidcIdentity;
    audit: AuditActor;
    replacingSessionId: string | null;
    now?: Date;
  },
): Promise<SsoInvitationResult> {
  const now = options.now ?? new Date();
  const { identity } = options;
  if (options.config.staff.requireSecondFactor && !provesSecondFactor(identity.authenticationMethods)) {
    return { kind: "no_second_factor" };
  }
  try {
    return await db.$transaction(async (tx): Promise<SsoInvitationResult> => {
      const link = await consumeLinkToken(tx, "staff_invitation", options.token, now);
      if (link.status !== "valid" || link.subject?.type !== "staff_invitation") {
        throw new LinkUnusable();
      }
      const accepted = await tx.staffInvitation.updateManyAndReturn({
        where: {
          id: link.subject.id,
          status: "SENT",
          inviteeId: options.staffUserId,
          invitee: { status: "INVITED" },
        },
        data: { status: "ACCEPTED", acceptedAt: now },
        select: { id: true, inviteeId: true },
      });
      const invitation = accepted[0];
      if (!invitation) throw new LinkUnusable();
      const staffUserId = invitation.inviteeId;
      await tx.staffUser.update({
        where: { id: staffUserId },
        data: {
          status: "ACTIVE",
          oidcIssuer: identity.issuer,
          oidcSubject: identity.subject,
          oidcLinkedAt: now,
          lastSignInAt: now,
          disabledAt: null,
        },
      });
      const subject = { type: "staff_user", id: staffUserId };
      const audit = { ...options.audit, staffUserId };
      await recordAudit(tx, audit, "staff.invitation_accepted", subject, {
        invitationId: invitation.id,
        linkTokenId: link.id,
        via: "sso",
      });
      await recordAudit(tx, audit, "staff.sso_linked", subject, {
        issuer: identity.issuer,
        subject: identity.subject,
        by: "invitation",
      });
      await sendCredentialsChangedEmail(tx, { staffUserId, change: "sso_linked", changedAt: now });
      const session = await startSession(tx, {
        config: options.config,
        staffUserId,
        isAuthenticated: true,
        replacing: options.replacingSessionId,
        ipAddress: options.audit.ipAddress,
        userAgent: options.audit.userAgent,
        now,
      });
      await recordAudit(tx, audit, "staff.signed_in", subject, {
        method: "sso_multi_factor",
        amr: identity.authenticationMethods.join(" ").slice(0, 100),
        sessionId: session.sessionId,
      });
      return { kind: "accepted", staffUserId, sessionToken: session.token };
    });
  } catch (error) {
    if (error instanceof LinkUnusable) return { kind: "link_unusable" };
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
      return { kind: "identity_taken" };
    }
    throw error;
  }
}

class LinkUnusable extends Error {}
