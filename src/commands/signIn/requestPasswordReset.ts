// A staff member asks for a password-reset link. Only an active account gets one, but the page answers
// the same either way, and takes as long: this command does the same work for every address (it
// enqueues one send_requested_link job carrying the address); the job looks the account up and queues
// the email and its audit row only for an active account with a password (src/jobs/sendRequestedLink.ts).
// The link token itself is minted by the worker when the mail leaves (see mail/outbox.ts).
import { randomUUID } from "node:crypto";
import type { Database } from "../../db.js";
import { enqueueJob } from "../../jobs/queue.js";

export async function requestPasswordReset(
  db: Database,
  options: { email: string; requestId?: string },
): Promise<void> {
  await db.$transaction(async (tx) => {
    await enqueueJob(tx, "send_requested_link", {
      purpose: "password_reset",
      email: options.email.trim().toLowerCase(),
      outboxMessageId: randomUUID(),
      ...(options.requestId ? { requestId: options.requestId } : {}),
    });
  });
}
