// Ten new recovery codes replace all earlier ones (used or not). Only keyed hashes are stored; the
// codes are returned to be shown once. The route asks for a fresh second factor first (step-up). This
// session goes on under a new id and token, and the owner is emailed, in case it was not them.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Config } from "../../config.js";
import type { Database } from "../../db.js";
import { hashRecoveryCode, newRecoveryCodes } from "../../domain/recoveryCodes.js";
import { renewSession } from "../../sessions.js";
import { sendCredentialsChangedEmail } from "./credentialsChangedEmail.js";

export async function regenerateRecoveryCodes(
  db: Database,
  options: {
    config: Config;
    staffUserId: string;
    currentSessionId: string;
    audit: AuditActor;
    now?: Date;
  },
): Promise<{ recoveryCodes: string[]; session: { token: string; sessionId: string } }> {
  const now = options.now ?? new Date();
  const recoveryCodes = newRecoveryCodes();
  const session = await db.$transaction(async (tx) => {
    const { count: replaced } = await tx.recoveryCode.deleteMany({
      where: { staffUserId: options.staffUserId },
    });
    await tx.recoveryCode.createMany({
      data: recoveryCodes.map((code) => ({
        staffUserId: options.staffUserId,
        codeHash: hashRecoveryCode(options.config.staff.totpKey, code),
        createdAt: now,
      })),
    });
    const renewed = await renewSession(tx, { sessionId: options.currentSessionId, now });
    await recordAudit(
      tx,
      options.audit,
      "staff.recovery_codes_regenerated",
      { type: "staff_user", id: options.staffUserId },
      { replaced, sessionId: renewed.sessionId },
    );
    await sendCredentialsChangedEmail(tx, {
      staffUserId: options.staffUserId,
      change: "recovery_codes",
      changedAt: now,
    });
    return renewed;
  });
  return { recoveryCodes, session };
}
