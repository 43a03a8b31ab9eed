// The first-superadmin setup link. GET shows the form (visiting never changes anything); POST creates
// the account and consumes the link in one transaction.
import Router from "@koa/router";
import type { Context } from "koa";
import { z } from "zod";
import type { AppDependencies } from "../../appDependencies.js";
import { auditActorFor } from "../../audit.js";
import { createSuperadmin, SetupLinkUnusableError } from "../../commands/staff/createSuperadmin.js";
import { ZFullName } from "../../domain/applicationFields.js";
import { HttpError } from "../../errors.js";
import { removeSetupLinkFile } from "../../setupLinkFile.js";
import { inspectLinkToken } from "../../tokens.js";
import { urls } from "../../urls.js";

export const ZSetupForm = z.object({
  name: ZFullName,
  email: z
    .string()
    .trim()
    .min(1, "Enter your email address.")
    .max(254, "Use at most 254 characters.")
    .pipe(z.email("Enter an email address like name@example.org."))
    // One account per address whatever its case: stored and compared lower-cased.
    .transform((email) => email.toLowerCase()),
});
export type TSetupForm = z.infer<typeof ZSetupForm>;

type FieldErrors = Partial<Record<keyof TSetupForm, string>>;

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

    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const typed = {
      name: typeof body.name === "string" ? body.name : "",
      email: typeof body.email === "string" ? body.email : "",
    };
    const parsed = ZSetupForm.safeParse(body);
    if (!parsed.success) {
      const errors: FieldErrors = {};
      for (const issue of parsed.error.issues) errors[issue.path[0] as keyof TSetupForm] ??= issue.message;
      return renderForm(ctx, typed, errors);
    }

    let invitationToken: string;
    try {
      ({ invitationToken } = await createSuperadmin(deps.db, {
        person: parsed.data,
        actor: auditActorFor(ctx, null, "setup link"),
        setupToken: token,
      }));
    } catch (error) {
      if (error instanceof SetupLinkUnusableError)
        return renderInvalid(ctx, (await setupLinkProblem(deps, token)) ?? "used");
      if (error instanceof HttpError && error.status === 409)
        return renderForm(ctx, typed, { email: error.message });
      throw error;
    }
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

async function renderForm(ctx: Context, values: Record<string, string>, errors: FieldErrors): Promise<void> {
  ctx.status = 422;
  await ctx.render("setup/setup.njk", { values, errors });
}

async function renderInvalid(ctx: Context, problem: SetupLinkProblem): Promise<void> {
  ctx.status = 404;
  await ctx.render("setup/invalid.njk", { problem });
}
