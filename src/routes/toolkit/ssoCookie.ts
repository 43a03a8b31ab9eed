// The cookie that binds a single sign-on round trip to the browser that started it (security/oidc.ts):
// a random value whose hash the stored request holds. __Host- over https; Lax, because the provider
// sends the browser back with a top-level GET, which carries a Lax cookie and nothing stricter.
import type { Context } from "koa";
import type { AppDependencies } from "../../appDependencies.js";
import { OIDC_REQUEST_LIFETIME_MS } from "../../security/oidc.js";

function cookieName(deps: Pick<AppDependencies, "config">): string {
  return deps.config.http.publicUrl.protocol === "https:" ? "__Host-sso-request" : "sso-request";
}

export function setSsoCookie(ctx: Context, deps: Pick<AppDependencies, "config">, value: string): void {
  const isHttps = deps.config.http.publicUrl.protocol === "https:";
  if (isHttps) ctx.cookies.secure = true; // TLS ends at the proxy in front of us.
  ctx.cookies.set(cookieName(deps), value, {
    httpOnly: true,
    sameSite: "lax",
    secure: isHttps,
    path: "/",
    maxAge: OIDC_REQUEST_LIFETIME_MS,
    overwrite: true,
  });
}

/** The cookie's value, cleared at once: a round trip's answer is taken once. */
export function takeSsoCookie(ctx: Context, deps: Pick<AppDependencies, "config">): string {
  const value = ctx.cookies.get(cookieName(deps)) ?? "";
  ctx.cookies.set(cookieName(deps), null, { path: "/", overwrite: true });
  return value;
}
