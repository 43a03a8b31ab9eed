// Sign-out: the session row is deleted (the cookie alone would not end it) and the sign-out audited.
import type { AuditActor } from "../../audit.js";
import { recordAudit } from "../../audit.js";
import type { Database } from "../../db.js";
import type { LoadedSession } from "../../sessions.js";
import { endSession } from "../../sessions.js";

export async function signOut(db: Database, options: { session: LoadedSession; actor: AuditActor }) {
  const { session } = options;
  await db.$transaction(async (tx) => {
    await endSession(tx, session.id);
    await recordAudit(
      tx,
      { ...options.actor, staffUserId: session.staffUserId },
      "staff.signed_out",
      { type: "staff_user", id: session.staffUserId },
      { sessionId: session.id, wasAuthenticated: session.isAuthenticated },
    );
  });
}
