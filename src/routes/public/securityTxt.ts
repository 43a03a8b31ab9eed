// GET /.well-known/security.txt (RFC 9116): where to report a vulnerability, from config
// (SECURITY_CONTACT, SECURITY_TXT_EXPIRES, SECURITY_TXT_PREFERRED_LANGUAGES; Canonical from PUBLIC_URL).
// A plain 404 when no contact is configured. Behind the same middleware as every page: the security
// headers, the ordinary per-client request limits, nothing stricter.
import Router from "@koa/router";
import type { AppDependencies } from "../../appDependencies.js";
import type { SecurityTxtSettings } from "../../config.js";
import { notFound } from "../../errors.js";
import { urls } from "../../urls.js";

export function securityTxtRoutes(deps: AppDependencies): Router {
  const router = new Router();
  const settings = deps.config.securityTxt;
  const text = settings ? securityTxtText(settings) : null;

  router.get(urls.securityTxt(), (ctx) => {
    if (text === null) throw notFound();
    ctx.type = "text/plain; charset=utf-8";
    // A day at most: an updated contact or expiry reaches readers soon after a restart.
    ctx.set("Cache-Control", "public, max-age=86400");
    ctx.body = text;
  });
  return router;
}

/** The file: one field per line, CRLF or LF both allowed by the RFC; LF here. */
export function securityTxtText(settings: SecurityTxtSettings): string {
  const lines = [
    ...settings.contacts.map((contact) => `Contact: ${contact}`),
    // RFC 3339 in UTC, as the RFC's own examples (2021-12-31T18:37:07.000Z).
    `Expires: ${settings.expiresAt.toISOString()}`,
    ...(settings.preferredLanguages.length > 0
      ? [`Preferred-Languages: ${settings.preferredLanguages.join(", ")}`]
      : []),
    `Canonical: ${settings.canonicalUrl}`,
  ];
  return `${lines.join("\n")}\n`;
}
