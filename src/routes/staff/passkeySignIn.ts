// Signing in with a passkey. Registered before the /staff guard, like the password sign-in; nothing here
// is cached, and every POST counts against the sign-in request tier.
//
//   POST /staff/sign-in/passkey              a challenge for a passkey alone (no address, no password),
//                                            bound to this browser by a short-lived cookie → the page
//                                            that asks the browser for a passkey
//   POST /staff/sign-in/passkey/check        its answer → a full session, or the sign-in page again
//   POST /staff/sign-in/verify/passkey       after the password, in place of the code: a challenge bound
//                                            to the pending session, for the account's own passkeys
//   POST /staff/sign-in/verify/passkey/check its answer → a full session, or the code page again
// Both ends lead where the password sign-in leads (`next`, same-origin paths only), with a new session
// id and a new device cookie.
import Router from "@koa/router";
import type { Context } from "koa";
import type { AppDependencies } from "../../appDependencies.js";
import { auditActorFor } from "../../audit.js";
import { signInWithPasskey } from "../../commands/passkeys/signInWithPasskey.js";
import { rateLimited } from "../../errors.js";
import { isPasswordSignInOff } from "../../queries/singleSignOn.js";
import { deviceCookieFrom } from "../../security/deviceCookies.js";
import {
  cookieBinding,
  newChallengeCookieValue,
  PASSKEY_CHALLENGE_LIFETIME_MS,
  parseCeremonyResponse,
  sessionBinding,
  startPasskeyAuthentication,
  ZAuthenticationResponse,
} from "../../security/passkeys.js";
import { createSignInLimits } from "../../security/signInLimits.js";
import { clearSessionCookie } from "../../sessions.js";
import { urls } from "../../urls.js";
import { typedFields } from "../toolkit/forms.js";
import { renderCeremony } from "./passkeyCeremonyView.js";
import { finishSignIn, safeNextPath } from "./signIn.js";

export const PASSKEY_FAILED_MESSAGE = "staff.signIn.passkeyFailed";
const BLOCKED_MESSAGE = "staff.signIn.blocked";

/** The cookie that binds a sign-in challenge to the browser that asked for it (__Host- over https). */
function challengeCookieName(deps: AppDependencies): string {
  return deps.config.http.publicUrl.protocol === "https:" ? "__Host-passkey-challenge" : "passkey-challenge";
}

function nextFrom(ctx: Context): string | null {
  const typed = typedFields(ctx, ["next"]).next;
  return typed ? safeNextPath(typed) : null;
}

