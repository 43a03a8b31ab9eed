// Security headers on every response, error pages included. The CSP is strict: nothing runs unless
// it carries this response's nonce, styles and images only from our own origin, no inline anything.
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Middleware } from "koa";
import helmet from "koa-helmet";

const PERMISSIONS_POLICY = [
  "accelerometer=()",
  "camera=()",
  "display-capture=()",
  "geolocation=()",
  "gyroscope=()",
  "magnetometer=()",
  "microphone=()",
  "payment=()",
  "usb=()",
].join(", ");

const noncesByResponse = new WeakMap<ServerResponse, string>();
const nonceSource = (_request: IncomingMessage, response: ServerResponse) =>
  `'nonce-${noncesByResponse.get(response) ?? ""}'`;

export function securityHeaders(options: { isProduction: boolean }): Middleware {
  const setHelmetHeaders = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: [nonceSource, "'strict-dynamic'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "data:"],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        // Staff preview PDF evidence in a sandboxed frame from our own origin.
        frameSrc: ["'self'"],
        manifestSrc: ["'self'"],
        formAction: ["'self'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
      },
    },
    strictTransportSecurity: options.isProduction ? { maxAge: 63_072_000, includeSubDomains: true } : false,
    referrerPolicy: { policy: "same-origin" },
    frameguard: { action: "deny" },
    crossOriginOpenerPolicy: { policy: "same-origin" },
    crossOriginResourcePolicy: { policy: "same-origin" },
  });

  return async function setSecurityHeaders(ctx, next) {
    // 128 random bits, fresh for every response.
    const nonce = randomBytes(16).toString("base64");
    ctx.state.cspNonce = nonce;
    noncesByResponse.set(ctx.res, nonce);
    ctx.set("Permissions-Policy", PERMISSIONS_POLICY);
    await setHelmetHeaders(ctx, next);
  };
}
