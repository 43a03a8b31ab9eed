import type { Middleware } from "koa";
import type pg from "pg";
import type { Config } from "../config.js";
import type { Database } from "../db.js";
import { loadSession, sessionCookieName } from "../sessions.js";

/** Loads the staff session named by the cookie, if any: ctx.state.session and ctx.state.staff. */
export function sessionLoader(options: { config: Config; db: Database; sqlPool: pg.Pool }): Middleware {
  const cookieName = sessionCookieName(options.config);
  return async function loadStaffSession(ctx, next) {
    const loaded = await loadSession(
      options.db,
      options.sqlPool,
      options.config,
      ctx.cookies.get(cookieName),
    );
    ctx.state.session = loaded?.session ?? null;
    ctx.state.staff = loaded?.staff ?? null;
    await next();
  };
}
