import type { Context, Middleware } from "koa";
import type pg from "pg";
import type { Config } from "../config.js";
import type { Database } from "../db.js";
import { loadSession, sessionCookieName } from "../sessions.js";

interface SessionOptions {
  config: Config;
  db: Database;
  sqlPool: pg.Pool;
}

/**
 * Reads the staff session named by the cookie into ctx.state.session and ctx.state.staff, once per
 * request: the request limiter asks first (staff are counted per account), the session middleware
 * then finds it done. Returns the signed-in staff member's id, or null.
 */
export function staffSessionReader(options: SessionOptions): (ctx: Context) => Promise<string | null> {
  const cookieName = sessionCookieName(options.config);
  return async function readStaffSession(ctx) {
    if (ctx.state.staff === undefined) {
      const loaded = await loadSession(
        options.db,
        options.sqlPool,
        options.config,
        ctx.cookies.get(cookieName),
      );
      ctx.state.session = loaded?.session ?? null;
      ctx.state.staff = loaded?.staff ?? null;
    }
    return ctx.state.staff?.id ?? null;
  };
}

/** Loads the staff session named by the cookie, if any: ctx.state.session and ctx.state.staff. */
export function sessionLoader(options: SessionOptions): Middleware {
  const readStaffSession = staffSessionReader(options);
  return async function loadStaffSession(ctx, next) {
    await readStaffSession(ctx);
    await next();
  };
}
