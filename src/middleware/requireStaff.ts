import type { Context, Middleware } from "koa";
import { forbidden, notFound } from "../errors.js";
import type { SignedInStaff } from "../sessions.js";
import { urls } from "../urls.js";

/** What someone whose account is not yet set up may reach under /staff (sign-out is outside the guard). */
const SET_UP_ADDRESSES = new Set([
  `GET ${urls.staffProfile()}`,
  `HEAD ${urls.staffProfile()}`,
  `POST ${urls.staffProfileAuthenticator()}`,
  `POST ${urls.staffProfilePassword()}`,
]);

export const UNFINISHED_SET_UP_MESSAGE =
  "Finish setting up your account on your profile first: set up two-step sign-in, and choose a new password where asked.";

/** An account moved from the original system that still lacks two-step sign-in or a chosen password. */
export function hasUnfinishedSetUp(staff: SignedInStaff): boolean {
  return staff.mustEnrolSecondFactor || staff.mustChangePassword;
}

/**
 * Staff pages: a signed-in person or nothing. A page asked for while signed out leads to sign-in and
 * back; a form sent while signed out is refused. Nothing from these pages is ever cached. An account
 * moved from the original system sees only its profile until it has set up two-step sign-in (and chosen
 * a new password, where its old one was temporary).
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
    if (hasUnfinishedSetUp(ctx.state.staff) && !SET_UP_ADDRESSES.has(`${ctx.method} ${ctx.path}`)) {
      if (ctx.method === "GET" || ctx.method === "HEAD") {
        ctx.status = 303;
        ctx.redirect(urls.staffProfile());
        return;
      }
      throw forbidden(UNFINISHED_SET_UP_MESSAGE);
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
