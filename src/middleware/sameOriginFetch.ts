// For the few GETs that write: an evidence download or preview records who looked at the file
// ("evidence.viewed", "evidence.downloaded", or "evidence.integrity_failed") before a byte leaves. A
// link or <img> on another site could otherwise make a signed-in person's browser write those rows. A
// POST with a CSRF token (as the audit log's CSV export is) does not fit here: the files are opened by
// links, <img> and <iframe> on our own pages. So the browser's Fetch Metadata decides instead:
//   Sec-Fetch-Site: same-origin   a request our own page started (the link, the image, the frame)
//   Sec-Fetch-Site: none          the person's own navigation (typed, bookmarked, opened from a program)
// are answered; cross-site and same-site (another site, or another subdomain of ours) are refused with
// 403 before anything is read or written. Browsers without Fetch Metadata (before 2020-2023) and
// non-browser clients send no Sec-Fetch-Site: they are refused only when their Referer names another
// origin (our pages send their own, under Referrer-Policy same-origin; another site's page sends its
// origin, or nothing).
import type { Context, Middleware } from "koa";
import { forbidden } from "../errors.js";

const ANSWERED_SITES = new Set(["same-origin", "none"]);

/** A catalog id: the error page says it in the page's language. */
export const CROSS_SITE_READ_MESSAGE = "errors.message.crossSiteRead";

export function sameOriginFetchOnly(options: { publicUrl: URL; isProduction: boolean }): Middleware {
  return async function refuseCrossSiteFetch(ctx, next) {
    if (!isOwnFetch(ctx, options)) throw forbidden(CROSS_SITE_READ_MESSAGE);
    await next();
  };
}

function isOwnFetch(ctx: Context, options: { publicUrl: URL; isProduction: boolean }): boolean {
  const site = ctx.get("sec-fetch-site");
  if (site) return ANSWERED_SITES.has(site);
  const referer = ctx.get("referer");
  if (!referer) return true;
  let refererOrigin: string;
  try {
    refererOrigin = new URL(referer).origin;
  } catch {
    return false;
  }
  if (refererOrigin === options.publicUrl.origin) return true;
  // In development the portal is reached as localhost or 127.0.0.1 alike (as in middleware/csrf.ts).
  return !options.isProduction && refererOrigin === `${ctx.protocol}://${ctx.host}`;
}
