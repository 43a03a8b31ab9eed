// Signing in with the single sign-on provider (OIDC_ISSUER). Registered before the /staff guard, like the
// password sign-in; nothing here is cached.
//
//   POST /staff/sign-in/sso           stores a request (state, nonce, PKCE verifier) bound to this
//                                     browser by a short-lived cookie → 303 to the provider
//   GET  /staff/sign-in/sso/callback  the provider sends the browser back with a code and the state
//                                     → the code redeemed and the ID token checked → a full session (or
//                                     the code page, when the portal's second factor is still needed)
// The callback changes state on a GET because the protocol says so: what protects it is that it acts
// only on the state of a request this same browser started (its cookie) moments ago, once.
// A provider that cannot be reached gives the sign-in page again with a message, and the password form.
import Router from "@koa/router";
import type { Context } from "koa";
import { z } from "zod";
import type { AppDependencies } from "../../appDependencies.js";
import { auditActorFor } from "../../audit.js";
import { breakGlassSignIn } from "../../commands/signIn/breakGlassSignIn.js";
import type { SignInFailureReason } from "../../commands/signIn/recordSignInFailure.js";
import { recordOidcFailure, signInWithOidc } from "../../commands/signIn/signInWithOidc.js";
import { acceptInvitationWithSso } from "../../commands/staff/acceptInvitationWithSso.js";
import { rateLimited } from "../../errors.js";
import { isPasswordSignInOff } from "../../queries/singleSignOn.js";
import { openSecret } from "../../secrets.js";
import { deviceCookieFrom } from "../../security/deviceCookies.js";
import {
  consumeOidcRequest,
  finishOidcRequest,
  newOidcCookieValue,
  OidcAnswerRejected,
  OidcProviderUnavailable,
  oidcCookieBinding,
  startOidcRequest,
} from "../../security/oidc.js";
import { createSignInLimits } from "../../security/signInLimits.js";
import { setSessionCookie } from "../../sessions.js";
import { urls } from "../../urls.js";
import { readForm, typedFields } from "../toolkit/forms.js";
import { setSsoCookie, takeSsoCookie } from "../toolkit/ssoCookie.js";
import { finishSignIn, safeNextPath } from "./signIn.js";

const BLOCKED_MESSAGE = "staff.signIn.blocked";

/**
 * What the refusal page says, by reason (catalog ids); nothing says whether an account exists for an
 * address.
 */
const REFUSALS: Partial<Record<SignInFailureReason, { title: string; message: string }>> = {
  sso_unknown_subject: {
    title: "staff.ssoRefused.unknownSubject.title",
    message: "staff.ssoRefused.unknownSubject.message",
  },
  account_disabled: {
    title: "staff.ssoRefused.accountDisabled.title",
    message: "staff.ssoRefused.accountDisabled.message",
  },
  no_second_factor: {
    title: "staff.ssoRefused.noSecondFactor.title",
    message: "staff.ssoRefused.noSecondFactor.message",
  },
};

const GENERIC_REFUSAL = {
  title: "staff.ssoRefused.generic.title",
  message: "staff.ssoRefused.generic.message",
};

const LINK_REFUSALS = {
  link_unusable: {
    title: "staff.ssoRefused.linkUnusable.title",
    message: "staff.ssoRefused.linkUnusable.message",
  },
  identity_taken: {
    title: "staff.ssoRefused.identityTaken.title",
    message: "staff.ssoRefused.identityTaken.message",
  },
  no_second_factor: {
    title: "staff.ssoRefused.noSecondFactor.title",
    message: "staff.ssoRefused.invitationNoSecondFactor.message",
  },
} as const;

export const BREAK_GLASS_FAILED_MESSAGE = "staff.breakGlass.failed";

const ZBreakGlassForm = z.object({
  email: z.string().trim().min(1, "validation.email.missing").max(254, "staff.validation.tooLong"),
  password: z.string().min(1, "staff.validation.passwordMissing").max(512, "staff.validation.tooLong"),
  recoveryCode: z
    .string()
    .trim()
    .min(1, "staff.validation.recoveryCodeMissing")
    .max(64, "staff.validation.tooLong"),
});

