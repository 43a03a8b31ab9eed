// A staff member removes one of their own passkeys (after a step-up, like every sensitive action). The
// audit row and the "your sign-in details changed" email go with it, in one transaction. A passkey of
// someone else, or one already removed, is not found.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Database } from "../../db.js";
import { notFound } from "../../errors.js";
import { sendCredentialsChangedEmail } from "../signIn/credentialsChangedEmail.js";

export async function removePasskey(
  db: Database,
  options: { staffUserId: string; passkeyId: string; audit: AuditActor; now?: Date },
): Promise<void> {
  const now = options.now ?? new Date();
  await db.$transaction(async (tx) => {
    const { count } = await tx.staffPasskey.deleteMany({
      where: { id: options.passkeyId, staffUserId: options.staffUserId },
    });
    if (count !== 1) throw notFound();
    await recordAudit(
      tx,
      options.audit,
      "staff.passkey_removed",
      { type: "staff_user", id: options.staffUserId },
      { passkeyId: options.passkeyId },
    );
    await sendCredentialsChangedEmail(tx, {
      staffUserId: options.staffUserId,
      change: "passkey_removed",
      changedAt: now,
    });
  });
}
