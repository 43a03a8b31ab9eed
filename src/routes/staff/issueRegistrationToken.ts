// The standalone registration token form (the original system's), mounted under /staff. Four eyes: it
// makes a request, and a second admin approves it on the tokens page before any token exists.
//   GET  /registration-tokens/new   the form: name, email, note (inviting admins and up)
//   POST /registration-tokens/new   validate → count against the requester's limits (5 an hour, 20 a
//                                   day) → the request (row, audit, the approvers' emails) → back to
//                                   the form with a notice that it waits for a second admin
// The POST is sensitive: a step-up first when the last second factor is older than STEP_UP_MINUTES.
// STANDALONE_TOKENS=off switches the form off: both answer 404 with a page that says so (the tokens
// page no longer links it). With no homeserver configured the page says tokens are not issued here.
// Approving, rejecting and withdrawing requests are on the tokens page (routes/staff/registrationTokens.ts).
import Router from "@koa/router";
import type { Context } from "koa";
import { z } from "zod";
import type { AppDependencies } from "../../appDependencies.js";
import { auditActorFor } from "../../audit.js";
import { requestStandaloneRegistrationToken } from "../../commands/registrationTokens/requestStandaloneRegistrationToken.js";
import { isPlainText, zEmailAddress, zPersonName } from "../../domain/applicationFields.js";
import { requireRecentSecondFactor } from "../../middleware/requireRecentSecondFactor.js";
import { signedInStaff } from "../../middleware/requireStaff.js";
import { canRequestStandaloneToken } from "../../policies/registrationTokens.js";
import { authorize } from "../../policies/staff.js";
import {
  STANDALONE_REQUEST_NOTICES,
  type StandaloneRequestNotice,
} from "../../presenters/notices/registrationTokens.js";
import {
  createRegistrationTokenLimits,
  REGISTRATION_TOKEN_LIMITS,
} from "../../security/registrationTokenLimits.js";
import { urls } from "../../urls.js";
import { readForm } from "../toolkit/forms.js";
import { noticeFrom } from "../toolkit/notices.js";

// Names are one line (zPersonName) and notes plain text: they reach an email and the tokens page.
export const ZStandaloneTokenForm = z.object({
  name: zPersonName("staff.validation.personNameShort"),
  email: zEmailAddress("staff.validation.personEmailMissing"),
  note: z
    .string()
    .trim()
    .max(1000, "staff.validation.max1000")
    .refine(isPlainText, "staff.validation.plainText")
    .transform((note) => (note ? note : null)),
});

const FIELDS = ["name", "email", "note"] as const;
type FormValues = Record<(typeof FIELDS)[number], string>;

export function issueRegistrationTokenRoutes(deps: AppDependencies): Router {
  const router = new Router();
  const limits = createRegistrationTokenLimits(deps.rateLimitPool);
  const isSwitchedOff = deps.config.standaloneTokens === "off";
  const stepUp = requireRecentSecondFactor(deps);

  router.get("/registration-tokens/new", async (ctx) => {
    authorize(canRequestStandaloneToken(signedInStaff(ctx)));
    await renderForm(ctx, deps, {
      values: { name: "", email: "", note: "" },
      errors: {},
      notice: noticeFrom(ctx, STANDALONE_REQUEST_NOTICES) ?? null,
      status: isSwitchedOff ? 404 : 200,
    });
  });

  router.post("/registration-tokens/new", stepUp("staff.stepUp.action.requestToken"), async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canRequestStandaloneToken(staff));
    const form = readForm(ctx, ZStandaloneTokenForm, FIELDS);
    // Shown again as typed, cut at 2000 characters: a form with mistakes never echoes a huge body back.
    const values = Object.fromEntries(
      FIELDS.map((name) => [name, form.values[name].slice(0, 2000)]),
    ) as FormValues;
    if (isSwitchedOff) return renderForm(ctx, deps, { values, errors: {}, notice: null, status: 404 });
    if (!deps.config.matrix) {
      return renderForm(ctx, deps, { values, errors: {}, notice: null, status: 409 });
    }
    if (!form.isValid) {
      return renderForm(ctx, deps, { values, errors: form.errors, notice: null, status: 422 });
    }
    // Counted only for a valid form, before anything is written; past a limit → the 429 page says which.
    await limits.consumeStandaloneTokenRequest(staff.id);
    const { approversNotified } = await requestStandaloneRegistrationToken(deps.db, {
      personName: form.data.name,
      personEmail: form.data.email,
      note: form.data.note,
      requester: staff,
      audit: auditActorFor(ctx, staff),
    });
    // "requested_alone": nobody else may approve it now.
    const done: StandaloneRequestNotice = approversNotified > 0 ? "requested" : "requested_alone";
    ctx.status = 303;
    ctx.redirect(urls.staffRegistrationTokenNew(`done=${done}`));
  });

  return router;
}

async function renderForm(
  ctx: Context,
  deps: AppDependencies,
  view: { values: FormValues; errors: Record<string, string>; notice: string | null; status: number },
): Promise<void> {
  ctx.status = view.status;
  await ctx.render("staff/registration-tokens/new.njk", {
    ...view,
    isSwitchedOff: deps.config.standaloneTokens === "off",
    isFeatureOn: deps.config.matrix !== null,
    lifetimeDays: deps.config.matrix ? Math.round(deps.config.matrix.tokenLifetimeMs / 86_400_000) : null,
    limits: REGISTRATION_TOKEN_LIMITS,
    formUrl: urls.staffRegistrationTokenNew(),
  });
  ctx.status = view.status;
}
