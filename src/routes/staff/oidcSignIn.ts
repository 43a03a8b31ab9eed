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

const BLOCKED_MESSAGE =
  "There have been too many failed attempts to sign in to this account. Wait and try again later, or reset your password.";

/** What the refusal page says, by reason; nothing says whether an account exists for an address. */
const REFUSALS: Partial<Record<SignInFailureReason, { title: string; message: string }>> = {
  sso_unknown_subject: {
    title: "No staff account is linked to that sign-in",
    message:
      "You signed in at the provider, but no staff account here is linked to that identity, and single sign-on never creates accounts. If you were invited, open the link in your invitation email and choose to link your account there; otherwise ask an admin.",
  },
  account_disabled: {
    title: "This staff account cannot sign in",
    message:
      "The staff account linked to that sign-in is not active. Ask an admin if you think this is a mistake.",
  },
  no_second_factor: {
    title: "Two-step sign-in is needed",
    message:
      "The provider did not confirm a second factor for this sign-in, and your staff account has no authenticator app set up here. Turn on two-step sign-in at the provider, or sign in with your password and set up an authenticator app.",
  },
};

const GENERIC_REFUSAL = {
  title: "That sign-in did not work",
  message:
    "The answer from the sign-in provider could not be accepted: the page may have been open too long, used already, or started in another browser. Start again from the sign-in page.",
};

const LINK_REFUSALS = {
  link_unusable: {
    title: "The invitation could not be accepted",
    message:
      "The invitation link has been used, has expired, or the invitation was withdrawn meanwhile. Ask the admin who invited you for a new one.",
  },
  identity_taken: {
    title: "That sign-in is linked to another account",
    message:
      "The identity you signed in with at the provider is already linked to another staff account here, and one identity links one account. Sign in with a different identity, or choose a password on the invitation page.",
  },
  no_second_factor: {
    title: "Two-step sign-in is needed",
    message:
      "The provider did not confirm a second factor for this sign-in. Turn on two-step sign-in at the provider and try again from your invitation link, or choose a password and an authenticator app there instead.",
  },
} as const;

export const BREAK_GLASS_FAILED_MESSAGE =
  "That did not work. The emergency sign-in needs a superadmin's email address, password and an unused recovery code.";

const ZBreakGlassForm = z.object({
  email: z.string().trim().min(1, "Enter your email address.").max(254, "That is too long."),
  password: z.string().min(1, "Enter your password.").max(512, "That is too long."),
  recoveryCode: z.string().trim().min(1, "Enter one of your recovery codes.").max(64, "That is too long."),
});

const UNAVAILABLE_MESSAGE =
  "The single sign-on provider is not answering just now. Try again in a few minutes, or sign in with your password.";
const UNAVAILABLE_ONLY_MESSAGE =
  "The single sign-on provider is not answering just now. Try again in a few minutes.";

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
