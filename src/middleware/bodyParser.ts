import type { Middleware } from "koa";
import { HttpMethodEnum, koaBody } from "koa-body";
import { badRequest, unsupportedMediaType } from "../errors.js";
import { isEvidenceUploadPath } from "../urls.js";

const ACCEPTED_TYPES = ["application/x-www-form-urlencoded", "application/json"];

// Forms are small; every limit is explicit rather than a library default. Uploads (multipart) are
// parsed only by the routes that take files (isEvidenceUploadPath), with their own limits, streamed to
// disk by src/routes/evidence/receiveEvidenceUpload.ts; here they pass through untouched.
export const FORM_BODY_LIMIT = "64kb";

export function bodyParser(): Middleware {
  const parse = koaBody({
    multipart: false,
    urlencoded: true,
    json: true,
    text: false,
    jsonStrict: true,
    formLimit: FORM_BODY_LIMIT,
    jsonLimit: FORM_BODY_LIMIT,
    textLimit: "16kb",
    parsedMethods: [HttpMethodEnum.POST, HttpMethodEnum.PUT, HttpMethodEnum.PATCH, HttpMethodEnum.DELETE],
    queryString: { parameterLimit: 100, depth: 1 },
  });
  return async function parseBody(ctx, next) {
    if (isMultipartUpload(ctx.method, ctx.path, ctx.is("multipart/form-data"))) return next();
    // ctx.is() is false when a body is present in another type, null when there is no body at all.
    if (ctx.method !== "GET" && ctx.method !== "HEAD" && ctx.is(ACCEPTED_TYPES) === false) {
      throw unsupportedMediaType("errors.message.formsAndJsonOnly");
    }
    try {
      await parse(ctx, next);
    } catch (error) {
      throw isBodyCutOff(error) ? badRequest() : error;
    }
  };
}

/**
 * raw-body's errors for a sender who went away: mid-body ("request.aborted", 400) or before the body was
 * read at all ("stream.not.readable", which it marks 500). Neither is the portal's fault, and a burst of
 * them (clients giving up under load) must not look like one in the logs.
 */
function isBodyCutOff(error: unknown): boolean {
  const type = (error as { type?: unknown } | null)?.type;
  return type === "request.aborted" || type === "stream.not.readable";
}

export function isMultipartUpload(method: string, path: string, isMultipart: string | false | null): boolean {
  return method === "POST" && Boolean(isMultipart) && isEvidenceUploadPath(path);
}
