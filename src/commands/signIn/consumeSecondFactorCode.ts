// A code typed as the second factor, checked and consumed inside the caller's transaction. Shared by
// sign-in's second step (verifySecondFactor.ts) and the step-up before sensitive actions
// (stepUpSession.ts), so both accept exactly the same codes:
//   - six digits: a TOTP code (RFC 6238), accepted once. The step it matched is claimed with a
//     conditional UPDATE (only while newer than the last step accepted), so of two requests racing
//     with one code, one wins, and a code used to sign in cannot be used again to step up;
//   - anything else: one of the person's unused recovery codes, marked used, with an audit row saying
//     how many remain.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Config } from "../../config.js";
import type { Database, Transaction } from "../../db.js";
import { hashRecoveryCode } from "../../domain/recoveryCodes.js";
import { matchTotpCode } from "../../domain/totp.js";
import { openSecretWithRing, sessionSecretRing, totpKeyring } from "../../secrets.js";
import { trustedDeviceNonce } from "../../security/deviceCookies.js";
import type { SignInLimits } from "../../security/signInLimits.js";

export type SecondFactorMethod = "totp" | "recovery_code";

/**
 * The start of every second-factor attempt (sign-in's second step, a step-up): the account as the code
 * check needs it, whether this browser is one the account signed in from (its device cookie), and how
 * long the limits still block the attempt (null: not blocked). Null when there is no such account.
 */
export async function beginSecondFactorAttempt(
  deps: { config: Config; db: Database; limits: SignInLimits },
  options: { staffUserId: string; ipAddress: string; deviceCookie: string | null },
) {
  const staffUser = await deps.db.staffUser.findUnique({
    where: { id: options.staffUserId },
    select: {
      id: true,
      name: true,
      email: true,
      status: true,
      totpSecretSealed: true,
      totpLastUsedStep: true,
    },
  });
  if (!staffUser) return null;
  const trustedDevice = trustedDeviceNonce(
    sessionSecretRing(deps.config),
    options.deviceCookie,
    staffUser.id,
  );
  const waitSeconds = await deps.limits.secondsBlocked(staffUser.email, options.ipAddress, trustedDevice);
  return { staffUser, trustedDevice, waitSeconds };
}

const TOTP_PATTERN = /^\d{6}$/;

/** How the code proved the second factor, or null when it is not right (or was used already). */
export async function consumeSecondFactorCode(
  tx: Transaction,
  options: {
    config: Config;
    staffUser: { id: string; totpSecretSealed: string | null; totpLastUsedStep: bigint | null };
    code: string;
    /** Who acts, for the recovery code's audit row. */
    audit: AuditActor;
    now: Date;
  },
): Promise<SecondFactorMethod | null> {
  const { staffUser, now } = options;
  if (!staffUser.totpSecretSealed) return null;
  const code = options.code.replace(/\s+/g, "");
  if (TOTP_PATTERN.test(code)) {
    const secret = openSecretWithRing(
      totpKeyring(options.config.staff),
      staffUser.totpSecretSealed,
    ).plaintext;
    const step = matchTotpCode(secret, code, staffUser.totpLastUsedStep, now);
    return step !== null && (await claimTotpStep(tx, staffUser.id, step)) ? "totp" : null;
  }
  if (code.length === 0) return null;
  const used = await tx.recoveryCode.updateManyAndReturn({
    where: {
      staffUserId: staffUser.id,
      usedAt: null,
      // Codes are keyed hashes, which no rotation can re-key: those made before it match the previous key.
      codeHash: { in: totpKeyring(options.config.staff).map((key) => hashRecoveryCode(key, code)) },
    },
    data: { usedAt: now },
    select: { id: true },
  });
  if (used.length !== 1) return null;
  const remaining = await tx.recoveryCode.count({ where: { staffUserId: staffUser.id, usedAt: null } });
  await recordAudit(
    tx,
    options.audit,
    "staff.recovery_code_used",
    { type: "staff_user", id: staffUser.id },
    {
      remaining,
    },
  );
  return "recovery_code";
}

async function claimTotpStep(tx: Transaction, staffUserId: string, step: bigint): Promise<boolean> {
  const { count } = await tx.staffUser.updateMany({
    where: {
      id: staffUserId,
      OR: [{ totpLastUsedStep: null }, { totpLastUsedStep: { lt: step } }],
    },
    data: { totpLastUsedStep: step },
  });
  return count === 1;
}
