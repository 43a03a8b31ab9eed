// A signed-in person moves two-step sign-in to a new authenticator (the route has checked their
// password and a code from the new secret). The old secret stops working and every other session
// ends, as with any change of a sign-in factor; this session goes on under a new id and token, with
// the new authenticator's code as its latest second factor, and the owner is emailed.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Config } from "../../config.js";
import type { Database } from "../../db.js";
import { sealSecret } from "../../secrets.js";
import { endSessionsOf, renewSession } from "../../sessions.js";
import { sendCredentialsChangedEmail } from "./credentialsChangedEmail.js";

export async function enrolAuthenticator(
  db: Database,
  options: {
    config: Config;
    staffUserId: string;
    currentSessionId: string;
    totpSecret: string;
    totpStep: bigint;
    audit: AuditActor;
    now?: Date;
  },
): Promise<{ session: { token: string; sessionId: string } }> {
  const now = options.now ?? new Date();
  return db.$transaction(async (tx) => {
    await tx.staffUser.update({
      where: { id: options.staffUserId },
      data: {
        totpSecretSealed: sealSecret(options.config.staff.totpKey, options.totpSecret),
        totpEnabledAt: now,
        totpLastUsedStep: options.totpStep,
        mustEnrolSecondFactor: false,
      },
    });
    const endedSessions = await endSessionsOf(tx, options.staffUserId, { except: options.currentSessionId });
    const session = await renewSession(tx, {
      sessionId: options.currentSessionId,
      now,
      hasProvenSecondFactor: true,
    });
    await recordAudit(
      tx,
      options.audit,
      "staff.totp_enrolled",
      { type: "staff_user", id: options.staffUserId },
      { via: "profile", endedSessions, sessionId: session.sessionId },
    );
    await sendCredentialsChangedEmail(tx, {
      staffUserId: options.staffUserId,
      change: "authenticator",
      changedAt: now,
    });
    return { session };
  });
}
