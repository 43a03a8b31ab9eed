import type { Context, Middleware } from "koa";
import type pg from "pg";
import { applicantCookieName, loadApplicantSession, type SignedInApplicant } from "../applicantSessions.js";
import type { Config } from "../config.js";
import type { Database } from "../db.js";
import type { Translators } from "../i18n/translator.js";
import { urls } from "../urls.js";
import { followCaseLanguage } from "./language.js";

/**
 * Loads the applicant session named by its cookie, if any: ctx.state.applicant. A signed-in applicant's
 * pages speak their case's language (the one their emails are in) unless they chose one with the switcher.
 */
export function applicantSessionLoader(options: {
  config: Config;
  db: Database;
  sqlPool: pg.Pool;
  translators: Translators;
}): Middleware {
  const cookieName = applicantCookieName(options.config);
  return async function loadApplicant(ctx, next) {
    ctx.state.applicant = await loadApplicantSession(
      options.db,
      options.sqlPool,
      options.config,
      ctx.cookies.get(cookieName),
    );
    if (ctx.state.applicant) {
      followCaseLanguage(ctx, options.config, options.translators, ctx.state.applicant.caseLanguage);
    }
    await next();
  };
}

/**
 * The workspace's pages: a signed-in applicant or the page that explains how to get a link. A form
 * sent after the session ended leads there too (nothing is changed). Never cached.
 */
export function requireApplicant(): Middleware {
  return async function ensureSignedInApplicant(ctx, next) {
    ctx.set("Cache-Control", "no-store");
    if (!ctx.state.applicant) {
      ctx.status = 303;
      ctx.redirect(`${urls.applicantSignInRequest()}?expired=1`);
      return;
    }
    await next();
  };
}

/** The signed-in applicant of a workspace request (requireApplicant guarantees one). */
export function signedInApplicant(ctx: Context): SignedInApplicant {
  const applicant = ctx.state.applicant;
  if (!applicant) throw new Error("signedInApplicant() used outside requireApplicant()");
  return applicant;
}
