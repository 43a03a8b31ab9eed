import type { Middleware } from "koa";
import { HttpMethodEnum, koaBody } from "koa-body";
import { unsupportedMediaType } from "../errors.js";

const ACCEPTED_TYPES = ["application/x-www-form-urlencoded", "application/json"];

// Forms are small; every limit is explicit rather than a library default. Uploads (multipart) are
// parsed only by the routes that take files, with their own limits.
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
    // ctx.is() is false when a body is present in another type, null when there is no body at all.
    if (ctx.method !== "GET" && ctx.method !== "HEAD" && ctx.is(ACCEPTED_TYPES) === false) {
      throw unsupportedMediaType("This address accepts web forms and JSON only.");
    }
    await parse(ctx, next);
  };
}
