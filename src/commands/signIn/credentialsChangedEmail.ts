// The "your sign-in details changed" email, enqueued in the transaction of every change to a staff
// member's own credentials (password, authenticator, recovery codes, or an admin's reset of their
// two-step sign-in): if it was not them, they hear of it at once, at the address the account holds.
import type { Transaction } from "../../db.js";
import type { CredentialChange } from "../../mail/messages/credentialsChanged.js";
import { enqueueEmail } from "../../mail/outbox.js";

export async function sendCredentialsChangedEmail(
  tx: Transaction,
  options: { staffUserId: string; change: CredentialChange; changedAt: Date; changedBy?: string },
): Promise<void> {
  const owner = await tx.staffUser.findUniqueOrThrow({
    where: { id: options.staffUserId },
    select: { name: true, email: true },
  });
  await enqueueEmail(tx, {
    kind: "credentials_changed",
    recipient: owner.email,
    payload: {
      staffName: owner.name,
      change: options.change,
      changedAt: options.changedAt.toISOString(),
      ...(options.changedBy ? { changedBy: options.changedBy } : {}),
    },
  });
}
