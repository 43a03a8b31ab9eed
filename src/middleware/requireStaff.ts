import type { Context, Middleware } from "koa";
import { forbidden, notFound } from "../errors.js";
import type { SignedInStaff } from "../sessions.js";
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

/** The signed-in person of a request under /staff (requireStaff guarantees one; this narrows the type). */
export function signedInStaff(ctx: Context): SignedInStaff {
  const staff = ctx.state.staff;
  if (!staff) throw notFound();
  return staff;
}
