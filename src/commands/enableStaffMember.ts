// An admin enables a disabled account again. Only an account that had finished setting up (password
// and authenticator) can be enabled; one whose invitation was rejected or revoked cannot sign in
// anyway and stays disabled.
import { type AuditActor, recordAudit } from "../audit.js";
import type { Database } from "../db.js";
import { conflict, notFound } from "../errors.js";
import { type Actor, authorize, canManageAccount } from "../policies/staff.js";

export async function enableStaffMember(
  db: Database,
  options: { actor: Actor; staffUserId: string; audit: AuditActor },
): Promise<void> {
  await db.$transaction(async (tx) => {
    const target = await tx.staffUser.findUnique({
      where: { id: options.staffUserId },
      select: { id: true, role: true },
    });
    if (!target) throw notFound();
    authorize(canManageAccount(options.actor, target), "You may not enable this account.");
    const { count } = await tx.staffUser.updateMany({
      where: { id: target.id, status: "DISABLED", passwordHash: { not: null }, totpEnabledAt: { not: null } },
      data: { status: "ACTIVE", disabledAt: null },
    });
    if (count !== 1) {
      throw conflict(
        "Only a disabled account that had finished setting up can be enabled. This one is not disabled, or never finished setting up.",
      );
    }
    await recordAudit(tx, options.audit, "staff.enabled", { type: "staff_user", id: target.id });
  });
}
