// The pages behind a Matrix registration token's one-time link, and "email me a new link":
//   GET  /registration-token/new-link        the form: an email address
//   POST /registration-token/new-link        a new reveal link if the address has a live token → /sent,
//                                            always (the answer never says whether it had one)
//   GET  /registration-token/new-link/sent   "check your email"
//   GET  /registration-token/:token          a page with a "Show my registration token" button; changes
//                                            nothing (mail scanners that prefetch links consume nothing)
//   POST /registration-token/:token          consumes the link and shows the token once
// A link that cannot be used says why with the new-link form: unknown → 404, expired or used → 410. A
// token still being created on the homeserver says so and leaves the link unused; a failed, revoked or
// expired token is explained and never shown. With no homeserver configured every page says that
// tokens are not issued here.
//
// No page here is cached. The token page is the only page that ever holds a registration token, and it
// also sends no Referer onwards (Referrer-Policy: no-referrer). The other pages keep the site's
// same-origin policy: under no-referrer a browser sends "Origin: null" with a form, which the CSRF
// check rightly refuses, and the link's URL goes only to this origin anyway. That URL carries the LINK
// token (hashed in link_tokens), never the registration token, and the request log redacts link tokens
// from paths like every other emailed link.
import Router from "@koa/router";
import type { Context } from "koa";
import { z } from "zod";
import type { AppDependencies } from "../../appDependencies.js";
import { requestRevealLink } from "../../commands/registrationTokens/requestRevealLink.js";
import {
  inspectRegistrationTokenLink,
  type RevealLinkProblem,
  revealRegistrationToken,
  type TokenProblem,
} from "../../commands/registrationTokens/revealRegistrationToken.js";
import { ZEmail } from "../../domain/applicationFields.js";
import { rateLimited } from "../../errors.js";
import { createRegistrationTokenLimits } from "../../security/registrationTokenLimits.js";
import { urls } from "../../urls.js";
import { readForm } from "../toolkit/forms.js";

export const ZRevealLinkRequestForm = z.object({ email: ZEmail });

const LINK_PROBLEM_STATUS: Record<RevealLinkProblem, number> = { unknown: 404, expired: 410, used: 410 };
/** A pending token is a normal moment (200); the others will never be shown (410 Gone). */
const TOKEN_PROBLEM_STATUS: Record<TokenProblem, number> = {
  pending: 200,
  failed: 410,
  revoked: 410,
  expired: 410,
};

/** Nothing on these pages may be kept by a cache. */
function privatePage(ctx: Context): void {
  ctx.set("Cache-Control", "no-store");
}

export function registrationTokenLinkRoutes(deps: AppDependencies): Router {
  const router = new Router();
  const limits = createRegistrationTokenLimits(deps.rateLimitPool);
  const isOff = () => deps.config.matrix === null;

  // The fixed paths first: "new-link" must not be taken for a link token.
  router.get(urls.registrationTokenLinkRequest(), async (ctx) => {
    privatePage(ctx);
    if (isOff()) return renderFeatureOff(ctx);
    await renderLinkRequest(ctx, { values: {}, errors: {}, status: 200 });
  });

  router.post(urls.registrationTokenLinkRequest(), async (ctx) => {
    privatePage(ctx);
    if (isOff()) return renderFeatureOff(ctx);
    const form = readForm(ctx, ZRevealLinkRequestForm, ["email"]);
    if (!form.isValid) {
      return renderLinkRequest(ctx, {
        values: { email: form.values.email.slice(0, 254) },
        errors: form.errors,
        status: 422,
      });
    }
    const waitSeconds = await limits.revealLinkRequestFromIp(ctx.ip);
    if (waitSeconds !== null) {
      throw rateLimited(waitSeconds, "errors.message.tooManyLinkRequests");
    }
    // Past the per-address limit nothing more is sent, and the answer stays the same.
    if (await limits.revealLinkForAddress(form.data.email)) {
      await requestRevealLink(deps.db, {
        email: form.data.email,
        // No IP address or browser: the person may be an applicant whose case is erased later, and
        // the append-only log could not forget them.
        audit: { label: "new link form", requestId: ctx.state.requestId },
      });
    }
    ctx.status = 303;
    ctx.redirect(urls.registrationTokenLinkSent());
  });

  router.get(urls.registrationTokenLinkSent(), async (ctx) => {
    privatePage(ctx);
    await ctx.render("links/registration-token-link-sent.njk");
  });

  router.get("/registration-token/:token", async (ctx) => {
    privatePage(ctx);
    if (isOff()) return renderFeatureOff(ctx);
    const state = await inspectRegistrationTokenLink(deps.db, ctx.params.token ?? "");
    if (state.status === "link_unusable") return renderLinkUnusable(ctx, state.problem);
    if (state.status === "token_unusable") return renderTokenUnusable(ctx, state.problem, state.expiresAt);
    await ctx.render("links/registration-token.njk", {
      action: ctx.path,
      expiresAt: state.expiresAt.toISOString(),
    });
  });

  router.post("/registration-token/:token", async (ctx) => {
    privatePage(ctx);
    if (isOff()) return renderFeatureOff(ctx);
    const outcome = await revealRegistrationToken(deps.db, {
      config: deps.config,
      linkToken: ctx.params.token ?? "",
      audit: { label: "registration token link", requestId: ctx.state.requestId },
    });
    if (outcome.status === "link_unusable") return renderLinkUnusable(ctx, outcome.problem);
    if (outcome.status === "token_unusable") {
      return renderTokenUnusable(ctx, outcome.problem, outcome.expiresAt);
    }
    // The page with the token: nothing it links to learns where the person came from.
    ctx.set("Referrer-Policy", "no-referrer");
    const registrationUrl = deps.config.matrix?.registrationUrl ?? null;
    await ctx.render("links/registration-token-revealed.njk", {
      registrationToken: outcome.token,
      registrationUrl: registrationUrl?.toString() ?? null,
      expiresAt: outcome.expiresAt.toISOString(),
      homeserverName: deps.config.matrix?.homeserverUrl.hostname ?? null,
    });
  });

  return router;
}

async function renderWithStatus(
  ctx: Context,
  status: number,
  view: string,
  data: Record<string, unknown>,
): Promise<void> {
  ctx.status = status;
  await ctx.render(view, data);
  ctx.status = status;
}

function renderFeatureOff(ctx: Context): Promise<void> {
  return renderWithStatus(ctx, 404, "links/registration-token-off.njk", {});
}

function renderLinkUnusable(ctx: Context, problem: RevealLinkProblem): Promise<void> {
  return renderWithStatus(ctx, LINK_PROBLEM_STATUS[problem], "links/registration-token-invalid.njk", {
    problem,
    values: {},
    errors: {},
  });
}

function renderTokenUnusable(ctx: Context, problem: TokenProblem, expiresAt: Date): Promise<void> {
  return renderWithStatus(ctx, TOKEN_PROBLEM_STATUS[problem], "links/registration-token-unavailable.njk", {
    problem,
    expiresAt: expiresAt.toISOString(),
    retryUrl: ctx.path,
  });
}

async function renderLinkRequest(
  ctx: Context,
  view: { values: Record<string, string>; errors: Record<string, string>; status: number },
): Promise<void> {
  await renderWithStatus(ctx, view.status, "links/registration-token-new-link.njk", view);
}
