// Security headers on every response, error pages included. The CSP is strict: nothing runs unless
// it carries this response's nonce, styles and images only from our own origin, no inline anything.
//
// The script policy has no CSP1/CSP2 fallbacks ('unsafe-inline', https:) although Google's CSP
// Evaluator suggests them (as STRICT_CSP hints): a browser too old for nonces would then run any
// inline or https: script, while without them it runs none, and every page works without scripts.
//
// In production over https, browsers report violations to /csp-report (report-to for the Reporting
// API, report-uri for browsers without it). Reporting is domain-aware: the endpoint must be an
// absolute https URL, so over plain http (development, tests) no reporting directives are sent.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Middleware } from "koa";
import helmet from "koa-helmet";
import { absoluteUrl, urls } from "../urls.js";
import { randomString } from "./randomPool.js";

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

/** The Reporting-Endpoints name the CSP's report-to directive refers to. */
const CSP_REPORTING_GROUP = "csp";

export function securityHeaders(options: {
  isProduction: boolean;
  publicUrl: URL;
  /**
   * The single sign-on provider's origin, when there is one: the sign-in form's POST is answered with a
   * redirect there, and browsers hold a form's redirects to form-action too.
   */
  singleSignOnOrigin?: string | null;
}): Middleware {
  const reportingEndpoint =
    options.isProduction && options.publicUrl.protocol === "https:"
      ? absoluteUrl(options.publicUrl, urls.cspReport())
      : null;
  const reportingDirectives: Record<string, string[]> = reportingEndpoint
    ? { reportUri: [urls.cspReport()], reportTo: [CSP_REPORTING_GROUP] }
    : {};
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
        // The development mailbox shows an email's HTML in a sandboxed frame from our own origin.
        frameSrc: ["'self'"],
        manifestSrc: ["'self'"],
        formAction: ["'self'", ...(options.singleSignOnOrigin ? [options.singleSignOnOrigin] : [])],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        ...reportingDirectives,
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
    const nonce = randomString(16, "base64");
    ctx.state.cspNonce = nonce;
    noncesByResponse.set(ctx.res, nonce);
    ctx.set("Permissions-Policy", PERMISSIONS_POLICY);
    if (reportingEndpoint) ctx.set("Reporting-Endpoints", `${CSP_REPORTING_GROUP}="${reportingEndpoint}"`);
    await setHelmetHeaders(ctx, next);
  };
}
