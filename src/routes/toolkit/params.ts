// Route parameters that name a record: a malformed id names nothing, so it is a 404 like an unknown one
// (never a 400 that tells a prober the id's shape was wrong, never a database error).
import type { Context } from "koa";
import { isUuid } from "../../domain/ids.js";
import { notFound } from "../../errors.js";

export { isUuid };

/**
 * The route's `name` parameter (default "id") as a UUID, or a 404: with `notFoundMessage` when the
 * page names what is missing ("There is no such request."), the same words an unknown id gets.
 */
export function uuidParam(ctx: Context, name = "id", notFoundMessage?: string): string {
  const value = (ctx.params as Record<string, string | undefined>)[name] ?? "";
  if (!isUuid(value)) throw notFound(notFoundMessage);
  return value;
}
