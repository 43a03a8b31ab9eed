// Each person's own account: password, authenticator, recovery codes, sessions, theme, and their own
// Matrix ID and phone (which four eyes compares with applicants'). Mounted under
// /staff; every signed-in person may use it, and it acts only on the person signed in.
//   GET  /profile                      the page (a fresh authenticator secret, sealed, for re-enrolment)
//   POST /profile/password             change the password (asks the current one; other sessions end)
//   POST /profile/authenticator        move to a new authenticator (password + a code from the new one)
//   POST /profile/recovery-codes       ten new codes, shown once on the answer page (after a step-up
//                                      when the last second factor is older than STEP_UP_MINUTES)
// Each of these three emails the owner and renews this session (a new id and token, cookie set again).
//   POST /profile/sessions/:id/end     end another session of one's own
//   POST /profile/theme                light, dark or the device's choice
//   POST /profile/contact-details      one's own Matrix ID and phone, optional, checked like an applicant's
//   POST /profile/notifications        how one hears of each kind of notification (at once, digest, never)
import Router from "@koa/router";
import type { Context } from "koa";
import { z } from "zod";
import type { AppDependencies } from "../../appDependencies.js";
import { auditActorFor } from "../../audit.js";
import { changeOwnPassword } from "../../commands/signIn/changeOwnPassword.js";
import { endOwnSession } from "../../commands/signIn/endOwnSession.js";
import { enrolAuthenticator } from "../../commands/signIn/enrolAuthenticator.js";
import { regenerateRecoveryCodes } from "../../commands/signIn/regenerateRecoveryCodes.js";
import { changeNotificationPreferences } from "../../commands/staff/changeNotificationPreferences.js";
import { changeOwnContactDetails } from "../../commands/staff/changeOwnContactDetails.js";
import { changeTheme } from "../../commands/staff/changeTheme.js";
import { ZMatrixId, ZPhone } from "../../domain/applicationFields.js";
import {
  hashPassword,
  newPasswordProblems,
  PASSWORD_MAX_LENGTH,
  verifyPassword,
} from "../../domain/password.js";
import { NOTIFICATION_DELIVERIES, STAFF_NOTIFICATION_KINDS } from "../../domain/staffNotifications.js";
import { matchTotpCode, newTotpSecret } from "../../domain/totp.js";
import { notFound } from "../../errors.js";
import type { StaffNotificationKind } from "../../generated/prisma/client.js";
import type { Translator } from "../../i18n/translator.js";
import { staffSessionCsrfToken } from "../../middleware/csrf.js";
import { requireRecentSecondFactor } from "../../middleware/requireRecentSecondFactor.js";
import { signedInStaff } from "../../middleware/requireStaff.js";
import { PROFILE_NOTICES, type ProfileNotice } from "../../presenters/notices/staff.js";
import {
  findNotificationDeliveries,
  presentNotificationPreferences,
} from "../../presenters/notificationPreferences.js";
import { type ProfileForms, presentProfilePage } from "../../presenters/profilePage.js";
import { presentTotpEnrolment } from "../../presenters/totpEnrolment.js";
import { findProfileFacts } from "../../queries/profile.js";
import { openSecretWithRing, sealSecret, sessionSecretRing, totpKeyring } from "../../secrets.js";
import { deviceCookieFrom, trustedDeviceNonce } from "../../security/deviceCookies.js";
import { createSignInLimits, type SignInLimits } from "../../security/signInLimits.js";
import { type SignedInStaff, setSessionCookie } from "../../sessions.js";
import { urls } from "../../urls.js";
import { readForm } from "../toolkit/forms.js";
import { noticeFrom } from "../toolkit/notices.js";
import { uuidParam } from "../toolkit/params.js";

const ZPassword = z
  .string()
  .max(PASSWORD_MAX_LENGTH * 4, "staff.validation.max128")
  .default("");

export const ZPasswordChangeForm = z.object({
  currentPassword: ZPassword,
  password: ZPassword,
  passwordConfirmation: ZPassword,
});

export const ZAuthenticatorForm = z.object({
  currentPassword: ZPassword,
  code: z.string().trim().max(20).default(""),
  sealedTotpSecret: z.string().max(500).default(""),
});

export const ZThemeForm = z.object({ theme: z.enum(["SYSTEM", "LIGHT", "DARK"]) });

/** Each kind optional (a role sees only its own); a value outside the three is a mistake, not ignored. */
const ZDeliveryChoice = z.enum(NOTIFICATION_DELIVERIES).or(z.literal("").transform(() => undefined));
export const ZNotificationsForm = z.object(
  Object.fromEntries(STAFF_NOTIFICATION_KINDS.map((kind) => [kind, ZDeliveryChoice])) as Record<
    StaffNotificationKind,
    typeof ZDeliveryChoice
  >,
);

/** Validated and normalised exactly like an applicant's (E.164 phone, Matrix ID per the spec); empty is null. */
export const ZContactDetailsForm = z.object({ matrixId: ZMatrixId, phone: ZPhone });

type Errors = Record<string, string>;

