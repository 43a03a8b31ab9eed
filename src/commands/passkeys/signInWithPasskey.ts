// Signing in with a passkey, in one of two ways:
//   - alone ("sign_in"): a discoverable passkey with user verification (something the person has,
//     unlocked by something they know or are) is a full sign-in, with no email address or password;
//     the challenge is bound to this browser by a cookie, since there is no session yet;
//   - after the password ("second_factor"), in place of the TOTP code: one of the account's own
//     passkeys, the challenge bound to the pending session.
// The sign-in limits apply as to a password or a code: a blocked account (for this browser) or address
// is refused before anything is checked, and every refusal counts as a failed attempt and is audited.
// The challenge is claimed (deleted) first, in a transaction of its own, so it answers once even when
// the assertion then fails. A counter that did not grow is refused and audited as a possible clone.
// Success stores the new counter (only if no other sign-in stored one meanwhile), the backup state and
// the time of use, starts a full session (a new id) and gives the browser a new device cookie.
import type { z } from "zod";
import type { AuditActor } from "../../audit.js";
import { recordAudit } from "../../audit.js";
import { issueDeviceCookie, trustedDeviceNonce } from "../../security/deviceCookies.js";
import { checkAssertion, consumeChallenge, type ZAuthenticationResponse } from "../../security/passkeys.js";
import { startSession } from "../../sessions.js";
import { recordSignInFailure, type SignInFailureReason } from "../signIn/recordSignInFailure.js";
import type { SignInDependencies } from "../signIn/signIn.js";

/** The limits' account key for an answer from a passkey no account holds. */
const UNKNOWN_PASSKEY_ACCOUNT = "unknown-passkey";

export type PasskeySignInResult =
  | { kind: "failed" }
  | { kind: "blocked"; retryAfterSeconds: number }
  | { kind: "signed_in"; sessionToken: string; deviceCookie: string };

export async function signInWithPasskey(
  deps: SignInDependencies,
  options: {
    response: z.infer<typeof ZAuthenticationResponse>;
    /** What the challenge was bound to: a cookie (alone) or the pending session (after the password). */
    binding: string;
    mode:
      | { kind: "sign_in"; replacingSessionId: string | null }
      | { kind: "second_factor"; pendingSessionId: string; staffUserId: string };
    actor: AuditActor;
    deviceCookie: string | null;
    now?: Date;
  },
): Promise<PasskeySignInResult> {
  const now = options.now ?? new Date();
  const { mode } = options;
  const ipAddress = options.actor.ipAddress ?? "unknown";
  const found = await deps.db.staffPasskey.findUnique({
    where: { credentialId: options.response.id },
    select: {
      id: true,
      credentialId: true,
      publicKey: true,
      signCount: true,
      transports: true,
      deviceType: true,
      staffUser: { select: { id: true, name: true, email: true, status: true } },
    },
  });
  // After the password, only the account's own passkeys count.
  const passkey =
    found && (mode.kind === "sign_in" || found.staffUser.id === mode.staffUserId) ? found : null;
  const staffUser = passkey?.staffUser ?? null;
  const email = staffUser?.email ?? UNKNOWN_PASSKEY_ACCOUNT;
  const trustedDevice = staffUser
    ? trustedDeviceNonce(deps.config.sessionSecret, options.deviceCookie, staffUser.id)
    : null;
  const stage = mode.kind === "sign_in" ? ("passkey" as const) : ("second_factor" as const);
  const fail = async (reason: SignInFailureReason): Promise<PasskeySignInResult> => {
    const { blockedForSeconds } = await recordSignInFailure(deps, {
      target: { staffUser, email },
      reason,
      stage,
      actor: options.actor,
      trustedDevice,
    });
    if (blockedForSeconds !== null && mode.kind === "second_factor") {
      await deps.db.staffSession.deleteMany({ where: { id: mode.pendingSessionId } });
    }
    return blockedForSeconds === null
      ? { kind: "failed" }
      : { kind: "blocked", retryAfterSeconds: blockedForSeconds };
  };

  const waitSeconds = await deps.limits.secondsBlocked(email, ipAddress, trustedDevice);
  if (waitSeconds !== null) {
    await recordSignInFailure(deps, {
      target: { staffUser, email },
      reason: "blocked",
      stage,
      actor: options.actor,
      trustedDevice,
    });
    return { kind: "blocked", retryAfterSeconds: waitSeconds };
  }

  const challenge = await consumeChallenge(deps.db, {
    purpose: mode.kind,
    binding: options.binding,
    clientDataJSON: options.response.response.clientDataJSON,
    now,
  });
  if (!challenge) return fail("challenge_invalid");
  if (!passkey || !staffUser) return fail("unknown_passkey");

  const outcome = await checkAssertion(deps.config, {
    response: options.response,
    expectedChallenge: challenge.challenge,
    requireUserVerification: mode.kind === "sign_in",
    passkey,
  });
  if (outcome.kind === "counter_rejected") return fail("passkey_counter");
  if (outcome.kind === "rejected") return fail("passkey_rejected");
  if (staffUser.status !== "ACTIVE") return fail("account_disabled");

  const actor = { ...options.actor, staffUserId: staffUser.id, label: staffUser.email };
  const session = await deps.db.$transaction(async (tx) => {
    // Only over the counter this check read: of two sign-ins racing with one counter value, one wins.
    const { count } = await tx.staffPasskey.updateMany({
      where: { id: passkey.id, signCount: passkey.signCount },
      data: { signCount: BigInt(outcome.newSignCount), isBackedUp: outcome.isBackedUp, lastUsedAt: now },
    });
    if (count !== 1) return null;
    const started = await startSession(tx, {
      config: deps.config,
      staffUserId: staffUser.id,
      isAuthenticated: true,
      replacing: mode.kind === "sign_in" ? mode.replacingSessionId : mode.pendingSessionId,
      ipAddress: options.actor.ipAddress,
      userAgent: options.actor.userAgent,
      now,
    });
    await tx.staffUser.update({ where: { id: staffUser.id }, data: { lastSignInAt: now } });
    await recordAudit(
      tx,
      actor,
      "staff.signed_in",
      { type: "staff_user", id: staffUser.id },
      {
        method: mode.kind === "sign_in" ? "passkey" : "password_and_passkey",
        passkeyId: passkey.id,
        sessionId: started.sessionId,
      },
    );
    return started;
  });
  if (!session) return fail("passkey_counter");
  await deps.limits.recordSuccess(staffUser.email, ipAddress);
  return {
    kind: "signed_in",
    sessionToken: session.token,
    deviceCookie: issueDeviceCookie(deps.config.sessionSecret, staffUser.id, now),
  };
}
