// Every request past static files and health probes is counted against the request limits
// (security/requestLimits.ts) before anything else is done for it; over a limit it is refused with 429,
// a page or JSON from the error middleware.
//
// Headers: Retry-After on a refusal, and on every counted response the IETF draft's two fields
// (draft-ietf-httpapi-ratelimit-headers-10, section 3: RateLimit-Policy is a List of Items, each a
// String naming a quota policy with q = quota and w = window in seconds; section 4: RateLimit names one
// policy with r = remaining quota and t = seconds until it resets), e.g.
//   RateLimit-Policy: "minute";q=30;w=60, "hour";q=300;w=3600, "day";q=1000;w=86400
//   RateLimit: "minute";r=0;t=42
// RateLimit reports one policy: on a refusal the exceeded window Retry-After points at (the draft:
// Retry-After and t SHOULD name the same moment), otherwise the window with the fewest requests left.
// Allowed responses carry them too (the draft allows any status) so that clients can slow down before
// they are refused; the values come from the counts already made, so they cost a string join. No
// X-RateLimit-* headers: one style only.
//
// A signed-in staff member is counted per account (RATE_LIMIT_STAFF), not per address: the session is
// looked up here, before the count, by the same reader the session middleware uses later (it is read
// once per request). A cookie that names no live session counts per address like any other request.
import type { Context, Middleware } from "koa";
import { HttpError } from "../errors.js";
import type { LimitDecision, RequestLimiter } from "../security/requestLimits.js";

export function rateLimit(
  limiter: RequestLimiter,
  options: { signedInStaffId?: (ctx: Context) => Promise<string | null> } = {},
): Middleware {
  return async function limitRequests(ctx, next) {
    const decision = await limiter.check({
      method: ctx.method,
      path: ctx.path,
      clientAddress: ctx.ip,
      staffAccountId: options.signedInStaffId ? await options.signedInStaffId(ctx) : null,
    });
    const headers = rateLimitHeaders(decision);
    if (!decision.allowed) {
      const retryAfter = Math.max(1, decision.binding.resetSeconds);
      throw new HttpError(
        429,
        "rate_limited",
        `${refusalReason(decision.binding.tier)} ${waitAdvice(retryAfter)}`,
        {
          "Retry-After": String(retryAfter),
          ...headers,
        },
      );
    }
    ctx.set(headers);
    await next();
  };
}

export function rateLimitHeaders(decision: LimitDecision): Record<"RateLimit-Policy" | "RateLimit", string> {
  const { binding } = decision;
  return {
    "RateLimit-Policy": decision.windows
      .map((window) => `"${window.policy}";q=${window.limit};w=${window.windowSeconds}`)
      .join(", "),
    RateLimit: `"${binding.policy}";r=${binding.remaining};t=${decision.allowed ? binding.resetSeconds : Math.max(1, binding.resetSeconds)}`,
  };
}

/** What the refused person is told: the applications limit in its own words, the rest alike. */
function refusalReason(tier: string): string {
  if (tier === "apply") return "Too many applications have been sent from your network.";
  if (tier === "staff") return "Too many requests from your account.";
  return "Too many requests from your address.";
}

function waitAdvice(seconds: number): string {
  if (seconds < 90) return `Try again in ${seconds} ${seconds === 1 ? "second" : "seconds"}.`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 90) return `Try again in ${minutes} minutes.`;
  const hours = Math.ceil(minutes / 60);
  return `Try again in ${hours} hours.`;
}
