// A step-up: before a sensitive action, a signed-in person whose last second factor is older than
// STEP_UP_MINUTES gives it again (middleware/requireRecentSecondFactor.ts asks for it).
//
// Lifecycle: refused at once while the account (for this browser) or the IP is blocked → the code is
// checked and consumed exactly as at sign-in (consumeSecondFactorCode.ts: a TOTP step once, or a
// recovery code used up and audited) → on success the session records the fresh second factor and the
// audit log `staff.stepped_up`, in one transaction → on failure the same outcome for every reason,
// counted against the sign-in limits and audited as a failed sign-in at the stage "step_up" (a
// hijacked session cannot guess codes any faster than a signed-out attacker). A success resets no
// counter: only a complete sign-in does.
import type { AuditActor } from "../../audit.js";
import { recordAudit } from "../../audit.js";
import { recordSecondFactor } from "../../sessions.js";
import {
  beginSecondFactorAttempt,
  consumeSecondFactorCode,
  type SecondFactorMethod,
} from "./consumeSecondFactorCode.js";
import { recordSignInFailure } from "./recordSignInFailure.js";
import type { SignInDependencies } from "./signIn.js";

export type StepUpResult =
  | { kind: "stepped_up"; method: SecondFactorMethod }
  | { kind: "failed" }
  | { kind: "blocked"; retryAfterSeconds: number };

export async function stepUpSession(
  deps: SignInDependencies,
  options: {
    sessionId: string;
    staffUserId: string;
    code: string;
    /** The signed-in person, as auditActorFor(ctx, staff) gives them. */
    audit: AuditActor;
    /** The device cookie the browser sent, unverified. */
    deviceCookie: string | null;
    now?: Date;
  },
): Promise<StepUpResult> {
  const attempt = await beginSecondFactorAttempt(deps, {
    staffUserId: options.staffUserId,
    ipAddress: options.audit.ipAddress ?? "unknown",
    deviceCookie: options.deviceCookie,
  });
  if (!attempt) return { kind: "failed" };
  const { staffUser, trustedDevice, waitSeconds } = attempt;
  const failure = {
    target: { staffUser, email: staffUser.email },
    stage: "step_up" as const,
    actor: options.audit,
    trustedDevice,
  };
  if (waitSeconds !== null) {
    await recordSignInFailure(deps, { ...failure, reason: "blocked" });
    return { kind: "blocked", retryAfterSeconds: waitSeconds };
  }

  const now = options.now ?? new Date();
  const method = await deps.db.$transaction(async (tx) => {
    if (staffUser.status !== "ACTIVE") return null;
    const used = await consumeSecondFactorCode(tx, {
      config: deps.config,
      staffUser,
      code: options.code,
      audit: options.audit,
      now,
    });
    if (!used) return null;
    await recordSecondFactor(tx, options.sessionId, now);
    await recordAudit(
      tx,
      options.audit,
      "staff.stepped_up",
      { type: "staff_user", id: staffUser.id },
      { method: used, sessionId: options.sessionId },
    );
    return used;
  });
  if (method) return { kind: "stepped_up", method };

  const { blockedForSeconds } = await recordSignInFailure(deps, {
    ...failure,
    reason: staffUser.status === "ACTIVE" ? "wrong_code" : "account_disabled",
  });
  return blockedForSeconds === null
    ? { kind: "failed" }
    : { kind: "blocked", retryAfterSeconds: blockedForSeconds };
}
