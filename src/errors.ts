// A few error factories with stable ids. The error middleware turns them into pages or JSON; the
// message is written for the person reading the page, the id for calling code and the operator.
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
  ) {
    super(message);
    this.name = "HttpError";
  }
}

export const badRequest = (message = "The request could not be understood.") =>
  new HttpError(400, "bad_request", message);
export const forbidden = (message = "You are not allowed to do that.") =>
  new HttpError(403, "forbidden", message);
export const notFound = (message = "There is nothing at this address.") =>
  new HttpError(404, "not_found", message);
export const conflict = (message: string) => new HttpError(409, "conflict", message);
export const payloadTooLarge = (message = "What you sent is larger than this page accepts.") =>
  new HttpError(413, "payload_too_large", message);
export const unsupportedMediaType = (message = "This address does not accept that kind of content.") =>
  new HttpError(415, "unsupported_media_type", message);
export const rateLimited = (
  retryAfterSeconds: number,
  message = "Too many requests. Wait a moment and try again.",
) =>
  new HttpError(429, "rate_limited", message, {
    "Retry-After": String(Math.max(1, Math.ceil(retryAfterSeconds))),
  });

/** The database cannot be reached right now (see database/unavailable.ts); worth trying again shortly. */
export const serviceUnavailable = (
  retryAfterSeconds = 30,
  message = "The service is unavailable for a moment. Try again shortly.",
) => new HttpError(503, "service_unavailable", message, { "Retry-After": String(retryAfterSeconds) });

/**
 * The portal is read-only for planned maintenance (MAINTENANCE_READ_ONLY): nothing was written, and the
 * request may be sent again once the work is over. `message` says until when; it is meant for people.
 */
export const readOnlyForMaintenance = (retryAfterSeconds: number, message: string) =>
  new HttpError(503, "read_only_maintenance", message, { "Retry-After": String(retryAfterSeconds) });
