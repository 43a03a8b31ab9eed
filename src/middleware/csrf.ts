// CSRF defence, applied once for every state-changing request: an Origin / Fetch-Metadata check, and a
// synchronizer token. With a staff or applicant session the token is HMAC(secret, session id): tied to
// the session and changing with it. Without one (public forms) it is a signed double-submit token (OWASP's
// stateless pattern): the cookie holds a random seed, forms carry HMAC(secret, seed), which another
// site can neither read nor forge. Runs after the session loader.
import { createHmac, timingSafeEqual } from "node:crypto";
import type { Context, Middleware } from "koa";
import { forbidden } from "../errors.js";
import { isMultipartUpload } from "./bodyParser.js";
import { randomString } from "./randomPool.js";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const SEED_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function csrfProtection(options: {
  secret: string;
  /** The secret before the last rotation: a form it signed (a page open across the restart) still posts. */
  previousSecret?: string | null;
  publicUrl: URL;
  isProduction: boolean;
  exemptPaths?: string[];
}): Middleware {
  const isHttps = options.publicUrl.protocol === "https:";
  // __Host- cookies are bound to this exact origin (Secure, no Domain, Path=/).
  const cookieName = isHttps ? "__Host-csrf" : "csrf";
  const exemptPaths = new Set(options.exemptPaths ?? []);
  const tokenFor = (seed: string) => csrfTokenFor(options.secret, seed);

  return async function checkCsrf(ctx, next) {
    let seed = ctx.cookies.get(cookieName);
    if (!seed || !SEED_PATTERN.test(seed)) {
      seed = randomString(32, "base64url");
      if (isHttps) ctx.cookies.secure = true; // TLS ends at the proxy in front of us.
      ctx.cookies.set(cookieName, seed, { httpOnly: true, sameSite: "lax", secure: isHttps, path: "/" });
    }
    const tokenSeed = ctx.state.session
      ? `session:${ctx.state.session.id}`
      : ctx.state.applicant
        ? `applicant:${ctx.state.applicant.sessionId}`
        : seed;
    ctx.state.csrfToken = tokenFor(tokenSeed);
    ctx.state.previousCsrfToken = options.previousSecret
      ? csrfTokenFor(options.previousSecret, tokenSeed)
      : null;

    if (!SAFE_METHODS.has(ctx.method) && !exemptPaths.has(ctx.path)) {
      if (!isSameOrigin(ctx, options.publicUrl, options.isProduction)) {
        throw forbidden("errors.message.crossSiteForm");
      }
      if (isMultipartUpload(ctx.method, ctx.path, ctx.is("multipart/form-data"))) {
        // The token is a field of the multipart body, which only the upload route reads (to disk).
        ctx.state.isCsrfTokenDeferred = true;
      } else {
        const body = ctx.request.body as Record<string, unknown> | undefined;
        assertCsrfToken(ctx, typeof body?._csrf === "string" ? body._csrf : undefined);
      }
    }
    await next();
  };
}

function csrfTokenFor(secret: string, seed: string): string {
  return createHmac("sha256", secret).update(`csrf:${seed}`).digest("base64url");
}

/** The token of a staff session's forms: for a page answered after the session was renewed. */
export function staffSessionCsrfToken(secret: string, sessionId: string): string {
  return csrfTokenFor(secret, `session:${sessionId}`);
}

/**
 * The token check for an evidence upload, once its fields are parsed: the form's `_csrf` field, or the
 * X-CSRF-Token header that the upload script sends.
 */
export function assertDeferredCsrfToken(ctx: Context, sentInBody: string | undefined): void {
  if (!ctx.state.isCsrfTokenDeferred) throw new Error("assertDeferredCsrfToken outside an evidence upload");
  assertCsrfToken(ctx, sentInBody);
  ctx.state.isCsrfTokenDeferred = false;
}

function assertCsrfToken(ctx: Context, sentInBody: string | undefined): void {
  const sent = sentInBody ?? ctx.get("x-csrf-token");
  const previous = ctx.state.previousCsrfToken;
  if (!constantTimeEquals(sent, ctx.state.csrfToken) && !(previous && constantTimeEquals(sent, previous))) {
    throw forbidden("errors.message.formExpired");
  }
}

function isSameOrigin(ctx: Context, publicUrl: URL, isProduction: boolean): boolean {
  if (ctx.get("sec-fetch-site") === "cross-site") return false;
  const origin = ctx.get("origin");
  if (!origin) return true; // Old browsers and non-browser clients; the token still has to match.
  if (origin === publicUrl.origin) return true;
  // In development people reach the portal as localhost or 127.0.0.1 interchangeably. (Not ctx.origin:
  // Koa 3 answers that with the request's own Origin header, which would accept every site.)
  return !isProduction && origin === `${ctx.protocol}://${ctx.host}`;
}

function constantTimeEquals(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
