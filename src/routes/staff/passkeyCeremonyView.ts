import type { Context } from "koa";
import { presentPasskeyCeremony } from "../../presenters/passkeys.js";

/**
 * The page that runs a passkey ceremony in the browser (staff/passkey-ceremony.njk): the answer of every
 * route that asks for a challenge (adding a passkey, signing in with one alone or after the password).
 */
export async function renderCeremony(
  ctx: Context,
  page: Parameters<typeof presentPasskeyCeremony>[0],
): Promise<void> {
  ctx.set("Cache-Control", "no-store");
  await ctx.render("staff/passkey-ceremony.njk", presentPasskeyCeremony(page));
}