interface ProfileView extends ProfileForms {
  /** The secret being enrolled, kept across a form with mistakes. */
  pendingSecret?: string;
  notice?: string | null;
  status?: number;
}

function redirectWithNotice(ctx: Context, notice: ProfileNotice): void {
  ctx.status = 303;
  ctx.redirect(`${urls.staffProfile()}?done=${notice}`);
}

export function profileRoutes(deps: AppDependencies): Router {
  const router = new Router();
  // A wrong current password here is a password guess like any other: it counts against the same
  // limits as sign-in, so a session left open somewhere cannot be used to try passwords unhindered.
  const limits = createSignInLimits(deps.rateLimitPool);
  const stepUp = requireRecentSecondFactor(deps);
  // Counted as this browser's: its device cookie (it signed in) keeps others' failures from blocking it.
  const checkCurrentPassword = (ctx: Context, staff: SignedInStaff, typed: string) =>
    currentPasswordProblem(deps, limits, staff, typed, ctx.state.translator, {
      ipAddress: ctx.ip,
      trustedDevice: trustedDeviceNonce(
        sessionSecretRing(deps.config),
        deviceCookieFrom(ctx, deps.config),
        staff.id,
      ),
    });

  router.get("/profile", async (ctx) => {
    await renderProfile(ctx, deps, signedInStaff(ctx), { notice: noticeFrom(ctx, PROFILE_NOTICES) });
  });

  router.post("/profile/password", async (ctx) => {
    const staff = signedInStaff(ctx);
    const form = readForm(ctx, ZPasswordChangeForm, ["currentPassword", "password", "passwordConfirmation"]);
    if (!form.isValid) return renderProfile(ctx, deps, staff, { passwordErrors: form.errors, status: 422 });
    const currentPasswordError = await checkCurrentPassword(ctx, staff, form.data.currentPassword);
    const errors: Errors = {
      ...(currentPasswordError ? { currentPassword: currentPasswordError } : {}),
      ...newPasswordProblems(form.data, staff, ctx.state.translator),
    };
    if (Object.keys(errors).length > 0) {
      return renderProfile(ctx, deps, staff, { passwordErrors: errors, status: 422 });
    }
    const { session } = await changeOwnPassword(deps.db, {
      staffUserId: staff.id,
      currentSessionId: currentSessionId(ctx),
      passwordHash: await hashPassword(form.data.password),
      audit: auditActorFor(ctx, staff),
    });
    continueInRenewedSession(ctx, deps, session);
    redirectWithNotice(ctx, "password");
  });

  router.post("/profile/authenticator", async (ctx) => {
    const staff = signedInStaff(ctx);
    const form = readForm(ctx, ZAuthenticatorForm, ["currentPassword", "code", "sealedTotpSecret"]);
    const secret = form.isValid
      ? openSealed(totpKeyring(deps.config.staff), form.data.sealedTotpSecret, staff)
      : null;
    if (!form.isValid || secret === null) {
      return renderProfile(ctx, deps, staff, {
        authenticatorErrors: {
          code: "staff.profile.authenticator.incomplete",
        },
        status: 422,
      });
    }
    const errors: Errors = {};
    const currentPasswordError = await checkCurrentPassword(ctx, staff, form.data.currentPassword);
    // Keyed by the field's id on the page, which holds two password fields named currentPassword.
    if (currentPasswordError) errors.authenticatorPassword = currentPasswordError;
    const totpStep = matchTotpCode(secret, form.data.code, null);
    if (totpStep === null) errors.code = "staff.profile.authenticator.wrongCode";
    if (Object.keys(errors).length > 0 || totpStep === null) {
      return renderProfile(ctx, deps, staff, {
        authenticatorErrors: errors,
        pendingSecret: secret,
        status: 422,
      });
    }
    const { session } = await enrolAuthenticator(deps.db, {
      config: deps.config,
      staffUserId: staff.id,
      currentSessionId: currentSessionId(ctx),
      totpSecret: secret,
      totpStep,
      audit: auditActorFor(ctx, staff),
    });
    continueInRenewedSession(ctx, deps, session);
    redirectWithNotice(ctx, "authenticator");
  });

  router.post("/profile/recovery-codes", stepUp("staff.stepUp.action.newRecoveryCodes"), async (ctx) => {
    const staff = signedInStaff(ctx);
    const { recoveryCodes, session } = await regenerateRecoveryCodes(deps.db, {
      config: deps.config,
      staffUserId: staff.id,
      currentSessionId: currentSessionId(ctx),
      audit: auditActorFor(ctx, staff),
    });
    continueInRenewedSession(ctx, deps, session);
    // Shown once, as the answer to this POST; never stored in clear.
    await ctx.render("staff/profile/recovery-codes.njk", { recoveryCodes, profileUrl: urls.staffProfile() });
  });

  router.post("/profile/sessions/:id/end", async (ctx) => {
    const staff = signedInStaff(ctx);
    const sessionId = uuidParam(ctx);
    await endOwnSession(deps.db, {
      staffUserId: staff.id,
      currentSessionId: currentSessionId(ctx),
      sessionId,
      audit: auditActorFor(ctx, staff),
    });
    redirectWithNotice(ctx, "session_ended");
  });

  router.post("/profile/theme", async (ctx) => {
    const staff = signedInStaff(ctx);
    const form = readForm(ctx, ZThemeForm, ["theme"]);
    if (!form.isValid) return renderProfile(ctx, deps, staff, { status: 422 });
    await changeTheme(deps.db, {
      staffUserId: staff.id,
      themePreference: form.data.theme,
      audit: auditActorFor(ctx, staff),
    });
    redirectWithNotice(ctx, "theme");
  });

  router.post("/profile/notifications", async (ctx) => {
    const staff = signedInStaff(ctx);
    const form = readForm(ctx, ZNotificationsForm, STAFF_NOTIFICATION_KINDS);
    if (!form.isValid) return renderProfile(ctx, deps, staff, { status: 422 });
    const deliveries = await findNotificationDeliveries(deps.db, deps.config, staff);
    await changeNotificationPreferences(deps.db, {
      staff,
      current: new Map([...deliveries].map(([kind, { delivery }]) => [kind, delivery])),
      chosen: form.data,
      audit: auditActorFor(ctx, staff),
    });
    redirectWithNotice(ctx, "notifications");
  });

  router.post("/profile/contact-details", async (ctx) => {
    const staff = signedInStaff(ctx);
    const form = readForm(ctx, ZContactDetailsForm, ["matrixId", "phone"]);
    if (!form.isValid) {
      return renderProfile(ctx, deps, staff, {
        contactDetailsErrors: form.errors,
        contactDetailsValues: form.values,
        status: 422,
      });
    }
    await changeOwnContactDetails(deps.db, {
      staffUserId: staff.id,
      details: form.data,
      audit: auditActorFor(ctx, staff),
    });
    redirectWithNotice(ctx, "contact_details");
  });

  return router;
}

