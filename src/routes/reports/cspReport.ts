// POST /csp-report: where browsers send Content-Security-Policy violation reports (the policy's
// report-uri and report-to). Browsers send these without cookies we could rely on and without a CSRF
// token, so the route is mounted before the root router: no body parser, no session, no CSRF check.
// It reads its own body (at most 16 KB after decompression), keeps what domain/cspReports.ts allows,
// stores it deduplicated, and answers 204 to anything it accepted. Rate limits (per client and one
// global) are applied before it by the rate-limit middleware.
//
// Every answer is JSON: the error middleware chooses HTML for a browser-like Accept header, but nothing
// here is a page a person reads.
import Router from "@koa/router";
import inflate from "inflation";
import type { Context } from "koa";
import getRawBody from "raw-body";
import type { AppDependencies } from "../../appDependencies.js";
import { recordCspViolations } from "../../commands/operations/recordCspViolations.js";
import {
  CSP_REPORT_BODY_LIMIT_BYTES,
  CSP_REPORT_CONTENT_TYPES,
  parseCspReportBody,
} from "../../domain/cspReports.js";
import { badRequest, HttpError, payloadTooLarge, unsupportedMediaType } from "../../errors.js";
import { countCspReports } from "../../metrics.js";
import { urls } from "../../urls.js";

export function cspReportRoutes(deps: AppDependencies): Router {
  const router = new Router();
  const logger = deps.logger.child({ category: "csp" });

  router.all(urls.cspReport(), async function receiveCspReports(ctx) {
    ctx.set("Cache-Control", "no-store");
    try {
      if (ctx.method !== "POST") {
        ctx.set("Allow", "POST");
        throw new HttpError(405, "method_not_allowed", "This address accepts POST only.");
      }
      const format = CSP_REPORT_CONTENT_TYPES[ctx.request.type.trim().toLowerCase()];
      if (!format) {
        throw unsupportedMediaType(
          "This address accepts application/csp-report, application/reports+json and application/json.",
        );
      }
      const batch = parseCspReportBody(await readReportBody(ctx), format);
      countCspReports(batch.received);
      const stored = await recordCspViolations(deps.db, batch.violations);
      logger.debug(
        {
          requestId: ctx.state.requestId,
          received: batch.received,
          discarded: batch.discarded,
          ignored: batch.ignored,
          ...stored,
        },
        "CSP violation reports received",
      );
      ctx.status = 204;
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      answerWithError(ctx, error);
    }
  });

  return router;
}

/**
 * The body as text, decompressed, refused past the limit while it is read: a small gzip body that
 * inflates to megabytes stops at 16 KB of output.
 */
async function readReportBody(ctx: Context): Promise<string> {
  const encoding = (ctx.get("Content-Encoding") || "identity").trim().toLowerCase();
  let stream: ReturnType<typeof inflate>;
  try {
    // @types/inflation names this option wrongly ("gzip"); the library reads `encoding`.
    stream = inflate(ctx.req, { encoding } as inflate.Options);
  } catch {
    throw unsupportedMediaType("This address accepts gzip, deflate and br content encodings only.");
  }
  const declaredLength = ctx.get("Content-Length");
  try {
    return await getRawBody(stream, {
      limit: CSP_REPORT_BODY_LIMIT_BYTES,
      // The declared length is that of the compressed bytes; it is checked only when there is no
      // compression (a larger declared length is refused before anything is read).
      length: encoding === "identity" && declaredLength ? declaredLength : null,
      encoding: "utf-8",
    });
  } catch (error) {
    const status = (error as { status?: unknown }).status;
    if (status === 413) throw payloadTooLarge("A CSP report body may hold at most 16 KB.");
    if (typeof status === "number" && status >= 400 && status < 500)
      throw badRequest("The body could not be read.");
    // Without an HTTP status, the error came from decompression: the bytes are not what they claim.
    if (encoding !== "identity") throw badRequest("The body could not be decompressed.");
    throw error;
  }
}

/** The same JSON the error middleware writes for JSON clients. */
function answerWithError(ctx: Context, error: HttpError): void {
  for (const [name, value] of Object.entries(error.headers)) ctx.set(name, value);
  ctx.status = error.status;
  ctx.body = {
    error: { status: error.status, id: error.id, message: error.message, requestId: ctx.state.requestId },
  };
}
