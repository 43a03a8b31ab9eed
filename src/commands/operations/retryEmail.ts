// An operator sends a stopped message again: FAILED (or CANCELLED) → QUEUED, due now, with its delivery
// job and the audit row, in one transaction. Any other state is refused: a queued or sending message is
// already on its way, and a sent one must not go twice.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Database } from "../../db.js";
import type { OutboxStatus } from "../../generated/prisma/client.js";
import { requeueStoppedEmail } from "../../mail/outbox.js";

export const RETRYABLE_STATUSES: readonly OutboxStatus[] = ["FAILED", "CANCELLED"];

/** The message is not (or no longer) in a state this change starts from. */
export class EmailTransitionRefusedError extends Error {
  override readonly name = "EmailTransitionRefusedError";
  constructor(readonly currentStatus: OutboxStatus | null) {
    super(currentStatus ? `The message is ${currentStatus.toLowerCase()}.` : "There is no such message.");
  }
}

export async function retryEmail(
  db: Database,
  options: { outboxMessageId: string; actor: AuditActor },
): Promise<void> {
  await db.$transaction(async (tx) => {
    const message = await tx.outboxMessage.findUnique({
      where: { id: options.outboxMessageId },
      select: { status: true, kind: true, attempts: true },
    });
    if (!message || !RETRYABLE_STATUSES.includes(message.status))
      throw new EmailTransitionRefusedError(message?.status ?? null);
    // Conditional: if the row changed since the read above, nothing moves and the change is refused.
    if (!(await requeueStoppedEmail(tx, options.outboxMessageId)))
      throw new EmailTransitionRefusedError(null);
    await recordAudit(
      tx,
      options.actor,
      "mail.retried",
      { type: "outbox_message", id: options.outboxMessageId },
      { kind: message.kind, previousStatus: message.status, attemptsSoFar: message.attempts },
    );
  });
}
