// An operator stops a message that has not left yet: QUEUED → CANCELLED, with the audit row, in one
// transaction. Only QUEUED moves: the worker claims only QUEUED rows, in one conditional UPDATE, so a
// message is either cancelled before any claim (and the claim then finds nothing) or already being
// sent (and the cancel finds nothing). Its delivery job may still run; it finds nothing to claim.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Database } from "../../db.js";
import type { OutboxStatus } from "../../generated/prisma/client.js";
import { EmailTransitionRefusedError } from "./retryEmail.js";

export const CANCELLABLE_STATUSES: readonly OutboxStatus[] = ["QUEUED"];

export async function cancelEmail(
  db: Database,
  options: { outboxMessageId: string; actor: AuditActor },
): Promise<void> {
  await db.$transaction(async (tx) => {
    const { count } = await tx.outboxMessage.updateMany({
      where: { id: options.outboxMessageId, status: "QUEUED" },
      data: { status: "CANCELLED" },
    });
    if (count === 0) {
      const current = await tx.outboxMessage.findUnique({
        where: { id: options.outboxMessageId },
        select: { status: true },
      });
      throw new EmailTransitionRefusedError(current?.status ?? null);
    }
    const message = await tx.outboxMessage.findUniqueOrThrow({
      where: { id: options.outboxMessageId },
      select: { kind: true, attempts: true },
    });
    await recordAudit(
      tx,
      options.actor,
      "mail.cancelled",
      { type: "outbox_message", id: options.outboxMessageId },
      { kind: message.kind, attemptsSoFar: message.attempts },
    );
  });
}
