import type { Middleware } from "koa";
import type { Config } from "../config.js";
import { forbidden } from "../errors.js";
import { mustRegisterPasskey } from "../policies/staff.js";
import { urls } from "../urls.js";

/**
 * STAFF_PASSKEYS_REQUIRED_FOR: a signed-in person whose role must have a passkey, and who has none,
 * reaches only the page that asks for one and the two steps of adding it (sign-out is outside /staff's
 * guard). Any other page leads there; any other form is refused. Runs after requireStaff.
 */
export function requirePasskeyWhenRequired(config: Config): Middleware {
  const allowedPaths = new Set([
    urls.staffPasskeyRequired(),
    urls.staffProfilePasskeys(),
    urls.staffProfilePasskeyRegister(),
  ]);
  return async function ensurePasskeyRegistered(ctx, next) {
    const staff = ctx.state.staff;
    if (
      !staff ||
      !mustRegisterPasskey(staff, config.staff.passkeysRequiredFor) ||
      allowedPaths.has(ctx.path)
    ) {
      return next();
    }
    if (ctx.method === "GET" || ctx.method === "HEAD") {
      ctx.status = 303;
      ctx.redirect(urls.staffPasskeyRequired());
      return;
    }
    throw forbidden("Add a passkey to your account first: your role needs one before anything else.");
  };
}
