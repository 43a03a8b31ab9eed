import { randomUUID } from "node:crypto";
import type { Middleware } from "koa";

// Accept an id from a proxy or client only when it cannot smuggle anything into logs or headers.
const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

export function requestId(): Middleware {
  return async function assignRequestId(ctx, next) {
    const incoming = ctx.get("x-request-id");
    ctx.state.requestId = VALID_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    ctx.set("X-Request-Id", ctx.state.requestId);
    await next();
  };
}