/**
 * After a change of credentials the session goes on under a new id: the browser gets the new cookie, and
 * a page answered now carries the CSRF token of the new session (its forms, sign-out included, work).
 */
function continueInRenewedSession(
  ctx: Context,
  deps: AppDependencies,
  renewed: { token: string; sessionId: string },
): void {
  setSessionCookie(ctx, deps.config, renewed.token);
  if (ctx.state.session) ctx.state.session = { ...ctx.state.session, id: renewed.sessionId };
  ctx.state.csrfToken = staffSessionCsrfToken(deps.config.sessionSecret, renewed.sessionId);
}

function currentSessionId(ctx: Context): string {
  const session = ctx.state.session as { id: string } | null;
  if (!session) throw notFound();
  return session.id;
}

/** Why the typed current password is not accepted, or null when it is right. */
async function currentPasswordProblem(
  deps: AppDependencies,
  limits: SignInLimits,
  staff: SignedInStaff,
  typed: string,
  translator: Translator,
  browser: { ipAddress: string; trustedDevice: string | null },
): Promise<string | null> {
  if (!typed) return "staff.profile.currentPasswordMissing";
  const { ipAddress, trustedDevice } = browser;
  const secondsBlocked = await limits.secondsBlocked(staff.email, ipAddress, trustedDevice);
  if (secondsBlocked !== null) {
    return translator.t("staff.profile.currentPasswordBlocked", { minutes: Math.ceil(secondsBlocked / 60) });
  }
  const row = await deps.db.staffUser.findUnique({ where: { id: staff.id }, select: { passwordHash: true } });
  if (row?.passwordHash && (await verifyPassword(row.passwordHash, typed))) return null;
  await limits.recordFailure(staff.email, ipAddress, trustedDevice);
  return "staff.profile.currentPasswordWrong";
}

function sealedValue(staff: SignedInStaff, secret: string): string {
  return `profile:${staff.id}:${secret}`;
}

/** The secret sealed for this person's re-enrolment, or null when the field was altered. */
function openSealed(keys: readonly Buffer[], sealed: string, staff: SignedInStaff): string | null {
  if (!sealed) return null;
  try {
    const [purpose, staffUserId, secret] = openSecretWithRing(keys, sealed).plaintext.split(":");
    return purpose === "profile" && staffUserId === staff.id && secret ? secret : null;
  } catch {
    return null;
  }
}

export async function renderProfile(
  ctx: Context,
  deps: AppDependencies,
  staff: SignedInStaff,
  view: ProfileView,
): Promise<void> {
  const current = currentSessionId(ctx);
  const facts = await findProfileFacts(deps.db, staff.id);
  const secret = view.pendingSecret ?? newTotpSecret();
  const totp = await presentTotpEnrolment({
    secret,
    accountName: staff.email,
    issuer: deps.config.site.name,
    sealed: sealSecret(deps.config.staff.totpKey, sealedValue(staff, secret)),
  });
  const status = view.status ?? 200;
  ctx.status = status;
  await ctx.render("staff/profile/index.njk", {
    notice: view.notice ?? null,
    ...presentProfilePage(
      staff,
      { currentSessionId: current, facts, totp, forms: view },
      ctx.state.translator,
    ),
    notifications: presentNotificationPreferences(
      await findNotificationDeliveries(deps.db, deps.config, staff),
      ctx.state.translator,
    ),
  });
  ctx.status = status;
}
