import type { Middleware } from "koa";
import type { AppMetrics } from "../metrics.js";

/**
 * Times every request into the HTTP histogram, labelled by the route pattern the router matched
 * (/staff/cases/:id), never the raw path: ids and link tokens must not become labels. Requests no
 * route matched share one label, static files another.
 */
export function requestMetrics(metrics: AppMetrics): Middleware {
  return async function timeRequest(ctx, next) {
    const endTimer = metrics.httpRequestDuration.startTimer();
    try {
      await next();
    } finally {
      const matched = ctx._matchedRoute;
      const route =
        typeof matched === "string" ? matched : ctx.path.startsWith("/static/") ? "/static/*" : "unmatched";
      endTimer({ method: ctx.method, route, status: String(ctx.status) });
    }
  };
}
