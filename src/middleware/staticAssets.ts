import type { Middleware } from "koa";
import send from "koa-send";
import { type AssetManifest, staticDir } from "../assets.js";
import { HttpError, notFound } from "../errors.js";

/**
 * A hashed name never changes content, so any cache (shared ones too: these responses carry no
 * credentials) may keep it for a year without asking again. deploy/nginx sends the same value for the
 * copies it serves from dist/static (src/operations/deployNginx.test.ts compares them).
 */
export const IMMUTABLE_CACHE_CONTROL = "max-age=31536000,immutable";

/** Serves only the content-hashed names of the manifest, with an immutable year-long cache. */
export function staticAssets(manifest: AssetManifest): Middleware {
  return async function serveStaticAsset(ctx, next) {
    if (!ctx.path.startsWith("/static/")) return next();
    if (ctx.method !== "GET" && ctx.method !== "HEAD") {
      ctx.set("Allow", "GET, HEAD");
      throw new HttpError(405, "method_not_allowed", "Static files can only be fetched.");
    }
    const logicalPath = manifest.resolve(ctx.path);
    if (!logicalPath) throw notFound();
    // Set before send(), which then keeps it instead of writing its own.
    ctx.set("Cache-Control", IMMUTABLE_CACHE_CONTROL);
    await send(ctx, logicalPath, { root: staticDir });
  };
}
