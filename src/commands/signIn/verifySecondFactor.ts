// Sign-in, second step: a code from the authenticator app (RFC 6238, accepted once: the step it matched
// is stored) or one of the person's single-use recovery codes (consumeSecondFactorCode.ts). Success
// replaces the pending session with a full one (a new id), records the sign-in, resets the account + IP
// failure counter and gives the browser a new device cookie (security/deviceCookies.ts: from now on, others' failures do not lock
// it out); a wrong code counts as a failed sign-in like a wrong password.
import type { AuditActor } from "../../audit.js";
import { recordAudit } from "../../audit.js";
import { issueDeviceCookie } from "../../security/deviceCookies.js";
import { endSession, startSession } from "../../sessions.js";
import { beginSecondFactorAttempt, consumeSecondFactorCode } from "./consumeSecondFactorCode.js";
import { recordSignInFailure } from "./recordSignInFailure.js";
import type { SignInDependencies } from "./signIn.js";

export type SecondFactorResult =
  | { kind: "failed" }
  | { kind: "blocked"; retryAfterSeconds: number }
  | { kind: "signed_in"; sessionToken: string; method: "totp" | "recovery_code"; deviceCookie: string };

export async function verifySecondFactor(
  deps: SignInDependencies,
  options: {
    pendingSessionId: string;
    staffUserId: string;
    code: string;
    actor: AuditActor;
    /** The device cookie the browser sent, unverified. */
    deviceCookie: string | null;
  },
): Promise<SecondFactorResult> {
  const attempt = await beginSecondFactorAttempt(deps, {
    staffUserId: options.staffUserId,
    ipAddress: options.actor.ipAddress ?? "unknown",
    deviceCookie: options.deviceCookie,
  });
  if (!attempt) return { kind: "failed" };
  const { staffUser, trustedDevice, waitSeconds } = attempt;
  const target = { staffUser, email: staffUser.email };
  const failure = { target, stage: "second_factor" as const, actor: options.actor, trustedDevice };
  if (waitSeconds !== null) {
    await endSession(deps.db, options.pendingSessionId);
    await recordSignInFailure(deps, { ...failure, reason: "blocked" });
    return { kind: "blocked", retryAfterSeconds: waitSeconds };
  }

  const now = new Date();
  const actor = { ...options.actor, staffUserId: staffUser.id, label: staffUser.email };
  const subject = { type: "staff_user", id: staffUser.id };

  const signedIn = await deps.db.$transaction(async (tx) => {
    if (staffUser.status !== "ACTIVE") return null;
    const method = await consumeSecondFactorCode(tx, {
      config: deps.config,
      staffUser,
      code: options.code,
      audit: actor,
      now,
    });
    if (!method) return null;
    const session = await startSession(tx, {
      config: deps.config,
      staffUserId: staffUser.id,
      isAuthenticated: true,
      replacing: options.pendingSessionId,
      ipAddress: options.actor.ipAddress,
      userAgent: options.actor.userAgent,
      now,
    });
    await tx.staffUser.update({ where: { id: staffUser.id }, data: { lastSignInAt: now } });
    await recordAudit(tx, actor, "staff.signed_in", subject, { method, sessionId: session.sessionId });
    return { token: session.token, method };
  });

  if (!signedIn) {
    const { blockedForSeconds } = await recordSignInFailure(deps, {
      ...failure,
      reason: staffUser.status === "ACTIVE" ? "wrong_code" : "account_disabled",
    });
    if (blockedForSeconds !== null) {
      await endSession(deps.db, options.pendingSessionId);
      return { kind: "blocked", retryAfterSeconds: blockedForSeconds };
    }
    return { kind: "failed" };
  }
  await deps.limits.recordSuccess(staffUser.email, options.actor.ipAddress ?? "unknown");
  return {
    kind: "signed_in",
    sessionToken: signedIn.token,
    method: signedIn.method,
    deviceCookie: issueDeviceCookie(deps.config.sessionSecret, staffUser.id, now),
  };
}
