// The password-reset link from the email. GET shows the form (visiting changes nothing, so mail
// scanners that prefetch links consume nothing); POST consumes the link and sets the password in one
// transaction, ends every session of the person, and sends them to sign in, where the second factor
// is still asked for.
import Router from "@koa/router";
import type { Context } from "koa";
import { z } from "zod";
import type { AppDependencies } from "../../appDependencies.js";
import { auditActorFor } from "../../audit.js";
import { ResetLinkUnusableError, resetPassword } from "../../commands/signIn/resetPassword.js";
import { hashPassword, newPasswordProblems, PASSWORD_MAX_LENGTH } from "../../domain/password.js";
import { createSignInLimits } from "../../security/signInLimits.js";
import { inspectLinkToken } from "../../tokens.js";
import { urls } from "../../urls.js";
import { readForm } from "../toolkit/forms.js";

export const ZPasswordResetForm = z.object({
  // Bounded in bytes before hashing; the policy's own limit is in characters.
  password: z
    .string()
    .min(1, "staff.validation.choosePassword")
    .max(PASSWORD_MAX_LENGTH * 4, "staff.validation.max128"),
  passwordConfirmation: z.string().max(PASSWORD_MAX_LENGTH * 4),
});
export type TPasswordResetForm = z.infer<typeof ZPasswordResetForm>;

type LinkProblem = "unknown" | "expired" | "used";

interface ResetTarget {
  id: string;
  name: string;
  email: string;
}

export function passwordResetLinkRoutes(deps: AppDependencies): Router {
  const router = new Router();
  const limits = createSignInLimits(deps.rateLimitPool);

  /** The person the link resets, or why it cannot be used. */
  async function resolveLink(token: string): Promise<{ target: ResetTarget } | { problem: LinkProblem }> {
    const link = await inspectLinkToken(deps.db, "password_reset", token);
    if (link.status !== "valid") return { problem: link.status };
    if (link.subject?.type !== "staff_user") return { problem: "unknown" };
    const target = await deps.db.staffUser.findFirst({
      where: { id: link.subject.id, status: "ACTIVE" },
      select: { id: true, name: true, email: true },
    });
    return target ? { target } : { problem: "unknown" };
  }

  router.get("/staff/password-reset/:token", async (ctx) => {
    ctx.set("Cache-Control", "no-store");
    ctx.set("Referrer-Policy", "no-referrer");
    const resolved = await resolveLink(ctx.params.token ?? "");
    if ("problem" in resolved) return renderInvalid(ctx, resolved.problem);
    await ctx.render("staff/password-reset.njk", { errors: {} });
  });

  router.post("/staff/password-reset/:token", async (ctx) => {
    ctx.set("Cache-Control", "no-store");
    ctx.set("Referrer-Policy", "no-referrer");
    const token = ctx.params.token ?? "";
    const resolved = await resolveLink(token);
    if ("problem" in resolved) return renderInvalid(ctx, resolved.problem);
    const { target } = resolved;

    const form = readForm(ctx, ZPasswordResetForm, ["password", "passwordConfirmation"]);
    const errors = form.isValid ? newPasswordProblems(form.data, target, ctx.state.translator) : form.errors;
    if (!form.isValid || Object.keys(errors).length > 0) {
      ctx.status = 422;
      await ctx.render("staff/password-reset.njk", { errors });
      ctx.status = 422;
      return;
    }

    try {
      await resetPassword(deps.db, {
        token,
        staffUserId: target.id,
        passwordHash: await hashPassword(form.data.password),
        actor: auditActorFor(ctx, null, target.email),
      });
    } catch (error) {
      if (error instanceof ResetLinkUnusableError) {
        const again = await resolveLink(token);
        return renderInvalid(ctx, "problem" in again ? again.problem : "used");
      }
      throw error;
    }
    // Guesses at the old password no longer matter; the second factor is still asked for.
    await limits.forgetFailures(target.email, ctx.ip);
    ctx.status = 303;
    ctx.redirect(urls.staffSignInAfterReset());
  });

  return router;
}

async function renderInvalid(ctx: Context, problem: LinkProblem): Promise<void> {
  ctx.status = 404;
  await ctx.render("staff/password-reset-invalid.njk", { problem });
  ctx.status = 404;
}
