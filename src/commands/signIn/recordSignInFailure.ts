// A failed sign-in step (password, second factor or passkey, or the second factor asked again at a step-up):
// counted against the brute-force limits (as an unknown browser's, or as a remembered browser's when it
// carried a valid device cookie for the account), audited, and, when this failure blocks the account,
// its owner is emailed a password-reset link in the same transaction as the audit row of the block.
import type { AuditActor } from "../../audit.js";
import { recordAudit } from "../../audit.js";
import type { Database } from "../../db.js";
import { enqueueEmail } from "../../mail/outbox.js";
import { countSignInFailure } from "../../metrics.js";
import type { SignInLimits } from "../../security/signInLimits.js";

export type SignInFailureReason =
  | "unknown_account"
  | "wrong_password"
  | "account_disabled"
  | "no_second_factor"
  | "wrong_code"
  | "blocked"
  // passkeys: an answer to no live challenge of this browser or session (replayed, late, foreign), a
  // passkey no account holds, one whose signature or origin is wrong, one whose counter did not grow
  | "challenge_invalid"
  | "unknown_passkey"
  | "passkey_rejected"
  | "passkey_counter"
  // single sign-on: an answer to no live request of this browser (wrong state, replayed, late), an
  // answer that failed a check (the provider's error, a refused code, a bad ID token), an identity
  // linked to no account, or a provider that could not be reached
  | "sso_request_invalid"
  | "sso_rejected"
  | "sso_unknown_subject"
  | "sso_provider_unavailable"
  // an invitation that could not be accepted by single sign-on (link used or withdrawn meanwhile, the
  // identity linked to another account already, or no second factor at the provider)
  | "sso_link_refused";

export interface SignInFailureTarget {
  /** The account the attempt named, when there is one. */
  staffUser: { id: string; name: string; email: string; status: string } | null;
  /** What was typed as the address (lower-cased), for the limits and the audit row. */
  email: string;
}

/** Outcome for the page: null, or seconds to wait when the person is now blocked. */
export async function recordSignInFailure(
  deps: { db: Database; limits: SignInLimits },
  options: {
    target: SignInFailureTarget;
    reason: SignInFailureReason;
    /** "step_up": the second factor asked again before a sensitive action (stepUpSession.ts). */
    stage: "password" | "second_factor" | "step_up" | "passkey" | "sso";
    actor: AuditActor;
    /** The nonce of the attempt's valid device cookie for this account, or null (an unknown browser). */
    trustedDevice: string | null;
  },
): Promise<{ blockedForSeconds: number | null }> {
  const { target, reason, stage, actor } = options;
  countSignInFailure(reason, stage);
  const ipAddress = actor.ipAddress ?? "unknown";
  // A refused attempt (already blocked) or a missing authenticator is not another guess.
  const counts =
    reason !== "blocked" && reason !== "no_second_factor" && reason !== "sso_provider_unavailable";
  const outcome = counts
    ? await deps.limits.recordFailure(target.email, ipAddress, options.trustedDevice)
    : { blockedForSeconds: null, accountBlocked: false };
  const subject = target.staffUser ? { type: "staff_user", id: target.staffUser.id } : null;
  const notifyOwner = outcome.accountBlocked && target.staffUser?.status === "ACTIVE";

  await deps.db.$transaction(async (tx) => {
    await recordAudit(tx, actor, "staff.sign_in_failed", subject, {
      reason,
      stage,
      // The address typed is kept only when it names no account: for an account, the subject says it.
      ...(target.staffUser ? {} : { email: target.email.slice(0, 254) }),
    });
    if (outcome.accountBlocked && subject) {
      await recordAudit(tx, actor, "staff.account_blocked", subject, {
        blockedForSeconds: outcome.blockedForSeconds ?? 0,
        ownerNotified: notifyOwner,
      });
    }
    if (notifyOwner && target.staffUser) {
      await enqueueEmail(tx, {
        kind: "account_blocked",
        recipient: target.staffUser.email,
        payload: {
          staffName: target.staffUser.name,
          blockedFor: describeDuration(outcome.blockedForSeconds),
        },
        linkSubject: { type: "staff_user", id: target.staffUser.id },
      });
    }
  });
  return { blockedForSeconds: outcome.blockedForSeconds };
}

function describeDuration(seconds: number | null): string {
  const minutes = Math.max(1, Math.round((seconds ?? 3600) / 60));
  if (minutes % 60 === 0) {
    const hours = minutes / 60;
    return hours === 1 ? "1 hour" : `${hours} hours`;
  }
  return minutes === 1 ? "1 minute" : `${minutes} minutes`;
}
