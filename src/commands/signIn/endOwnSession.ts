// A person ends one of their other sessions (a browser left signed in elsewhere). Only their own, and
// never the one they are using: that is what signing out is for.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Database } from "../../db.js";
import { notFound } from "../../errors.js";

export async function endOwnSession(
  db: Database,
  options: { staffUserId: string; currentSessionId: string; sessionId: string; audit: AuditActor },
): Promise<void> {
  await db.$transaction(async (tx) => {
    const { count } = await tx.staffSession.deleteMany({
      where: {
        id: options.sessionId,
        staffUserId: options.staffUserId,
        NOT: { id: options.currentSessionId },
      },
    });
    if (count !== 1) throw notFound("That session has already ended.");
    await recordAudit(
      tx,
      options.audit,
      "staff.session_ended",
      { type: "staff_user", id: options.staffUserId },
      { sessionId: options.sessionId, by: "owner" },
    );
  });
}
