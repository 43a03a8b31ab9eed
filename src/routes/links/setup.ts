// The first-superadmin setup link. GET shows the form (visiting never changes anything); POST creates
// the account and consumes the link in one transaction.
import Router from "@koa/router";
import type { Context } from "koa";
import { z } from "zod";
import type { AppDependencies } from "../../appDependencies.js";
import { auditActorFor } from "../../audit.js";
import { createSuperadmin, SetupLinkUnusableError } from "../../commands/staff/createSuperadmin.js";
import { ZEmail, ZFullName } from "../../domain/applicationFields.js";
import { removeSetupLinkFile } from "../../setupLinkFile.js";
import { inspectLinkToken } from "../../tokens.js";
import { urls } from "../../urls.js";
import { orShowRefusal } from "../toolkit/conflicts.js";
import { readForm } from "../toolkit/forms.js";

export const ZSetupForm = z.object({
  name: ZFullName,
  email: ZEmail,
});
export type TSetupForm = z.infer<typeof ZSetupForm>;

export function setupRoutes(deps: AppDependencies): Router {
  const router = new Router();

  router.get("/setup/:token", async (ctx) => {
    ctx.set("Cache-Control", "no-store");
    const problem = await setupLinkProblem(deps, ctx.params.token ?? "");
    if (problem) return renderInvalid(ctx, problem);
    await ctx.render("setup/setup.njk", { values: {}, errors: {} });
  });

  router.post("/setup/:token", async (ctx) => {
    ctx.set("Cache-Control", "no-store");
    const token = ctx.params.token ?? "";
    const problem = await setupLinkProblem(deps, token);
    if (problem) return renderInvalid(ctx, problem);

    const form = readForm(ctx, ZSetupForm, ["name", "email"]);
    if (!form.isValid) return renderForm(ctx, form.values, form.errors);

    // An address that already has an account (409) is said on the form; a link used up meanwhile (by
    // another tab) gets the page that says why.
    const created = await orShowRefusal(
      () =>
        createSuperadmin(deps.db, {
          person: form.data,
          actor: auditActorFor(ctx, null, "setup link"),
          setupToken: token,
        }),
      (message) => renderForm(ctx, form.values, { email: message }),
    ).catch((error: unknown) => {
      if (error instanceof SetupLinkUnusableError) return null;
      throw error;
    });
    if (created === null) return renderInvalid(ctx, (await setupLinkProblem(deps, token)) ?? "used");
    if (!created.isDone) return;
    const { invitationToken } = created.result;
    // The link is spent: the file it was written to on a first start without a terminal goes too.
    await removeSetupLinkFile(deps.config.setupLinkFile);
    // On to the same page every invited staff member uses: password, authenticator, recovery codes.
    ctx.status = 303;
    ctx.redirect(urls.staffInvitation(invitationToken));
  });

  return router;
}

type SetupLinkProblem = "unknown" | "expired" | "used" | "superadmin_exists";

/** Why the link cannot be used, or null when it can. */
async function setupLinkProblem(deps: AppDependencies, token: string): Promise<SetupLinkProblem | null> {
  const [link, superadminCount] = await Promise.all([
    inspectLinkToken(deps.db, "superadmin_setup", token),
    deps.db.staffUser.count({ where: { role: "SUPERADMIN" } }),
  ]);
  if (link.status !== "valid") return link.status;
  return superadminCount > 0 ? "superadmin_exists" : null;
}

async function renderForm(
  ctx: Context,
  values: Record<string, string>,
  errors: Record<string, string>,
): Promise<void> {
  ctx.status = 422;
  await ctx.render("setup/setup.njk", { values, errors });
}

async function renderInvalid(ctx: Context, problem: SetupLinkProblem): Promise<void> {
  ctx.status = 404;
  await ctx.render("setup/invalid.njk", { problem });
}
