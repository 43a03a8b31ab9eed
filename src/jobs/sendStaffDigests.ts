// Daily at NEW_CASE_DIGEST_HOUR (worker.ts): one staff_digest email per person who has notices waiting
// (rows written by commands/notifications/notifyStaff.ts for those who chose the digest for that kind).
//
// One per person per day, however many workers run it and however often: each person's digest is one
// transaction that first inserts the (person, day) row under its unique key (a second run, or a second
// worker at the same moment, waits on that key and then finds it taken), then takes that person's waiting
// notices by setting their digestId, then queues the email in the outbox (delivered once, as every email).
// A notice is taken by exactly one digest; notices that arrive after today's digest wait for tomorrow's.
// Notices of people who can no longer sign in stay untaken (and go with their account).
import { randomUUID } from "node:crypto";
import type { Prisma } from "../generated/prisma/client.js";
import { MAX_NOTICES_PER_DIGEST } from "../mail/messages/staffDigest.js";
import { enqueueEmail } from "../mail/outbox.js";
import type { JobDependencies } from "./dependencies.js";

class NothingToSend extends Error {}

export async function sendStaffDigests(
  deps: Pick<JobDependencies, "db" | "logger">,
  scheduledFor: Date,
): Promise<{ digestsQueued: number }> {
  const day = scheduledFor.toISOString().slice(0, 10);
  const people = await deps.db.$queryRaw<{ id: string; name: string; email: string }[]>`
    SELECT u.id, u.name, u.email FROM staff_users u
     WHERE u.status = 'ACTIVE'
       AND EXISTS (SELECT 1 FROM staff_digest_items i WHERE i."staffUserId" = u.id AND i."digestId" IS NULL)
     ORDER BY u.email`;
  let digestsQueued = 0;
  for (const person of people) {
    try {
      await deps.db.$transaction(async (tx) => {
        const digestId = randomUUID();
        const outboxMessageId = randomUUID();
        const created = await tx.$executeRaw`
          INSERT INTO staff_digests (id, "staffUserId", day, "outboxMessageId")
          VALUES (${digestId}::uuid, ${person.id}::uuid, ${day}::date, ${outboxMessageId}::uuid)
          ON CONFLICT ("staffUserId", day) DO NOTHING`;
        if (created === 0) throw new NothingToSend();
        const taken = await tx.$queryRaw<{ payload: Prisma.JsonObject }[]>`
          UPDATE staff_digest_items SET "digestId" = ${digestId}::uuid
           WHERE "staffUserId" = ${person.id}::uuid AND "digestId" IS NULL
       RETURNING payload, "createdAt"`;
        if (taken.length === 0) throw new NothingToSend();
        const notices = taken.map((row) => row.payload).slice(0, MAX_NOTICES_PER_DIGEST);
        await enqueueEmail(tx, {
          id: outboxMessageId,
          kind: "staff_digest",
          recipient: person.email,
          payload: {
            recipientName: person.name,
            day,
            notices,
            notListedCount: taken.length - notices.length,
          },
        });
      });
      digestsQueued += 1;
    } catch (error) {
      if (!(error instanceof NothingToSend)) throw error;
    }
  }
  deps.logger.info({ category: "jobs", day, digestsQueued }, "staff digests queued");
  return { digestsQueued };
}
