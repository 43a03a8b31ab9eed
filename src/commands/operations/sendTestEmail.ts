// An operator checks the mail path from the outbox page: a test message to an address of their choice,
// queued like any other email (so it exercises the worker and the relay), with its audit row.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Database } from "../../db.js";
import { enqueueEmail } from "../../mail/outbox.js";

export async function sendTestEmail(
  db: Database,
  options: { recipient: string; actor: AuditActor },
): Promise<{ outboxMessageId: string }> {
  return db.$transaction(async (tx) => {
    const queued = await enqueueEmail(tx, { kind: "test_message", recipient: options.recipient });
    await recordAudit(
      tx,
      options.actor,
      "mail.test_sent",
      { type: "outbox_message", id: queued.outboxMessageId },
      { recipient: options.recipient },
    );
    return queued;
  });
}
