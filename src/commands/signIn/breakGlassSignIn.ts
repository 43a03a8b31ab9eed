// The break-glass sign-in: while only single sign-on is on (OIDC_ONLY) and the provider is out of reach
// or has lost a superadmin's identity, a superadmin signs in with their password and one of their
// recovery codes (never a TOTP code: the emergency path asks for what is kept offline).
//
// Lifecycle: refused at once while the account or IP is blocked → the password is checked (against a
// dummy hash when no account matches) → only an active superadmin's account goes on → the recovery code
// is consumed in the transaction that starts the full session, writes the audit row and emails the
// owner. Every refusal looks the same, counts against the sign-in limits and is audited.
import type { AuditActor } from "../../audit.js";
import { recordAudit } from "../../audit.js";
import { verifyPassword } from "../../domain/password.js";
import { issueDeviceCookie, trustedDeviceNonce } from "../../security/deviceCookies.js";
import { startSession } from "../../sessions.js";
import { consumeSecondFactorCode } from "./consumeSecondFactorCode.js";
import { sendCredentialsChangedEmail } from "./credentialsChangedEmail.js";
import { recordSignInFailure } from "./recordSignInFailure.js";
import { dummyPasswordHash, type SignInDependencies } from "./signIn.js";

export type BreakGlassResult =
  | { kind: "failed" }
  | { kind: "blocked"; retryAfterSeconds: number }
  | { kind: "signed_in"; sessionToken: string; deviceCookie: string };

export async function breakGlassSignIn(
  deps: SignInDependencies,
  options: {
    email: string;
    password: string;
    recoveryCode: string;
    actor: AuditActor;
    replacingSessionId: string | null;
    deviceCookie: string | null;
    now?: Date;
  },
): Promise<BreakGlassResult> {
  const now = options.now ?? new Date();
  const email = options.email.trim().toLowerCase();
  const ipAddress = options.actor.ipAddress ?? "unknown";
  const staffUser = await deps.db.staffUser.findUnique({
    where: { email },
    select: {
      id: true,
      name: true,
      email: true,
      role: true,
      status: true,
      passwordHash: true,
      totpSecretSealed: true,
      totpLastUsedStep: true,
    },
  });
  const target = { staffUser, email };
  const trustedDevice = staffUser
    ? trustedDeviceNonce(deps.config.sessionSecret, options.deviceCookie, staffUser.id)
    : null;
  const failure = { target, stage: "password" as const, actor: options.actor, trustedDevice };
  const fail = async (reason: "unknown_account" | "wrong_password" | "account_disabled" | "wrong_code") => {
    const { blockedForSeconds } = await recordSignInFailure(deps, { ...failure, reason });
    return blockedForSeconds === null
      ? ({ kind: "failed" } as const)
      : ({ kind: "blocked", retryAfterSeconds: blockedForSeconds } as const);
  };

  const waitSeconds = await deps.limits.secondsBlocked(email, ipAddress, trustedDevice);
  if (waitSeconds !== null) {
    await recordSignInFailure(deps, { ...failure, reason: "blocked" });
    return { kind: "blocked", retryAfterSeconds: waitSeconds };
  }
  const passwordMatches = await verifyPassword(
    staffUser?.passwordHash ?? (await dummyPasswordHash()),
    options.password,
  );
  if (!staffUser?.passwordHash) return fail("unknown_account");
  if (!passwordMatches) return fail("wrong_password");
  if (staffUser.status !== "ACTIVE" || staffUser.role !== "SUPERADMIN") return fail("account_disabled");
  // Six digits would be read as a TOTP code: the emergency path takes recovery codes only.
  const recoveryCode = options.recoveryCode.replace(/\s+/g, "");
  if (recoveryCode.length === 0 || /^\d{6}$/.test(recoveryCode)) return fail("wrong_code");

  const actor = { ...options.actor, staffUserId: staffUser.id, label: staffUser.email };
  const session = await deps.db.$transaction(async (tx) => {
    const method = await consumeSecondFactorCode(tx, {
      config: deps.config,
      staffUser,
      code: recoveryCode,
      audit: actor,
      now,
    });
    if (method !== "recovery_code") return null;
    const started = await startSession(tx, {
      config: deps.config,
      staffUserId: staffUser.id,
      isAuthenticated: true,
      replacing: options.replacingSessionId,
      ipAddress: options.actor.ipAddress,
      userAgent: options.actor.userAgent,
      now,
    });
    await tx.staffUser.update({ where: { id: staffUser.id }, data: { lastSignInAt: now } });
    await recordAudit(
      tx,
      actor,
      "staff.break_glass_sign_in",
      { type: "staff_user", id: staffUser.id },
      { sessionId: started.sessionId },
    );
    await recordAudit(
      tx,
      actor,
      "staff.signed_in",
      { type: "staff_user", id: staffUser.id },
      { method: "break_glass", sessionId: started.sessionId },
    );
    await sendCredentialsChangedEmail(tx, {
      staffUserId: staffUser.id,
      change: "break_glass_sign_in",
      changedAt: now,
    });
    return started;
  });
  if (!session) return fail("wrong_code");
  await deps.limits.recordSuccess(email, ipAddress);
  return {
    kind: "signed_in",
    sessionToken: session.token,
    deviceCookie: issueDeviceCookie(deps.config.sessionSecret, staffUser.id, now),
  };
}
