// Route parameters that name a record: a malformed id names nothing, so it is a 404 like an unknown one
// (never a 400 that tells a prober the id's shape was wrong, never a database error).
import type { Context } from "koa";
import { notFound } from "../../errors.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/**
 * The route's `name` parameter (default "id") as a UUID, or a 404: with `notFoundMessage` when the
 * page names what is missing ("There is no such request."), the same words an unknown id gets.
 */
export function uuidParam(ctx: Context, name = "id", notFoundMessage?: string): string {
  const value = (ctx.params as Record<string, string | undefined>)[name] ?? "";
  if (!UUID.test(value)) throw notFound(notFoundMessage);
  return value;
}
