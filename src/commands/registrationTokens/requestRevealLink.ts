// "Email me a new link" to my registration token: a person whose reveal link was used or has expired
// asks for another with their email address. When the address has a live token (created on the
// homeserver, not revoked, not expired) the most recent one gets a new one-time link (minted when the
// mail leaves); otherwise nothing is sent. The caller answers the same either way, so the form tells
// nobody whether an address was invited. A link that is sent is audited (with the token's id only).
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Database } from "../../db.js";
import { enqueueRevealLinkEmail } from "./requestRegistrationToken.js";
import { REGISTRATION_TOKEN_SUBJECT } from "./revealRegistrationToken.js";

export async function requestRevealLink(
  db: Database,
  options: { email: string; audit: AuditActor; now?: Date },
): Promise<{ isSent: boolean }> {
  const now = options.now ?? new Date();
  const email = options.email.trim().toLowerCase();
  // An erased person's rows have an empty address, so they never match.
  if (email === "") return { isSent: false };
  return db.$transaction(async (tx) => {
    const token = await tx.registrationToken.findFirst({
      where: { personEmail: email, state: "CREATED", revokedAt: null, expiresAt: { gt: now } },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      select: { id: true, caseId: true, personName: true, personEmail: true, expiresAt: true },
    });
    if (!token) return { isSent: false };
    await enqueueRevealLinkEmail(tx, token);
    await recordAudit(
      tx,
      options.audit,
      "matrix_token.reveal_link_sent",
      { type: REGISTRATION_TOKEN_SUBJECT, id: token.id },
      { caseId: token.caseId, requestedBy: "person" },
    );
    return { isSent: true };
  });
}
