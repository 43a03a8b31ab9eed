// Staff sign-in (password, then a second factor), sign-out, and asking for a password-reset link.
// Registered before the /staff guard: a signed-out person must reach these. Nothing here is cached.
//
// Sign-in lifecycle: GET /staff/sign-in → POST checks the password and starts a pending session →
// 303 to /staff/sign-in/verify → POST checks the code, replaces the pending session with a full one
// (a new id) and sets a new device cookie → 303 to `next` (same-origin paths only) or /staff. Every
// step redirects after success, so the next page carries the CSRF token of the new session. Both steps
// pass the browser's device cookie to the limits: a remembered browser is not locked out by failures
// from elsewhere (security/deviceCookies.ts); nothing on these pages says which kind a browser is.
import Router from "@koa/router";
import type { Context } from "koa";
import { z } from "zod";
import type { AppDependencies } from "../../appDependencies.js";
import { auditActorFor } from "../../audit.js";
import { requestPasswordReset } from "../../commands/signIn/requestPasswordReset.js";
import { prepareSignIn, signInWithPassword } from "../../commands/signIn/signIn.js";
import { signOut } from "../../commands/signIn/signOut.js";
import { verifySecondFactor } from "../../commands/signIn/verifySecondFactor.js";
import { rateLimited } from "../../errors.js";
import { englishTranslator } from "../../i18n/translator.js";
import { isPasswordSignInOff } from "../../queries/singleSignOn.js";
import { deviceCookieFrom, setDeviceCookie } from "../../security/deviceCookies.js";
import { createSignInLimits } from "../../security/signInLimits.js";
import { clearSessionCookie, setSessionCookie } from "../../sessions.js";
import { urls } from "../../urls.js";
import { readForm } from "../toolkit/forms.js";

// Refusals are catalog ids (the pages translate them); the English of the two that tests compare with
// is exported as the page shows it.
const SIGN_IN_FAILED = "staff.signIn.failed";
const CODE_FAILED = "staff.signIn.codeFailed";
export const SIGN_IN_FAILED_MESSAGE = englishTranslator().t(SIGN_IN_FAILED);
export const CODE_FAILED_MESSAGE = englishTranslator().t(CODE_FAILED);
const BLOCKED_MESSAGE = "staff.signIn.blocked";

const MAX_NEXT_LENGTH = 2000;
export const PASSWORD_SIGN_IN_OFF_MESSAGE = "staff.signIn.passwordSignInOff";

/**
 * Where to go after signing in: only a path on this site. It must start with one "/" (not "//" or
 * "/\", which browsers read as another host), hold no backslash or control character, and stay on our
 * origin when resolved. Anything else gives the staff home.
 */
export function safeNextPath(value: unknown): string {
  const fallback = urls.staffHome();
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_NEXT_LENGTH) return fallback;
  if (!value.startsWith("/") || value.startsWith("//")) return fallback;
  if (value.includes("\\") || /\p{Cc}/u.test(value)) return fallback;
  const base = "https://portal.invalid";
  try {
    const resolved = new URL(value, base);
    if (resolved.origin !== base) return fallback;
  } catch {
    return fallback;
  }
  return value;
}

const boundedText = (max: number) => z.string().max(max, "staff.validation.tooLong");

export const ZSignInForm = z.object({
  email: boundedText(254).trim().min(1, "validation.email.missing"),
  // Bounded in bytes before hashing.
  password: boundedText(512).min(1, "staff.validation.passwordMissing"),
  next: z.string().optional(),
});
export type TSignInForm = z.infer<typeof ZSignInForm>;

export const ZSecondFactorForm = z.object({
  code: boundedText(64).trim().min(1, "staff.validation.codeMissing"),
  next: z.string().optional(),
});

export const ZPasswordResetRequestForm = z.object({
  email: z
    .string()
    .trim()
    .min(1, "validation.email.missing")
    .max(254, "validation.max254")
    .pipe(z.email("validation.email.invalid")),
});

async function renderForm(ctx: Context, view: string, status: number, data: Record<string, unknown>) {
  ctx.status = status;
  await ctx.render(view, data);
  ctx.status = status;
}