const UNAVAILABLE_MESSAGE = "staff.signIn.ssoUnavailable";
const UNAVAILABLE_ONLY_MESSAGE = "staff.signIn.ssoUnavailableOnly";

export function oidcSignInRoutes(deps: AppDependencies): Router {
  const router = new Router();
  const settings = deps.config.oidc;
  if (!settings) return router;
  const limits = createSignInLimits(deps.rateLimitPool);
  const signInDeps = { config: deps.config, db: deps.db, limits };

  async function renderUnavailable(ctx: Context, next: string | null): Promise<void> {
    const isOff = await isPasswordSignInOff(deps.db, deps.config);
    ctx.status = 503;
    await ctx.render("staff/sign-in.njk", {
      values: {},
      errors: { sso: isOff ? UNAVAILABLE_ONLY_MESSAGE : UNAVAILABLE_MESSAGE },
      next,
      isPasswordSignInOff: isOff,
    });
    ctx.status = 503;
  }

  async function renderRefusal(ctx: Context, reason: SignInFailureReason): Promise<void> {
    const refusal = REFUSALS[reason] ?? GENERIC_REFUSAL;
    ctx.status = reason === "sso_request_invalid" || reason === "sso_rejected" ? 400 : 403;
    await ctx.render("staff/sso-refused.njk", refusal);
    ctx.status = reason === "sso_request_invalid" || reason === "sso_rejected" ? 400 : 403;
  }

  router.post(urls.staffSignInOidc(), async (ctx) => {
    ctx.set("Cache-Control", "no-store");
    const typedNext = typedFields(ctx, ["next"]).next;
    const next = typedNext ? safeNextPath(typedNext) : null;
    if (ctx.state.staff) {
      ctx.status = 303;
      return ctx.redirect(next ?? urls.staffHome());
    }
    const cookieValue = newOidcCookieValue();
    let authorizationUrl: URL;
    try {
      authorizationUrl = await startOidcRequest(deps.db, deps.config, settings, {
        purpose: "sign_in",
        binding: oidcCookieBinding(cookieValue),
        nextPath: next,
      });
    } catch (error) {
      if (!(error instanceof OidcProviderUnavailable)) throw error;
      deps.logger.warn(
        { err: error.message, requestId: ctx.state.requestId },
        "single sign-on provider unreachable",
      );
      await recordOidcFailure(signInDeps, {
        reason: "sso_provider_unavailable",
        actor: auditActorFor(ctx, null, "single sign-on"),
      });
      return renderUnavailable(ctx, next);
    }
    setSsoCookie(ctx, deps, cookieValue);
    ctx.status = 303;
    ctx.redirect(authorizationUrl.href);
  });

  router.get(urls.staffSignInOidcCallback(), async (ctx) => {
    ctx.set("Cache-Control", "no-store");
    // The code and state must not travel further in a Referer header.
    ctx.set("Referrer-Policy", "no-referrer");
    const actor = auditActorFor(ctx, null, "single sign-on");
    const cookieValue = takeSsoCookie(ctx, deps);
    const state = typeof ctx.query.state === "string" ? ctx.query.state : "";
    const request = cookieValue
      ? await consumeOidcRequest(deps.db, { state, binding: oidcCookieBinding(cookieValue) })
      : null;
    if (!request) {
      const outcome = await recordOidcFailure(signInDeps, { reason: "sso_request_invalid", actor });
      if (outcome.kind === "blocked") throw rateLimited(outcome.retryAfterSeconds, BLOCKED_MESSAGE);
      return renderRefusal(ctx, "sso_request_invalid");
    }
    const next = request.nextPath ? safeNextPath(request.nextPath) : null;

    let identity: Awaited<ReturnType<typeof finishOidcRequest>>;
    try {
      // Built from PUBLIC_URL, as the redirect URI was: the Host header plays no part.
      identity = await finishOidcRequest(settings, new URL(ctx.url, deps.config.http.publicUrl), request);
    } catch (error) {
      if (error instanceof OidcProviderUnavailable) {
        deps.logger.warn(
          { err: error.message, requestId: ctx.state.requestId },
          "single sign-on provider unreachable",
        );
        await recordOidcFailure(signInDeps, { reason: "sso_provider_unavailable", actor });
        return renderUnavailable(ctx, next);
      }
      if (!(error instanceof OidcAnswerRejected)) throw error;
      deps.logger.info(
        { reason: error.reason, requestId: ctx.state.requestId },
        "single sign-on answer refused",
      );
      const outcome = await recordOidcFailure(signInDeps, { reason: "sso_rejected", actor });
      if (outcome.kind === "blocked") throw rateLimited(outcome.retryAfterSeconds, BLOCKED_MESSAGE);
      return renderRefusal(ctx, "sso_rejected");
    }

    if (request.purpose === "link_invitation") {
      const token = request.linkTokenSealed
        ? openSecret(deps.config.staff.totpKey, request.linkTokenSealed)
        : "";
      const accepted = await acceptInvitationWithSso(deps.db, {
        config: deps.config,
        token,
        staffUserId: request.staffUserId ?? "",
        identity,
        audit: actor,
        replacingSessionId: ctx.state.session?.id ?? null,
      });
      if (accepted.kind !== "accepted") {
        const outcome = await recordOidcFailure(signInDeps, { reason: "sso_link_refused", actor });
        if (outcome.kind === "blocked") throw rateLimited(outcome.retryAfterSeconds, BLOCKED_MESSAGE);
        ctx.status = 403;
        await ctx.render("staff/sso-refused.njk", LINK_REFUSALS[accepted.kind]);
        ctx.status = 403;
        return;
      }
      setSessionCookie(ctx, deps.config, accepted.sessionToken);
      ctx.status = 303;
      return ctx.redirect(urls.staffHome());
    }

    const result = await signInWithOidc(signInDeps, {
      settings,
      identity,
      actor,
      replacingSessionId: ctx.state.session?.id ?? null,
      deviceCookie: deviceCookieFrom(ctx, deps.config),
    });
    switch (result.kind) {
      case "blocked":
        throw rateLimited(result.retryAfterSeconds, BLOCKED_MESSAGE);
      case "failed":
        return renderRefusal(ctx, result.reason);
      case "second_factor_needed":
        setSessionCookie(ctx, deps.config, result.sessionToken);
        ctx.status = 303;
        return ctx.redirect(urls.staffSignInVerify(next ?? undefined));
      case "signed_in":
        return finishSignIn(ctx, deps, result, next);
    }
  });

  if (settings.only) {
    router.get(urls.staffSignInBreakGlass(), async (ctx) => {
      ctx.set("Cache-Control", "no-store");
      await ctx.render("staff/break-glass.njk", { values: {}, errors: {} });
    });

    router.post(urls.staffSignInBreakGlass(), async (ctx) => {
      ctx.set("Cache-Control", "no-store");
      const form = readForm(ctx, ZBreakGlassForm, ["email", "password", "recoveryCode"]);
      const typedEmail = form.values.email.slice(0, 254);
      if (!form.isValid) {
        ctx.status = 422;
        await ctx.render("staff/break-glass.njk", { values: { email: typedEmail }, errors: form.errors });
        ctx.status = 422;
        return;
      }
      const result = await breakGlassSignIn(signInDeps, {
        email: form.data.email,
        password: form.data.password,
        recoveryCode: form.data.recoveryCode,
        actor: auditActorFor(ctx, null, "emergency sign-in"),
        replacingSessionId: ctx.state.session?.id ?? null,
        deviceCookie: deviceCookieFrom(ctx, deps.config),
      });
      switch (result.kind) {
        case "blocked":
          throw rateLimited(result.retryAfterSeconds, BLOCKED_MESSAGE);
        case "failed":
          ctx.status = 422;
          await ctx.render("staff/break-glass.njk", {
            values: { email: typedEmail },
            errors: { email: BREAK_GLASS_FAILED_MESSAGE },
          });
          ctx.status = 422;
          return;
        case "signed_in":
          return finishSignIn(ctx, deps, result, null);
      }
    });
  }

  return router;
}
