// Signing in with the single sign-on provider, once its answer passed every check (security/oidc.ts).
//
// Roles stay in the portal: the provider's identity (issuer + subject) signs in the one existing staff
// account it is linked to, and never makes one. An identity linked to no account is linked only when
// the operator allows it (OIDC_LINK_BY_EMAIL) and the provider vouches for an address (email_verified)
// that belongs to an active account not yet linked to another identity; the link is audited and its
// owner emailed in the same transaction. Anything else is refused and audited, and counts against the
// sign-in limits like a wrong password.
//
// The second factor: when the ID token's amr says the provider checked more than one factor, the sign-in
// is complete. Otherwise, where two-step sign-in is required, the portal asks for its own (the code
// page, which also takes a passkey), exactly as after a password; an account without one is refused.
import type { AuditActor } from "../../audit.js";
import { recordAudit } from "../../audit.js";
import type { OidcSettings } from "../../config.js";
import { issueDeviceCookie, trustedDeviceNonce } from "../../security/deviceCookies.js";
import { type OidcIdentity, provesSecondFactor } from "../../security/oidc.js";
import { startSession } from "../../sessions.js";
import { sendCredentialsChangedEmail } from "./credentialsChangedEmail.js";
import { recordSignInFailure, type SignInFailureReason } from "./recordSignInFailure.js";
import type { SignInDependencies } from "./signIn.js";

/** The limits' account key for an identity linked to no account. */
const UNKNOWN_IDENTITY_ACCOUNT = "unknown-sso-identity";

export type OidcSignInResult =
  | { kind: "failed"; reason: SignInFailureReason }
  | { kind: "blocked"; retryAfterSeconds: number }
  | { kind: "second_factor_needed"; sessionToken: string }
  | { kind: "signed_in"; sessionToken: string; deviceCookie: string; linked: boolean };

const accountSelect = {
  id: true,
  name: true,
  email: true,
  status: true,
  totpEnabledAt: true,
  oidcSubject: true,
} as const;

/** Audits and counts a refusal that happened before any identity was known (bad state, bad answer). */
export async function recordOidcFailure(
  deps: SignInDependencies,
  options: { reason: SignInFailureReason; actor: AuditActor },
): Promise<{ kind: "failed"; reason: SignInFailureReason } | { kind: "blocked"; retryAfterSeconds: number }> {
  const { blockedForSeconds } = await recordSignInFailure(deps, {
    target: { staffUser: null, email: UNKNOWN_IDENTITY_ACCOUNT },
    reason: options.reason,
    stage: "sso",
    actor: options.actor,
    trustedDevice: null,
  });
  return blockedForSeconds === null
    ? { kind: "failed", reason: options.reason }
    : { kind: "blocked", retryAfterSeconds: blockedForSeconds };
}