/** The form's `next` field, when it holds anything: a same-origin path (safeNextPath). */
function nextFrom(typedNext: string): string | null {
  return typedNext ? safeNextPath(typedNext) : null;
}

export function signInRoutes(deps: AppDependencies): Router {
  const router = new Router();
  const limits = createSignInLimits(deps.rateLimitPool);
  const signInDeps = { config: deps.config, db: deps.db, limits };
  prepareSignIn();

  router.get(urls.staffSignIn(), async (ctx) => {
    ctx.set("Cache-Control", "no-store");
    const next = safeNextPath(ctx.query.next);
    if (ctx.state.staff) {
      ctx.status = 303;
      return ctx.redirect(next);
    }
    await ctx.render("staff/sign-in.njk", {
      values: {},
      errors: {},
      next: typeof ctx.query.next === "string" ? next : null,
      wasReset: ctx.query.reset === "done",
      isPasswordSignInOff: await isPasswordSignInOff(deps.db, deps.config),
    });
  });

  router.post(urls.staffSignIn(), async (ctx) => {
    ctx.set("Cache-Control", "no-store");
    const form = readForm(ctx, ZSignInForm, ["email", "password", "next"]);
    const next = nextFrom(form.values.next);
    const typedEmail = form.values.email.slice(0, 254);
    if (await isPasswordSignInOff(deps.db, deps.config)) {
      return renderForm(ctx, "staff/sign-in.njk", 403, {
        values: {},
        errors: { sso: PASSWORD_SIGN_IN_OFF_MESSAGE },
        next,
        isPasswordSignInOff: true,
      });
    }
    if (!form.isValid) {
      return renderForm(ctx, "staff/sign-in.njk", 422, {
        values: { email: typedEmail },
        errors: form.errors,
        next,
      });
    }

    const result = await signInWithPassword(signInDeps, {
      email: form.data.email,
      password: form.data.password,
      actor: auditActorFor(ctx, null, "sign-in form"),
      replacingSessionId: ctx.state.session?.id ?? null,
      deviceCookie: deviceCookieFrom(ctx, deps.config),
    });
    switch (result.kind) {
      case "blocked":
        throw rateLimited(result.retryAfterSeconds, BLOCKED_MESSAGE);
      case "failed":
        return renderForm(ctx, "staff/sign-in.njk", 422, {
          values: { email: typedEmail },
          errors: { email: SIGN_IN_FAILED },
          isCredentialError: true,
          next,
        });
      case "no_second_factor":
        return renderForm(ctx, "staff/sign-in.njk", 422, {
          values: { email: typedEmail },
          errors: {
            email: "staff.signIn.noSecondFactor",
          },
          isCredentialError: true,
          next,
        });
      case "second_factor_needed":
        setSessionCookie(ctx, deps.config, result.sessionToken);
        ctx.status = 303;
        return ctx.redirect(urls.staffSignInVerify(next ?? undefined));
      case "signed_in":
        return continueSignedIn(ctx, result, next);
    }
  });

  router.get(urls.staffSignInVerify(), async (ctx) => {
    ctx.set("Cache-Control", "no-store");
    const nextParameter = typeof ctx.query.next === "string" ? safeNextPath(ctx.query.next) : null;
    if (ctx.state.staff) {
      ctx.status = 303;
      return ctx.redirect(nextParameter ?? urls.staffHome());
    }
    if (!ctx.state.session) {
      ctx.status = 303;
      return ctx.redirect(urls.staffSignIn(nextParameter ?? undefined));
    }
    await ctx.render("staff/sign-in-verify.njk", {
      errors: {},
      next: nextParameter,
      hasPasskeys: await hasPasskeys(deps, ctx.state.session.staffUserId),
    });
  });

  router.post(urls.staffSignInVerify(), async (ctx) => {
    ctx.set("Cache-Control", "no-store");
    const form = readForm(ctx, ZSecondFactorForm, ["code", "next"]);
    const next = nextFrom(form.values.next);
    const session = ctx.state.session;
    if (!session || session.isAuthenticated) {
      ctx.status = 303;
      return ctx.redirect(session ? (next ?? urls.staffHome()) : urls.staffSignIn(next ?? undefined));
    }
    if (!form.isValid) {
      return renderForm(ctx, "staff/sign-in-verify.njk", 422, {
        errors: form.errors,
        next,
        hasPasskeys: await hasPasskeys(deps, session.staffUserId),
      });
    }
    const result = await verifySecondFactor(signInDeps, {
      pendingSessionId: session.id,
      staffUserId: session.staffUserId,
      code: form.data.code,
      actor: auditActorFor(ctx, null, "sign-in form"),
      deviceCookie: deviceCookieFrom(ctx, deps.config),
    });
    switch (result.kind) {
      case "blocked":
        clearSessionCookie(ctx, deps.config);
        throw rateLimited(result.retryAfterSeconds, BLOCKED_MESSAGE);
      case "failed":
        return renderForm(ctx, "staff/sign-in-verify.njk", 422, {
          errors: { code: CODE_FAILED },
          next,
          hasPasskeys: await hasPasskeys(deps, session.staffUserId),
        });
      case "signed_in":
        return continueSignedIn(ctx, result, next);
    }
  });

  // Only by POST (with the CSRF token): a link or an image elsewhere cannot sign anyone out.
  router.post(urls.staffSignOut(), async (ctx) => {
    ctx.set("Cache-Control", "no-store");
    const session = ctx.state.session;
    if (session) {
      await signOut(deps.db, {
        session,
        actor: auditActorFor(ctx, null, ctx.state.staff?.email ?? "sign-out"),
      });
    }
    clearSessionCookie(ctx, deps.config);
    // Anything the browser kept from staff pages goes too (shared computers), except the cookies: the
    // session cookie is cleared above, and the device cookie stays, so that others' failures cannot lock
    // this browser out at its next sign-in (security/deviceCookies.ts).
    ctx.set("Clear-Site-Data", '"cache", "storage"');
    ctx.status = 303;
    ctx.redirect(urls.staffSignIn());
  });

  router.get(urls.staffForgotPassword(), async (ctx) => {
    ctx.set("Cache-Control", "no-store");
    await ctx.render("staff/password-reset-request.njk", { values: {}, errors: {}, isSent: false });
  });

  router.post(urls.staffForgotPassword(), async (ctx) => {
    ctx.set("Cache-Control", "no-store");
    const form = readForm(ctx, ZPasswordResetRequestForm, ["email"]);
    if (!form.isValid) {
      return renderForm(ctx, "staff/password-reset-request.njk", 422, {
        values: { email: form.values.email.slice(0, 254) },
        errors: form.errors,
        isSent: false,
      });
    }
    const waitSeconds = await limits.resetRequestFromIp(ctx.ip);
    if (waitSeconds !== null) throw rateLimited(waitSeconds);
    // Over the per-address limit nothing more is sent, and the page still says the same. Within it,
    // every address costs the same (one job enqueued), known or not.
    if (await limits.resetRequestForAddress(form.data.email)) {
      await requestPasswordReset(deps.db, { email: form.data.email, requestId: ctx.state.requestId });
    }
    await ctx.render("staff/password-reset-request.njk", { values: {}, errors: {}, isSent: true });
  });

  function continueSignedIn(
    ctx: Context,
    signedIn: { sessionToken: string; deviceCookie: string },
    next: string | null,
  ): void {
    finishSignIn(ctx, deps, signedIn, next);
  }

  return router;
}

/** Whether the account may use a passkey in place of the code (the code page offers it). */
async function hasPasskeys(deps: AppDependencies, staffUserId: string): Promise<boolean> {
  return (await deps.db.staffPasskey.count({ where: { staffUserId } })) > 0;
}

/**
 * A complete sign-in (both factors, a passkey, or the password alone where no second factor is
 * required): the full session's cookie, and only now is this browser remembered as the owner's, for a
 * year; on to `next`.
 */
export function finishSignIn(
  ctx: Context,
  deps: Pick<AppDependencies, "config">,
  signedIn: { sessionToken: string; deviceCookie: string },
  next: string | null,
): void {
  setSessionCookie(ctx, deps.config, signedIn.sessionToken);
  setDeviceCookie(ctx, deps.config, signedIn.deviceCookie);
  ctx.status = 303;
  ctx.redirect(next ?? urls.staffHome());
}
