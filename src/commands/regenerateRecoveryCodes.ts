// Ten new recovery codes replace all earlier ones (used or not). Only keyed hashes are stored; the
// codes are returned to be shown once.
import { type AuditActor, recordAudit } from "../audit.js";
import type { Config } from "../config.js";
import type { Database } from "../db.js";
import { hashRecoveryCode, newRecoveryCodes } from "../domain/recoveryCodes.js";

export async function regenerateRecoveryCodes(
  db: Database,
  options: { config: Config; staffUserId: string; audit: AuditActor; now?: Date },
): Promise<string[]> {
  const now = options.now ?? new Date();
  const codes = newRecoveryCodes();
  await db.$transaction(async (tx) => {
    const { count: replaced } = await tx.recoveryCode.deleteMany({
      where: { staffUserId: options.staffUserId },
    });
    await tx.recoveryCode.createMany({
      data: codes.map((code) => ({
        staffUserId: options.staffUserId,
        codeHash: hashRecoveryCode(options.config.staff.totpKey, code),
        createdAt: now,
      })),
    });
    await recordAudit(
      tx,
      options.audit,
      "staff.recovery_codes_regenerated",
      { type: "staff_user", id: options.staffUserId },
      { replaced },
    );
  });
  return codes;
}
