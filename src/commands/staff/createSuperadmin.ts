// Creates a superadmin, either through the first-superadmin setup link (consumed in the same
// transaction, so a link works exactly once even when two requests race) or from a terminal by someone
// with access to the server. The account starts as INVITED with an invitation to itself: the person
// then chooses a password and enrols an authenticator on the invitation page, exactly as every invited
// staff member does, so no password ever passes through a terminal or a temporary form. The audit row
// and the notice email are written in the same transaction.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Database } from "../../db.js";
import { conflict } from "../../errors.js";
import { Prisma } from "../../generated/prisma/client.js";
import { staffInvitation } from "../../mail/messages/staffInvitation.js";
import { enqueueEmail } from "../../mail/outbox.js";
import { consumeLinkToken, issueLinkToken } from "../../tokens.js";

export interface TNewSuperadmin {
  name: string;
  /** Already normalised (lower-cased) by the form schema. */
  email: string;
}

export class SetupLinkUnusableError extends Error {
  constructor() {
    super("The setup link is invalid, expired or already used.");
  }
}

export async function createSuperadmin(
  db: Database,
  options: { person: TNewSuperadmin; actor: AuditActor; setupToken?: string; now?: Date },
): Promise<{ staffUserId: string; invitationToken: string; invitationExpiresAt: Date }> {
  const now = options.now ?? new Date();
  try {
    return await db.$transaction(async (tx) => {
      let setupLinkId: string | undefined;
      if (options.setupToken !== undefined) {
        const link = await consumeLinkToken(tx, "superadmin_setup", options.setupToken, now);
        if (link.status !== "valid") throw new SetupLinkUnusableError();
        // A setup link creates the *first* superadmin only; later ones are invited by a superadmin.
        if ((await tx.staffUser.count({ where: { role: "SUPERADMIN" } })) > 0)
          throw new SetupLinkUnusableError();
        setupLinkId = link.id;
      }
      const staffUser = await tx.staffUser.create({
        data: {
          name: options.person.name,
          email: options.person.email,
          role: "SUPERADMIN",
          status: "INVITED",
        },
        select: { id: true },
      });
      const invitation = await tx.staffInvitation.create({
        data: { inviteeId: staffUser.id, invitedById: staffUser.id, status: "SENT", sentAt: now },
        select: { id: true },
      });
      // Handed over directly (to the browser that used the setup link, or printed in the terminal)
      // rather than emailed: the person is right here.
      const link = await issueLinkToken(tx, {
        purpose: "staff_invitation",
        subject: { type: "staff_invitation", id: invitation.id },
        lifetimeMs:
          typeof staffInvitation.link?.lifetimeMs === "number"
            ? staffInvitation.link.lifetimeMs
            : 72 * 3_600_000,
        now,
      });
      await recordAudit(
        tx,
        options.actor,
        "staff.superadmin_created",
        { type: "staff_user", id: staffUser.id },
        {
          via: setupLinkId === undefined ? "terminal" : "setup link",
          invitationId: invitation.id,
          ...(setupLinkId === undefined ? {} : { linkTokenId: setupLinkId }),
        },
      );
      await enqueueEmail(tx, {
        kind: "superadmin_welcome",
        recipient: options.person.email,
        payload: { name: options.person.name },
      });
      return { staffUserId: staffUser.id, invitationToken: link.token, invitationExpiresAt: link.expiresAt };
    });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
      throw conflict("A staff account with this email address already exists.");
    }
    throw error;
  }
}
