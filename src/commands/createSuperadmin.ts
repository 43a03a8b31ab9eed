// Creates a superadmin, either through a setup link (which is consumed in the same transaction, so a
// link works exactly once even when two requests race) or from a terminal by someone with access to
// the server. Writes the audit row and enqueues the welcome email in the same transaction.
import { type AuditActor, recordAudit } from "../audit.js";
import type { Database } from "../db.js";
import { conflict } from "../errors.js";
import { Prisma } from "../generated/prisma/client.js";
import { enqueueJob } from "../jobs/queue.js";
import { hashLinkToken } from "../tokens.js";

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
      if (options.setupToken !== undefined) {
        const consumed = await tx.setupToken.updateMany({
          where: { tokenHash: hashLinkToken(options.setupToken), usedAt: null, expiresAt: { gt: now } },
          data: { usedAt: now },
        });
        if (consumed.count !== 1) throw new SetupLinkUnusableError();
        // A setup link creates the *first* superadmin only; later ones are invited by a superadmin.
        if ((await tx.staffUser.count({ where: { role: "SUPERADMIN" } })) > 0)
          throw new SetupLinkUnusableError();
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
      if (options.setupToken !== undefined) {
        await tx.setupToken.update({
          where: { tokenHash: hashLinkToken(options.setupToken) },
          data: { usedById: staffUser.id },
        });
      }
      await recordAudit(
        tx,
        options.actor,
        "staff.superadmin_created",
        { type: "staff_user", id: staffUser.id },
        {
          via: options.setupToken === undefined ? "terminal" : "setup link",
        },
      );
      await enqueueJob(tx, "send_superadmin_welcome", { staffUserId: staffUser.id });
      return { staffUserId: staffUser.id };
    });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
      throw conflict("A staff account with this email address already exists.");
    }
    throw error;
  }
}
