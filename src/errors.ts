// A few error factories with stable ids. The error middleware turns them into pages or JSON; the
// message is written for the person reading the page, the id for calling code and the operator. A
// message is either a catalog id (with its values), said in the page's language, or a sentence already
// in the reader's words (staff pages are English).
import type { MessageValues } from "./i18n/translator.js";

export type ErrorId =
  | "bad_request"
  | "forbidden"
  | "not_found"
  | "method_not_allowed"
  | "conflict"
  | "payload_too_large"
  | "unsupported_media_type"
  | "rate_limited"
  | "internal"
  | "service_unavailable"
  | "read_only_maintenance"
  | "insufficient_storage";

export class HttpError extends Error {
  readonly expose = true;
  constructor(
    readonly status: number,
    readonly id: ErrorId,
    message: string,
    readonly headers: Record<string, string> = {},
    /** The ICU arguments of a message that is a catalog id. */
    readonly messageValues: MessageValues = {},
  ) {
    super(message);
    this.name = "HttpError";
  }
}

export const badRequest = (message = "errors.message.badRequest") =>
  new HttpError(400, "bad_request", message);
export const forbidden = (message = "errors.message.forbidden") => new HttpError(403, "forbidden", message);
export const notFound = (message = "errors.message.notFound") => new HttpError(404, "not_found", message);
export const conflict = (message: string, messageValues: MessageValues = {}) =>
  new HttpError(409, "conflict", message, {}, messageValues);
export const payloadTooLarge = (message = "errors.message.payloadTooLarge") =>
  new HttpError(413, "payload_too_large", message);
export const unsupportedMediaType = (message = "errors.message.unsupportedMediaType") =>
  new HttpError(415, "unsupported_media_type", message);
export const rateLimited = (
  retryAfterSeconds: number,
  message = "errors.message.rateLimited",
  messageValues: MessageValues = {},
) =>
  new HttpError(
    429,
    "rate_limited",
    message,
    { "Retry-After": String(Math.max(1, Math.ceil(retryAfterSeconds))) },
    messageValues,
  );

/** The database cannot be reached right now (see database/unavailable.ts); worth trying again shortly. */
export const serviceUnavailable = (retryAfterSeconds = 30, message = "errors.message.serviceUnavailable") =>
  new HttpError(503, "service_unavailable", message, { "Retry-After": String(retryAfterSeconds) });

/**
 * The portal is read-only for planned maintenance (MAINTENANCE_READ_ONLY): nothing was written, and the
 * request may be sent again once the work is over. `message` says until when; it is meant for people.
 */
export const readOnlyForMaintenance = (retryAfterSeconds: number, message: string) =>
  new HttpError(503, "read_only_maintenance", message, { "Retry-After": String(retryAfterSeconds) });