export async function signInWithOidc(
  deps: SignInDependencies,
  options: {
    settings: OidcSettings;
    identity: OidcIdentity;
    actor: AuditActor;
    replacingSessionId: string | null;
    deviceCookie: string | null;
    now?: Date;
  },
): Promise<OidcSignInResult> {
  const now = options.now ?? new Date();
  const { identity } = options;
  const ipAddress = options.actor.ipAddress ?? "unknown";

  const linked = await deps.db.staffUser.findUnique({
    where: { oidcIssuer_oidcSubject: { oidcIssuer: identity.issuer, oidcSubject: identity.subject } },
    select: accountSelect,
  });
  const byEmail =
    !linked && options.settings.linkByEmail && identity.verifiedEmail
      ? await deps.db.staffUser.findUnique({
          where: { email: identity.verifiedEmail },
          select: accountSelect,
        })
      : null;
  // Only an active account that no identity holds yet may be linked by its address.
  const toLink = byEmail && byEmail.status === "ACTIVE" && byEmail.oidcSubject === null ? byEmail : null;
  const staffUser = linked ?? toLink;
  const email = staffUser?.email ?? UNKNOWN_IDENTITY_ACCOUNT;
  const trustedDevice = staffUser
    ? trustedDeviceNonce(deps.config.sessionSecret, options.deviceCookie, staffUser.id)
    : null;
  const fail = async (reason: SignInFailureReason): Promise<OidcSignInResult> => {
    const { blockedForSeconds } = await recordSignInFailure(deps, {
      target: { staffUser, email },
      reason,
      stage: "sso",
      actor: options.actor,
      trustedDevice,
    });
    return blockedForSeconds === null
      ? { kind: "failed", reason }
      : { kind: "blocked", retryAfterSeconds: blockedForSeconds };
  };

  const waitSeconds = await deps.limits.secondsBlocked(email, ipAddress, trustedDevice);
  if (waitSeconds !== null) {
    await recordSignInFailure(deps, {
      target: { staffUser, email },
      reason: "blocked",
      stage: "sso",
      actor: options.actor,
      trustedDevice,
    });
    return { kind: "blocked", retryAfterSeconds: waitSeconds };
  }
  if (!staffUser) return fail("sso_unknown_subject");
  if (staffUser.status !== "ACTIVE") return fail("account_disabled");

  const hasProviderSecondFactor = provesSecondFactor(identity.authenticationMethods);
  const isComplete = hasProviderSecondFactor || !deps.config.staff.requireSecondFactor;
  if (!isComplete && staffUser.totpEnabledAt === null) {
    // Not a guess: the provider did vouch for the person; only the portal's second factor is missing.
    await recordSignInFailure(deps, {
      target: { staffUser, email },
      reason: "no_second_factor",
      stage: "sso",
      actor: options.actor,
      trustedDevice,
    });
    return { kind: "failed", reason: "no_second_factor" };
  }

  const actor = { ...options.actor, staffUserId: staffUser.id, label: staffUser.email };
  const session = await deps.db.$transaction(async (tx) => {
    let didLink = false;
    if (!linked) {
      // Only while no identity holds the account: of two first sign-ins racing, one links it.
      const { count } = await tx.staffUser.updateMany({
        where: { id: staffUser.id, oidcSubject: null, status: "ACTIVE" },
        data: { oidcIssuer: identity.issuer, oidcSubject: identity.subject, oidcLinkedAt: now },
      });
      if (count !== 1) return null;
      didLink = true;
      await recordAudit(
        tx,
        actor,
        "staff.sso_linked",
        { type: "staff_user", id: staffUser.id },
        { issuer: identity.issuer, subject: identity.subject, by: "verified_email" },
      );
      await sendCredentialsChangedEmail(tx, {
        staffUserId: staffUser.id,
        change: "sso_linked",
        changedAt: now,
      });
    }
    const started = await startSession(tx, {
      config: deps.config,
      staffUserId: staffUser.id,
      isAuthenticated: isComplete,
      replacing: options.replacingSessionId,
      ipAddress: options.actor.ipAddress,
      userAgent: options.actor.userAgent,
      now,
    });
    if (isComplete) {
      await tx.staffUser.update({ where: { id: staffUser.id }, data: { lastSignInAt: now } });
      await recordAudit(
        tx,
        actor,
        "staff.signed_in",
        { type: "staff_user", id: staffUser.id },
        {
          method: hasProviderSecondFactor ? "sso_multi_factor" : "sso",
          amr: identity.authenticationMethods.join(" ").slice(0, 100),
          sessionId: started.sessionId,
        },
      );
    }
    return { ...started, didLink };
  });
  if (!session) return fail("sso_unknown_subject");
  if (!isComplete) return { kind: "second_factor_needed", sessionToken: session.token };
  await deps.limits.recordSuccess(staffUser.email, ipAddress);
  return {
    kind: "signed_in",
    sessionToken: session.token,
    deviceCookie: issueDeviceCookie(deps.config.sessionSecret, staffUser.id, now),
    linked: session.didLink,
  };
}
