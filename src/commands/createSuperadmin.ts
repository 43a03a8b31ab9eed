// Creates a superadmin, either through a setup link (consumed in the same transaction, so a link works
// exactly once even when two requests race) or from a terminal by someone with access to the server.
// Writes the audit row and enqueues the welcome email in the same transaction.
import { type AuditActor, recordAudit } from "../audit.js";
import type { Database } from "../db.js";
import { conflict } from "../errors.js";
import { Prisma } from "../generated/prisma/client.js";
import { enqueueEmail } from "../mail/outbox.js";
import { consumeLinkToken } from "../tokens.js";

export interface TNewSuperadmin {
  name: string;
  /** Already normalised (lower-cased) by the form schema. */
  email: string;
  passwordHash: string;
}

export class SetupLinkUnusableError extends Error {
  constructor() {
    super("The setup link is invalid, expired or already used.");
  }
}

export async function createSuperadmin(
  db: Database,
  options: { person: TNewSuperadmin; actor: AuditActor; setupToken?: string; now?: Date },
): Promise<{ staffUserId: string }> {
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
          status: "ACTIVE",
          passwordHash: options.person.passwordHash,
        },
        select: { id: true },
      });
      await recordAudit(
        tx,
        options.actor,
        "staff.superadmin_created",
        { type: "staff_user", id: staffUser.id },
        {
          via: setupLinkId === undefined ? "terminal" : "setup link",
          ...(setupLinkId === undefined ? {} : { linkTokenId: setupLinkId }),
        },
      );
      await enqueueEmail(tx, {
        kind: "superadmin_welcome",
        recipient: options.person.email,
        payload: { name: options.person.name },
      });
      return { staffUserId: staffUser.id };
    });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
      throw conflict("A staff account with this email address already exists.");
    }
    throw error;
  }
}
