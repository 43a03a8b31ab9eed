import type { Middleware } from "koa";
import type { Config } from "../config.js";
import type { Database } from "../db.js";
import { loadSession, sessionCookieName } from "../sessions.js";

/** Loads the staff session named by the cookie, if any: ctx.state.session and ctx.state.staff. */
export function sessionLoader(options: { config: Config; db: Database }): Middleware {
  const cookieName = sessionCookieName(options.config);
  return async function loadStaffSession(ctx, next) {
    const loaded = await loadSession(options.db, options.config, ctx.cookies.get(cookieName));
    ctx.state.session = loaded?.session ?? null;
    ctx.state.staff = loaded?.staff ?? null;
    await next();
  };
}
