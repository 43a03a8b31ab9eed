// The one place errors become responses. Three audiences: the person gets a page (or JSON) saying what
// happened and what to do, with a reference id; calling code gets a stable error id; the operator gets
// the full error in the log under the same request id. No stack trace or database text ever leaves.
import type { Context, Middleware } from "koa";
import { isDatabaseUnavailable } from "../database/unavailable.js";
import { HttpError, serviceUnavailable } from "../errors.js";
import type { Logger } from "../logger.js";

const PAGE_STATUSES = new Set([400, 403, 404, 405, 413, 415, 429, 500, 503, 507]);

const ERROR_IDS: Record<number, string> = {
  400: "bad_request",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  429: "rate_limited",
  503: "service_unavailable",
  507: "insufficient_storage",
};

export function errorHandler(logger: Logger): Middleware {
  return async function handleErrors(ctx, next) {
    try {
      await next();
      // Nothing answered (no route), or a router answered 405/501 without a body.
      if (ctx.status >= 400 && ctx.body == null) await respondWithError(ctx, ctx.status, undefined, logger);
    } catch (thrown) {
      // The database down or restarting: a 503 that says "try again shortly", not a 500. The pool
      // reconnects by itself once the server is back.
      const isOutage = isDatabaseUnavailable(thrown);
      const error = isOutage ? serviceUnavailable() : thrown;
      const status = statusOf(error);
      if (isOutage) {
        logger.warn({ err: thrown, requestId: ctx.state.requestId }, "database unavailable: answered 503");
      } else if (status >= 500) {
        logger.error({ err: error, requestId: ctx.state.requestId }, "unexpected error");
      } else {
        logger.debug({ err: error, requestId: ctx.state.requestId }, "request refused");
      }
      if (ctx.headerSent || !ctx.writable) return;
      if (error instanceof HttpError) {
        for (const [name, value] of Object.entries(error.headers)) ctx.set(name, value);
      }
      // Only our own errors carry a message meant for people; anything else gets the generic text.
      await respondWithError(ctx, status, error instanceof HttpError ? error : undefined, logger);
    }
  };
}

function statusOf(error: unknown): number {
  const candidate =
    typeof error === "object" && error !== null
      ? ((error as { status?: unknown; statusCode?: unknown }).status ??
        (error as { statusCode?: unknown }).statusCode)
      : undefined;
  return typeof candidate === "number" && candidate >= 400 && candidate <= 599 ? candidate : 500;
}

async function respondWithError(
  ctx: Context,
  status: number,
  error: HttpError | undefined,
  logger: Logger,
): Promise<void> {
  ctx.remove("Content-Disposition");
  ctx.remove("Content-Encoding");
  ctx.remove("Cache-Control");
  ctx.set("Cache-Control", "no-store");
  const requestId = ctx.state.requestId;
  // A 5xx message is said only when it is one of ours written for people (when maintenance ends).
  const isMaintenance = error?.id === "read_only_maintenance";
  const message = status < 500 || isMaintenance ? error?.message : undefined;
  // A message may be a catalog id: the page and the JSON say it in the request's language.
  const messageValues = error?.messageValues ?? {};
  const allowedMethods = ctx.response.get("Allow") ? ctx.response.get("Allow").split(/,\s*/) : undefined;
  ctx.status = status;

  if (wantsJson(ctx)) {
    ctx.body = {
      error: {
        status,
        id: error?.id ?? ERROR_IDS[status] ?? (status >= 500 ? "internal" : "error"),
        message: message ? ctx.state.translator.message(message, messageValues) : defaultMessage(status),
        requestId,
      },
    };
    return;
  }
  const template = isMaintenance
    ? "maintenance"
    : PAGE_STATUSES.has(status)
      ? status
      : status >= 500
        ? 500
        : 400;
  try {
    await ctx.render(`errors/${template}.njk`, { status, message, messageValues, allowedMethods });
  } catch (renderError) {
    logger.error({ err: renderError, requestId }, "error page could not be rendered");
    ctx.type = "text/plain";
    ctx.body = `${defaultMessage(status)} Reference: ${requestId}`;
  }
  // Rendering must not turn the error into a 200.
  ctx.status = status;
}

/** An explicit Accept header decides; without one, a JSON body means a JSON client. */
function wantsJson(ctx: Context): boolean {
  const accept = ctx.get("accept");
  if (accept && !accept.includes("*/*")) return ctx.accepts("html", "json") === "json";
  return Boolean(ctx.is("application/json", "application/csp-report", "application/reports+json"));
}

function defaultMessage(status: number): string {
  switch (status) {
    case 400:
      return "The request could not be understood.";
    case 403:
      return "You are not allowed to do that.";
    case 404:
      return "There is nothing at this address.";
    case 405:
      return "This address does not accept that method.";
    case 413:
      return "What you sent is too large.";
    case 415:
      return "This address does not accept that kind of content.";
    case 429:
      return "Too many requests. Wait a moment and try again.";
    case 503:
      return "The service is unavailable for a moment. Try again shortly.";
    default:
      return status >= 500 ? "Something went wrong on our side." : "The request was refused.";
  }
}
