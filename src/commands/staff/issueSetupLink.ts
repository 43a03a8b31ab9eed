// Lifecycle of the first-superadmin setup link: while no superadmin exists, the first process to
// start issues one link (single-use, 24 h) and main.ts hands it over: printed on a terminal, else
// written to a 0600 file whose path is logged (setupLinkFile.ts). Other processes starting at the same
// time, or later while that link is still live, do not issue another. `npm run create-admin` is the way
// out when the link was lost.
import { recordAudit } from "../../audit.js";
import type { Database } from "../../db.js";
import { issueLinkToken } from "../../tokens.js";

export const SETUP_LINK_LIFETIME_MS = 24 * 60 * 60 * 1000;

export type SetupLinkOutcome =
  | { kind: "not_needed" }
  | { kind: "issued"; token: string; expiresAt: Date }
  | { kind: "already_issued"; expiresAt: Date };

export async function issueSetupLinkIfNeeded(db: Database, now = new Date()): Promise<SetupLinkOutcome> {
  return db.$transaction(async (tx) => {
    // Serialises concurrent starts of several instances; released at commit.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('vetting-portal:setup-link'))`;
    const superadminCount = await tx.staffUser.count({ where: { role: "SUPERADMIN" } });
    if (superadminCount > 0) return { kind: "not_needed" };

    const liveLink = await tx.linkToken.findFirst({
      where: { purpose: "superadmin_setup", usedAt: null, expiresAt: { gt: now } },
      orderBy: { expiresAt: "desc" },
      select: { expiresAt: true },
    });
    if (liveLink) return { kind: "already_issued", expiresAt: liveLink.expiresAt };

    const link = await issueLinkToken(tx, {
      purpose: "superadmin_setup",
      lifetimeMs: SETUP_LINK_LIFETIME_MS,
      now,
    });
    await recordAudit(
      tx,
      { label: "system" },
      "setup.link_issued",
      { type: "link_token", id: link.id },
      {
        expiresAt: link.expiresAt.toISOString(),
      },
    );
    return { kind: "issued", token: link.token, expiresAt: link.expiresAt };
  });
}
