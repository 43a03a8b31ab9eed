// A staff member adds a passkey from their profile page. The answer of the browser's registration
// ceremony is accepted only against the challenge this session asked for (single use, five minutes),
// and must come from our origin, for our RP ID, with user verification. The passkey is stored with its
// name, public key, counter and backup flags; the audit row and the "your sign-in details changed"
// email are written in the same transaction, in case it was not them.

import type { z } from "zod";
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Config } from "../../config.js";
import type { Database } from "../../db.js";
import {
  checkRegistration,
  consumeChallenge,
  sessionBinding,
  type ZRegistrationResponse,
} from "../../security/passkeys.js";
import { sendCredentialsChangedEmail } from "../signIn/credentialsChangedEmail.js";

export type AddPasskeyResult =
  | { kind: "added"; passkeyId: string }
  /** No live challenge of this session matched: replayed, expired, or from elsewhere. */
  | { kind: "challenge_invalid" }
  | { kind: "rejected" }
  | { kind: "already_registered" };

export async function addPasskey(
  db: Database,
  options: {
    config: Config;
    staffUserId: string;
    sessionId: string;
    response: z.infer<typeof ZRegistrationResponse>;
    audit: AuditActor;
    now?: Date;
  },
): Promise<AddPasskeyResult> {
  const now = options.now ?? new Date();
  return db.$transaction(async (tx) => {
    const challenge = await consumeChallenge(tx, {
      purpose: "registration",
      binding: sessionBinding(options.sessionId),
      clientDataJSON: options.response.response.clientDataJSON,
      now,
    });
    if (!challenge || challenge.staffUserId !== options.staffUserId || !challenge.passkeyName) {
      return { kind: "challenge_invalid" } as const;
    }
    const registration = await checkRegistration(options.config, options.response, challenge.challenge);
    if (!registration) return { kind: "rejected" } as const;
    const existing = await tx.staffPasskey.findUnique({
      where: { credentialId: registration.credentialId },
      select: { id: true },
    });
    if (existing) return { kind: "already_registered" } as const;
    const passkey = await tx.staffPasskey.create({
      data: {
        staffUserId: options.staffUserId,
        name: challenge.passkeyName,
        credentialId: registration.credentialId,
        publicKey: new Uint8Array(registration.publicKey),
        signCount: BigInt(registration.signCount),
        transports: registration.transports,
        deviceType: registration.deviceType,
        isBackedUp: registration.isBackedUp,
        createdAt: now,
      },
      select: { id: true },
    });
    await recordAudit(
      tx,
      options.audit,
      "staff.passkey_added",
      { type: "staff_user", id: options.staffUserId },
      { passkeyId: passkey.id, deviceType: registration.deviceType, isBackedUp: registration.isBackedUp },
    );
    await sendCredentialsChangedEmail(tx, {
      staffUserId: options.staffUserId,
      change: "passkey_added",
      changedAt: now,
    });
    return { kind: "added", passkeyId: passkey.id } as const;
  });
}
