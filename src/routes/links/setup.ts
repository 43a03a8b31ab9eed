// The first-superadmin setup link. GET shows the form (visiting never changes anything); POST creates
// the account and consumes the link in one transaction.
import Router from "@koa/router";
import type { Context } from "koa";
import { z } from "zod";
import type { AppDependencies } from "../../app.js";
import { createSuperadmin, SetupLinkUnusableError } from "../../commands/createSuperadmin.js";
import { hashPassword, PASSWORD_MAX_LENGTH, passwordProblem } from "../../domain/password.js";
import { HttpError } from "../../errors.js";
import { inspectLinkToken } from "../../tokens.js";
import { urls } from "../../urls.js";

export const ZSetupForm = z.object({
  name: z.string().trim().min(1, "Enter your full name.").max(100, "Use at most 100 characters."),
  email: z
    .string()
    .trim()
    .min(1, "Enter your email address.")
    .max(254, "Use at most 254 characters.")
    .pipe(z.email("Enter an email address like name@example.org."))
    // One account per address whatever its case: stored and compared lower-cased.
    .transform((email) => email.toLowerCase()),
  // Bounded in bytes before hashing; the policy's own limit is in characters.
  password: z
    .string()
    .min(1, "Choose a password.")
    .max(PASSWORD_MAX_LENGTH * 4, "Use at most 128 characters."),
  passwordConfirmation: z.string().max(PASSWORD_MAX_LENGTH * 4),
});
export type TSetupForm = z.infer<typeof ZSetupForm>;

type FieldErrors = Partial<Record<keyof TSetupForm, string>>;

export function setupRoutes(deps: AppDependencies): Router {
  const router = new Router();

  router.get(urls.setupDone(), async (ctx) => {
    await ctx.render("setup/done.njk");
  });

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
    const errors: FieldErrors = {};
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const field = issue.path[0] as keyof TSetupForm;
        errors[field] ??= issue.message;
      }
    } else {
      const problem = passwordProblem(parsed.data.password, parsed.data);
      if (problem) errors.password = problem;
      else if (parsed.data.password !== parsed.data.passwordConfirmation) {
        errors.passwordConfirmation = "The two passwords are not the same.";
      }
    }
    if (!parsed.success || Object.keys(errors).length > 0) {
      ctx.status = 422;
      await ctx.render("setup/setup.njk", { values: typed, errors });
      ctx.status = 422;
      return;
    }

    try {
      await createSuperadmin(deps.db, {
        person: {
          name: parsed.data.name,
          email: parsed.data.email,
          passwordHash: await hashPassword(parsed.data.password),
        },
        actor: { label: "setup link", requestId: ctx.state.requestId, ipAddress: ctx.ip },
        setupToken: token,
      });
    } catch (error) {
      if (error instanceof SetupLinkUnusableError)
        return renderInvalid(ctx, (await setupLinkProblem(deps, token)) ?? "used");
      if (error instanceof HttpError && error.status === 409) {
        ctx.status = 422;
        await ctx.render("setup/setup.njk", { values: typed, errors: { email: error.message } });
        ctx.status = 422;
        return;
      }
      throw error;
    }
    ctx.status = 303;
    ctx.redirect(urls.setupDone());
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

async function renderInvalid(ctx: Context, problem: SetupLinkProblem): Promise<void> {
  ctx.status = 404;
  await ctx.render("setup/invalid.njk", { problem });
}
