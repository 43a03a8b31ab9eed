// The public side of applying, for people without a session:
//   GET  /apply               the application form
//   POST /apply               create the draft case and email a confirmation link → /apply/sent
//   GET  /apply/sent          "check your email"
//   GET  /apply/sign-in       "email me a link" (?expired=1: the session ended; ?signed-out=1)
//   POST /apply/sign-in       send a sign-in link if the address has a case → /apply/sign-in/sent, always
//   GET  /apply/sign-in/sent  the same answer whether or not a case exists
//   GET  /privacy             the privacy notice applicants accept, in the page's language, with its version
// The pages behind the emailed links are in routes/links/applicant.ts; the workspace in
// routes/applicant/workspace.ts.
import Router from "@koa/router";
import type { Context } from "koa";
import { z } from "zod";
import type { AppDependencies } from "../../appDependencies.js";
import { applicantAuditActor } from "../../audit.js";
import { requestApplicantSignInLink } from "../../commands/applicants/requestApplicantSignInLink.js";
import { startApplication } from "../../commands/applicants/startApplication.js";
import { ZApplicationForm, ZEmail } from "../../domain/applicationFields.js";
import { rateLimited } from "../../errors.js";
import { presentPrivacyNotice } from "../../presenters/privacyNotice.js";
import { createApplicantLinkLimits } from "../../security/applicantLinkLimits.js";
import { urls } from "../../urls.js";
import { readForm } from "../toolkit/forms.js";

export const ZSignInLinkRequestForm = z.object({ email: ZEmail });

const APPLICATION_TEXT_FIELDS = ["fullName", "email", "matrixId", "phone", "statement"] as const;

export function applyRoutes(deps: AppDependencies): Router {
  const router = new Router();
  const limits = createApplicantLinkLimits(deps.rateLimitPool);

  router.get(urls.apply(), async (ctx) => {
    await renderApplicationForm(ctx, deps, { values: {}, errors: {}, status: 200 });
  });

  router.post(urls.apply(), async (ctx) => {
    ctx.set("Cache-Control", "no-store");
    const form = readForm(ctx, ZApplicationForm, [...APPLICATION_TEXT_FIELDS, "consent"]);
    if (!form.isValid) {
      // The consent box stays ticked only if the person ticked it in this very form.
      return renderApplicationForm(ctx, deps, { values: form.values, errors: form.errors, status: 422 });
    }
    // Applications per address are limited by RATE_LIMIT_APPLY, counted before the request got here.
    await startApplication(deps.sqlPool, {
      config: deps.config,
      application: form.data,
      language: ctx.state.translator.language,
      audit: applicantAuditActor(ctx),
    });
    ctx.status = 303;
    ctx.redirect(urls.applySent());
  });

  router.get(urls.applySent(), async (ctx) => {
    await ctx.render("public/apply-sent.njk");
  });

  router.get(urls.applicantSignInRequest(), async (ctx) => {
    ctx.set("Cache-Control", "no-store");
    await renderSignInRequest(ctx, {
      values: {},
      errors: {},
      status: 200,
      reason: ctx.query.expired === "1" ? "expired" : ctx.query["signed-out"] === "1" ? "signed-out" : null,
    });
  });

  router.post(urls.applicantSignInRequest(), async (ctx) => {
    ctx.set("Cache-Control", "no-store");
    const form = readForm(ctx, ZSignInLinkRequestForm, ["email"]);
    if (!form.isValid) {
      return renderSignInRequest(ctx, {
        values: { email: form.values.email.slice(0, 254) },
        errors: form.errors,
        status: 422,
        reason: null,
      });
    }
    const waitSeconds = await limits.signInRequestFromIp(ctx.ip);
    if (waitSeconds !== null) {
      throw rateLimited(waitSeconds, "errors.message.tooManyLinkRequests");
    }
    // Past the per-address limit nothing more is sent, and the answer stays the same.
    if (await limits.signInLinkForAddress(form.data.email)) {
      await requestApplicantSignInLink(deps.db, { email: form.data.email });
    }
    ctx.status = 303;
    ctx.redirect(urls.applicantSignInSent());
  });

  router.get(urls.applicantSignInSent(), async (ctx) => {
    await ctx.render("public/sign-in-sent.njk");
  });

  router.get(urls.privacyNotice(), async (ctx) => {
    await ctx.render("public/privacy.njk", presentPrivacyNotice(deps.config.privacy, ctx.state.translator));
  });

  return router;
}

async function renderApplicationForm(
  ctx: Context,
  deps: AppDependencies,
  view: { values: Record<string, string>; errors: Record<string, string>; status: number },
): Promise<void> {
  ctx.status = view.status;
  await ctx.render("public/apply.njk", {
    values: view.values,
    errors: view.errors,
    noticeVersion: deps.config.privacy.noticeVersion,
  });
  ctx.status = view.status;
}

async function renderSignInRequest(
  ctx: Context,
  view: {
    values: Record<string, string>;
    errors: Record<string, string>;
    status: number;
    reason: "expired" | "signed-out" | null;
  },
): Promise<void> {
  ctx.status = view.status;
  await ctx.render("public/sign-in-request.njk", view);
  ctx.status = view.status;
}
