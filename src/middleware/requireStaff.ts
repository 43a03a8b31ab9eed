import type { Middleware } from "koa";
import { forbidden } from "../errors.js";
import { urls } from "../urls.js";

/**
 * Staff pages: a signed-in person or nothing. A page asked for while signed out leads to sign-in and
 * back; a form sent while signed out is refused. Nothing from these pages is ever cached.
 */
export function requireStaff(): Middleware {
  return async function ensureSignedInStaff(ctx, next) {
    ctx.set("Cache-Control", "no-store");
    if (!ctx.state.staff) {
      if (ctx.method === "GET" || ctx.method === "HEAD") {
        ctx.status = 303;
        ctx.redirect(urls.staffSignIn(ctx.originalUrl));
        return;
      }
      throw forbidden("Your session has ended. Sign in again, then repeat what you were doing.");
    }
    await next();
  };
}
