import type { Middleware } from "koa";
import send from "koa-send";
import { type AssetManifest, staticDir } from "../assets.js";
import { HttpError, notFound } from "../errors.js";

const ONE_YEAR_MS = 365 * 24 * 60 * 60 * 1000;

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
    await send(ctx, logicalPath, { root: staticDir, immutable: true, maxage: ONE_YEAR_MS });
  };
}
