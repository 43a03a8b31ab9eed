// "Done" notices: after a POST the handler redirects with `?done=<key>` and the page says what happened.
// Each area keeps its keys and sentences in one registry (presenters/notices/<area>.ts); a key that is not in
// the registry shows nothing, so an edited address cannot put words on the page.
import type { Context } from "koa";

export function noticeFrom<Key extends string>(
  ctx: Context,
  registry: Readonly<Record<Key, string>>,
): string | undefined {
  const done = typeof ctx.query.done === "string" ? ctx.query.done : "";
  return Object.hasOwn(registry, done) ? registry[done as Key] : undefined;
}
