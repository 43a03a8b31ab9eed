// The standalone registration token form (the original system's), mounted under /staff:
//   GET  /registration-tokens/new   the form: name, email, note (inviting admins and up)
//   POST /registration-tokens/new   validate → count against the admin's limits (5 an hour, 20 a day)
//                                   → issue (row, job, audit, email with the reveal link) → back to
//                                   the form with a notice
// With no homeserver configured the page says tokens are not issued here. The tokens page (the list,
// revoke and re-issue) is routes/staff/registrationTokens.ts.
import Router from "@koa/router";
import type { Context } from "koa";
import { z } from "zod";
import type { AppDependencies } from "../../app.js";
import { auditActorFor } from "../../audit.js";
import { issueStandaloneRegistrationToken } from "../../commands/issueStandaloneRegistrationToken.js";
import { fieldErrors } from "../../domain/applicationFields.js";
import { signedInStaff } from "../../middleware/requireStaff.js";
import { canIssueStandaloneToken } from "../../policies/registrationTokens.js";
import { authorize } from "../../policies/staff.js";
import {
  createRegistrationTokenLimits,
  REGISTRATION_TOKEN_LIMITS,
} from "../../security/registrationTokenLimits.js";
import { urls } from "../../urls.js";

// Names and notes are one line / plain text: they reach an email and the tokens page.
const NOT_ONE_LINE = /[\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;
const NOT_PLAIN_TEXT = /(?![\t\n\r])[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;

export const ZStandaloneTokenForm = z.object({
  name: z
    .string()
    .trim()
    .min(1, "Enter the person’s name.")
    .max(100, "Use at most 100 characters.")
    .refine((value) => !NOT_ONE_LINE.test(value), "Use letters, spaces and punctuation only, on one line."),
  email: z
    .string()
    .trim()
    .min(1, "Enter the person’s email address.")
    .max(254, "Use at most 254 characters.")
    .pipe(z.email("Enter an email address like name@example.org."))
    .transform((email) => email.toLowerCase()),
  note: z
    .string()
    .trim()
    .max(1000, "Use at most 1000 characters.")
    .refine((value) => !NOT_PLAIN_TEXT.test(value), "Use plain text only.")
    .transform((note) => (note ? note : null)),
});

const FIELDS = ["name", "email", "note"] as const;
type FormValues = Record<(typeof FIELDS)[number], string>;

export function issueRegistrationTokenRoutes(deps: AppDependencies): Router {
  const router = new Router();
  const limits = createRegistrationTokenLimits(deps.rateLimitPool);

  router.get("/registration-tokens/new", async (ctx) => {
    authorize(canIssueStandaloneToken(signedInStaff(ctx)));
    await renderForm(ctx, deps, {
      values: { name: "", email: "", note: "" },
      errors: {},
      notice: ctx.query.done === "issued",
      status: 200,
    });
  });

  router.post("/registration-tokens/new", async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canIssueStandaloneToken(staff));
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const values = Object.fromEntries(
      FIELDS.map((name) => [name, typeof body[name] === "string" ? body[name].slice(0, 2000) : ""]),
    ) as FormValues;
    if (!deps.config.matrix) {
      return renderForm(ctx, deps, { values, errors: {}, notice: false, status: 409 });
    }
    const parsed = ZStandaloneTokenForm.safeParse(values);
    if (!parsed.success) {
      return renderForm(ctx, deps, { values, errors: fieldErrors(parsed.error), notice: false, status: 422 });
    }
    // Counted only for a valid form, before anything is written; past a limit → the 429 page says which.
    await limits.consumeStandaloneToken(staff.id);
    await issueStandaloneRegistrationToken(deps.db, deps.config, {
      personName: parsed.data.name,
      personEmail: parsed.data.email,
      note: parsed.data.note,
      issuer: staff,
      audit: auditActorFor(ctx, staff),
    });
    ctx.status = 303;
    ctx.redirect(urls.staffRegistrationTokenNew("done=issued"));
  });

  return router;
}

async function renderForm(
  ctx: Context,
  deps: AppDependencies,
  view: { values: FormValues; errors: Record<string, string>; notice: boolean; status: number },
): Promise<void> {
  ctx.status = view.status;
  await ctx.render("staff/registration-tokens/new.njk", {
    ...view,
    isFeatureOn: deps.config.matrix !== null,
    lifetimeDays: deps.config.matrix ? Math.round(deps.config.matrix.tokenLifetimeMs / 86_400_000) : null,
    limits: REGISTRATION_TOKEN_LIMITS,
    formUrl: urls.staffRegistrationTokenNew(),
  });
  ctx.status = view.status;
}
