// Sign-in, first step: email address and password.
//
// Lifecycle: refused at once while the account (for this browser: an unknown one, or the remembered
// one whose device cookie it carries) or the IP is blocked → the password is checked (against a dummy
// hash when no account matches, so that unknown addresses take as long as known ones) → on failure the
// same outcome for every reason, counted and audited → on success a pending session (5 minutes, opens
// nothing) waiting for the second factor; or, only where the configuration allows it (development) and
// the account has no authenticator, a full session at once, with a new device cookie. An account moved
// from the original system signs in with its Werkzeug hash once: that sign-in stores an argon2id hash
// of the same password instead, and, as the original had no second factor, gives a full session that
// reaches nothing but the profile until two-step sign-in is set up (middleware/requireStaff.ts).
import type { AuditActor } from "../../audit.js";
import { recordAudit } from "../../audit.js";
import type { Config } from "../../config.js";
import type { Database } from "../../db.js";
import { hashPassword, isImportedPasswordHash, verifyPassword } from "../../domain/password.js";
import { sessionSecretRing } from "../../secrets.js";
import { issueDeviceCookie, trustedDeviceNonce } from "../../security/deviceCookies.js";
import type { SignInLimits } from "../../security/signInLimits.js";
import { startSession } from "../../sessions.js";
import { recordSignInFailure } from "./recordSignInFailure.js";

export type PasswordSignInResult =
  | { kind: "failed" }
  | { kind: "blocked"; retryAfterSeconds: number }
  | { kind: "no_second_factor" }
  | { kind: "second_factor_needed"; sessionToken: string }
  | { kind: "signed_in"; sessionToken: string; deviceCookie: string };

export interface SignInDependencies {
  config: Config;
  db: Database;
  limits: SignInLimits;
}

let dummyHash: Promise<string> | undefined;

/** A hash of a random password, made once: verifying against it costs what a real check costs. */
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(`dummy-${Math.random()}-${Date.now()}`);
  return dummyHash;
}

/** Makes the dummy hash ahead of the first request, so that no request pays for making it. */
export function prepareSignIn(): void {
  dummyPasswordHash().catch(() => {
    dummyHash = undefined;
  });
}

export async function signInWithPassword(
  deps: SignInDependencies,
  options: {
    email: string;
    password: string;
    actor: AuditActor;
    replacingSessionId: string | null;
    /** The device cookie the browser sent, unverified (security/deviceCookies.ts). */
    deviceCookie: string | null;
  },
): Promise<PasswordSignInResult> {
  const email = options.email.trim().toLowerCase();
  const ipAddress = options.actor.ipAddress ?? "unknown";
  const staffUser = await deps.db.staffUser.findUnique({
    where: { email },
    select: {
      id: true,
      name: true,
      email: true,
      status: true,
      passwordHash: true,
      totpEnabledAt: true,
      mustEnrolSecondFactor: true,
    },
  });
  const target = { staffUser, email };
  const trustedDevice = staffUser
    ? trustedDeviceNonce(sessionSecretRing(deps.config), options.deviceCookie, staffUser.id)
    : null;
  const failure = { target, stage: "password" as const, actor: options.actor, trustedDevice };

  const waitSeconds = await deps.limits.secondsBlocked(email, ipAddress, trustedDevice);
  if (waitSeconds !== null) {
    await recordSignInFailure(deps, { ...failure, reason: "blocked" });
    return { kind: "blocked", retryAfterSeconds: waitSeconds };
  }

  const passwordMatches = await verifyPassword(
    staffUser?.passwordHash ?? (await dummyPasswordHash()),
    options.password,
  );
  if (!staffUser?.passwordHash || !passwordMatches || staffUser.status !== "ACTIVE") {
    const reason = !staffUser?.passwordHash
      ? "unknown_account"
      : !passwordMatches
        ? "wrong_password"
        : "account_disabled";
    const { blockedForSeconds } = await recordSignInFailure(deps, { ...failure, reason });
    return blockedForSeconds === null
      ? { kind: "failed" }
      : { kind: "blocked", retryAfterSeconds: blockedForSeconds };
  }

  const hasSecondFactor = staffUser.totpEnabledAt !== null;
  if (!hasSecondFactor && deps.config.staff.requireSecondFactor && !staffUser.mustEnrolSecondFactor) {
    await recordSignInFailure(deps, { ...failure, reason: "no_second_factor" });
    return { kind: "no_second_factor" };
  }

  const importedHashKind = isImportedPasswordHash(staffUser.passwordHash)
    ? staffUser.passwordHash.slice(0, staffUser.passwordHash.indexOf(":"))
    : null;
  const rehashed = importedHashKind === null ? null : await hashPassword(options.password);

  const now = new Date();
  const session = await deps.db.$transaction(async (tx) => {
    if (rehashed !== null) {
      // Only while the imported hash is still there: a concurrent sign-in may have replaced it already.
      const replaced = await tx.staffUser.updateMany({
        where: { id: staffUser.id, passwordHash: staffUser.passwordHash },
        data: { passwordHash: rehashed },
      });
      if (replaced.count === 1) {
        await recordAudit(
          tx,
          { ...options.actor, staffUserId: staffUser.id, label: staffUser.email },
          "staff.password_rehashed",
          { type: "staff_user", id: staffUser.id },
          { from: importedHashKind ?? "", to: "argon2id" },
        );
      }
    }
    const started = await startSession(tx, {
      config: deps.config,
      staffUserId: staffUser.id,
      isAuthenticated: !hasSecondFactor,
      replacing: options.replacingSessionId,
      ipAddress: options.actor.ipAddress,
      userAgent: options.actor.userAgent,
      now,
    });
    if (!hasSecondFactor) {
      await tx.staffUser.update({ where: { id: staffUser.id }, data: { lastSignInAt: now } });
      await recordAudit(
        tx,
        { ...options.actor, staffUserId: staffUser.id, label: staffUser.email },
        "staff.signed_in",
        { type: "staff_user", id: staffUser.id },
        {
          method: staffUser.mustEnrolSecondFactor ? "imported_password" : "password_only",
          sessionId: started.sessionId,
        },
      );
    }
    return started;
  });
  if (!hasSecondFactor) {
    await deps.limits.recordSuccess(email, ipAddress);
    return {
      kind: "signed_in",
      sessionToken: session.token,
      deviceCookie: issueDeviceCookie(deps.config.sessionSecret, staffUser.id, now),
    };
  }
  return { kind: "second_factor_needed", sessionToken: session.token };
}
