// Which language a page speaks. Staff pages stay in English (their strings come from the same catalogs,
// so translating them later is data; the pseudo-language shows them only when offered and chosen).
// Elsewhere: the visitor's own choice from the switcher (a cookie), else the best match for the
// browser's Accept-Language, else the first offered language. Pages for a signed-in applicant may
// override this with the language stored on their case (see setPageLanguage).
import type { Context, Middleware } from "koa";
import type { Config } from "../config.js";
import { isLanguage, type Language, PSEUDO_LANGUAGE } from "../i18n/languages.js";
import type { Translators } from "../i18n/translator.js";

export function languageCookieName(config: Config): string {
  return config.http.publicUrl.protocol === "https:" ? "__Host-language" : "language";
}

export function chooseLanguage(config: Config, translators: Translators): Middleware {
  const cookieName = languageCookieName(config);
  return async (ctx, next) => {
    setPageLanguage(ctx, translators, languageFor(ctx, translators.offered, cookieName));
    await next();
  };
}

function languageFor(ctx: Context, offered: readonly Language[], cookieName: string): Language {
  const fallback = offered[0] ?? "en";
  const chosen = ctx.cookies.get(cookieName);
  // Staff pages speak English; only the pseudo-language (offered where tests and translators ask for
  // it) shows them otherwise, so that a word that bypassed the catalogs stands out there too.
  if (isStaffPath(ctx.path))
    return chosen === PSEUDO_LANGUAGE && offered.includes(PSEUDO_LANGUAGE) ? chosen : "en";
  if (isLanguage(chosen, offered)) return chosen;
  // The pseudo-language is for tests and translators: only an explicit choice shows it.
  const matched = ctx.acceptsLanguages(...offered.filter((language) => language !== "en-XA"));
  return isLanguage(matched, offered) ? matched : fallback;
}

/**
 * A signed-in applicant's page speaks the language stored on their case (set when they applied, or by
 * their last choice in the switcher) when this browser holds no choice of its own. Staff pages stay English.
 */
export function followCaseLanguage(
  ctx: Context,
  config: Config,
  translators: Translators,
  caseLanguage: string,
): void {
  if (isStaffPath(ctx.path) || ctx.cookies.get(languageCookieName(config))) return;
  if (isLanguage(caseLanguage, translators.offered)) setPageLanguage(ctx, translators, caseLanguage);
}

function isStaffPath(path: string): boolean {
  return path === "/staff" || path.startsWith("/staff/");
}

/** Makes `language` the page's language (its translator, `lang` attribute and Content-Language). */
export function setPageLanguage(ctx: Context, translators: Translators, language: Language): void {
  ctx.state.translator = translators.for(language);
  ctx.set("Content-Language", ctx.state.translator.language);
  // A response that depends on the request's Accept-Language must say so to any cache in between.
  ctx.vary("Accept-Language");
}

/** Remembers the visitor's choice for a year (not a tracking cookie: it holds only the language). */
export function rememberLanguage(ctx: Context, config: Config, language: Language): void {
  const isHttps = config.http.publicUrl.protocol === "https:";
  if (isHttps) ctx.cookies.secure = true;
  ctx.cookies.set(languageCookieName(config), language, {
    httpOnly: true,
    sameSite: "lax",
    secure: isHttps,
    path: "/",
    maxAge: 365 * 24 * 60 * 60 * 1000,
    overwrite: true,
  });
}