export function passkeySignInRoutes(deps: AppDependencies): Router {
  const router = new Router();
  const limits = createSignInLimits(deps.rateLimitPool);
  const signInDeps = { config: deps.config, db: deps.db, limits };
  const isHttps = deps.config.http.publicUrl.protocol === "https:";

  router.post(urls.staffSignInPasskey(), async (ctx) => {
    ctx.set("Cache-Control", "no-store");
    const next = nextFrom(ctx);
    // Single sign-on only: a passkey alone would sign in past the provider.
    if (await isPasswordSignInOff(deps.db, deps.config)) {
      ctx.status = 303;
      return ctx.redirect(urls.staffSignIn(next ?? undefined));
    }
    if (ctx.state.staff) {
      ctx.status = 303;
      return ctx.redirect(next ?? urls.staffHome());
    }
    const cookieValue = newChallengeCookieValue();
    const options = await startPasskeyAuthentication(deps.db, {
      config: deps.config,
      purpose: "sign_in",
      binding: cookieBinding(cookieValue),
    });
    if (isHttps) ctx.cookies.secure = true; // TLS ends at the proxy in front of us.
    ctx.cookies.set(challengeCookieName(deps), cookieValue, {
      httpOnly: true,
      sameSite: "lax",
      secure: isHttps,
      path: "/",
      maxAge: PASSKEY_CHALLENGE_LIFETIME_MS,
      overwrite: true,
    });
    await renderCeremony(ctx, {
      ceremony: "authenticate",
      title: ctx.state.translator.t("staff.passkeyCeremony.signIn.title"),
      lead: ctx.state.translator.t("staff.passkeyCeremony.signIn.lead", { siteName: deps.config.site.name }),
      action: urls.staffSignInPasskeyCheck(),
      buttonText: ctx.state.translator.t("staff.passkeyCeremony.usePasskey"),
      options,
      cancelUrl: urls.staffSignIn(),
      next,
    });
  });

  router.post(urls.staffSignInPasskeyCheck(), async (ctx) => {
    ctx.set("Cache-Control", "no-store");
    const next = nextFrom(ctx);
    // Single sign-on only: a passkey alone would sign in past the provider.
    if (await isPasswordSignInOff(deps.db, deps.config)) {
      ctx.status = 303;
      return ctx.redirect(urls.staffSignIn(next ?? undefined));
    }
    const cookieName = challengeCookieName(deps);
    const cookieValue = ctx.cookies.get(cookieName) ?? "";
    ctx.cookies.set(cookieName, null, { path: "/", overwrite: true });
    const response = parseCeremonyResponse(ZAuthenticationResponse, typedFields(ctx, ["response"]).response);
    const result = response
      ? await signInWithPasskey(signInDeps, {
          response,
          binding: cookieBinding(cookieValue),
          mode: { kind: "sign_in", replacingSessionId: ctx.state.session?.id ?? null },
          actor: auditActorFor(ctx, null, "passkey sign-in"),
          deviceCookie: deviceCookieFrom(ctx, deps.config),
        })
      : ({ kind: "failed" } as const);
    switch (result.kind) {
      case "blocked":
        throw rateLimited(result.retryAfterSeconds, BLOCKED_MESSAGE);
      case "failed":
        ctx.status = 422;
        await ctx.render("staff/sign-in.njk", {
          values: {},
          errors: { passkey: PASSKEY_FAILED_MESSAGE },
          next,
        });
        ctx.status = 422;
        return;
      case "signed_in":
        return finishSignIn(ctx, deps, result, next);
    }
  });

  router.post(urls.staffSignInVerifyPasskey(), async (ctx) => {
    ctx.set("Cache-Control", "no-store");
    const next = nextFrom(ctx);
    const session = ctx.state.session;
    if (!session || session.isAuthenticated) {
      ctx.status = 303;
      return ctx.redirect(session ? (next ?? urls.staffHome()) : urls.staffSignIn(next ?? undefined));
    }
    const allowed = await deps.db.staffPasskey.findMany({
      where: { staffUserId: session.staffUserId },
      select: { credentialId: true, transports: true },
    });
    const options = await startPasskeyAuthentication(deps.db, {
      config: deps.config,
      purpose: "second_factor",
      binding: sessionBinding(session.id),
      allowed,
    });
    await renderCeremony(ctx, {
      ceremony: "authenticate",
      title: ctx.state.translator.t("staff.passkeyCeremony.secondFactor.title"),
      lead: ctx.state.translator.t("staff.passkeyCeremony.secondFactor.lead"),
      action: urls.staffSignInVerifyPasskeyCheck(),
      buttonText: ctx.state.translator.t("staff.passkeyCeremony.usePasskey"),
      options,
      cancelUrl: urls.staffSignInVerify(next ?? undefined),
      next,
    });
  });

  router.post(urls.staffSignInVerifyPasskeyCheck(), async (ctx) => {
    ctx.set("Cache-Control", "no-store");
    const next = nextFrom(ctx);
    const session = ctx.state.session;
    if (!session || session.isAuthenticated) {
      ctx.status = 303;
      return ctx.redirect(session ? (next ?? urls.staffHome()) : urls.staffSignIn(next ?? undefined));
    }
    const response = parseCeremonyResponse(ZAuthenticationResponse, typedFields(ctx, ["response"]).response);
    const result = response
      ? await signInWithPasskey(signInDeps, {
          response,
          binding: sessionBinding(session.id),
          mode: { kind: "second_factor", pendingSessionId: session.id, staffUserId: session.staffUserId },
          actor: auditActorFor(ctx, null, "sign-in form"),
          deviceCookie: deviceCookieFrom(ctx, deps.config),
        })
      : ({ kind: "failed" } as const);
    switch (result.kind) {
      case "blocked":
        clearSessionCookie(ctx, deps.config);
        throw rateLimited(result.retryAfterSeconds, BLOCKED_MESSAGE);
      case "failed":
        ctx.status = 422;
        await ctx.render("staff/sign-in-verify.njk", {
          errors: { passkey: PASSKEY_FAILED_MESSAGE },
          next,
          hasPasskeys: true,
        });
        ctx.status = 422;
        return;
      case "signed_in":
        return finishSignIn(ctx, deps, result, next);
    }
  });

  return router;
}
