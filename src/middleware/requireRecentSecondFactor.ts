// Step-up ("sudo mode") for sensitive actions. A route lists it before its handler:
//
//   const stepUp = requireRecentSecondFactor(deps);
//   router.post("/cases/:id/decision", stepUp("decide this case"), async (ctx) => { … });
//
// When the session's last second factor (StaffSession.secondFactorAt: sign-in, or the last step-up) is
// older than STEP_UP_MINUTES, the action does not run. Instead:
//   - a POST without a code gets the step-up page (403): what is asked and why, and a form that POSTs
//     back to the same address with every field of the original form as hidden inputs (autoescaped;
//     text fields only, a repeated one repeated; the CSRF token the page's own) plus `stepUpCode`;
//   - a POST with a code has it checked as sign-in checks it (commands/stepUpSession.ts); when right, the
//     session records the fresh second factor and the original action runs in this same request, with
//     the fields as first sent; when wrong, the same page again with one message for every failure,
//     and nothing else happens; past the sign-in limits, 429.
// So after the code the action the person asked for happens, and never through a GET. It runs before
// the handler: a person who may not take the action, or whose form has a mistake, is told so after
// the code. An account without an authenticator (only where STAFF_REQUIRE_2FA=false) has no second
// factor to give again and passes, as it passed sign-in.
import type { Context, Middleware } from "koa";
import type { AppDependencies } from "../appDependencies.js";
import { auditActorFor } from "../audit.js";
import { stepUpSession } from "../commands/signIn/stepUpSession.js";
import { forbidden, rateLimited } from "../errors.js";
import { englishTranslator } from "../i18n/translator.js";
import { deviceCookieFrom } from "../security/deviceCookies.js";
import { createSignInLimits } from "../security/signInLimits.js";
import { urls } from "../urls.js";

/** The code field the step-up form adds; removed from the body before the action sees it. */
export const STEP_UP_CODE_FIELD = "stepUpCode";
// Catalog ids; the English of the refusal tests compare with is exported as the page shows it.
const STEP_UP_FAILED = "staff.stepUp.codeFailed";
export const STEP_UP_FAILED_MESSAGE = englishTranslator().t(STEP_UP_FAILED);
const BLOCKED_MESSAGE = "staff.stepUp.blocked";
const MAX_CODE_LENGTH = 64;

export function requireRecentSecondFactor(
  deps: Pick<AppDependencies, "config" | "db" | "rateLimitPool">,
): (action: string) => Middleware {
  const limits = createSignInLimits(deps.rateLimitPool);
  const signInDeps = { config: deps.config, db: deps.db, limits };
  const maxAgeMs = deps.config.staff.stepUpMs;

  /**
   * `action` completes "To …, enter a code": a verb phrase such as "decide this case", as a catalog id
   * (or text already in the page's words).
   */
  return (action) =>
    async function ensureRecentSecondFactor(ctx, next) {
      const { staff, session } = ctx.state;
      if (!staff || !session) throw forbidden();
      const body = formFields(ctx);
      const code = body[STEP_UP_CODE_FIELD];
      delete body[STEP_UP_CODE_FIELD];
      const lastSecondFactor = session.secondFactorAt?.getTime() ?? Number.NEGATIVE_INFINITY;
      if (!staff.hasSecondFactor || Date.now() - lastSecondFactor < maxAgeMs) return next();

      if (typeof code !== "string" || code.trim() === "") {
        return renderStepUp(ctx, { action, minutes: maxAgeMs / 60_000, fields: body, error: null });
      }
      const result = await stepUpSession(signInDeps, {
        sessionId: session.id,
        staffUserId: staff.id,
        code: code.slice(0, MAX_CODE_LENGTH),
        audit: auditActorFor(ctx, staff),
        deviceCookie: deviceCookieFrom(ctx, deps.config),
      });
      switch (result.kind) {
        case "blocked":
          throw rateLimited(result.retryAfterSeconds, BLOCKED_MESSAGE);
        case "failed":
          return renderStepUp(ctx, {
            action,
            minutes: maxAgeMs / 60_000,
            fields: body,
            error: STEP_UP_FAILED,
          });
        case "stepped_up":
          return next();
      }
    };
}

/** The parsed form body (an empty one when there was none), which the action reads after this. */
function formFields(ctx: Context): Record<string, unknown> {
  const body = ctx.request.body;
  if (body && typeof body === "object" && !Array.isArray(body)) return body as Record<string, unknown>;
  ctx.request.body = {};
  return ctx.request.body as Record<string, unknown>;
}

async function renderStepUp(
  ctx: Context,
  view: { action: string; minutes: number; fields: Record<string, unknown>; error: string | null },
): Promise<void> {
  // The original form, to be sent again: string fields (and lists of them) only; the CSRF token is
  // the page's own, so it is left out here.
  const hiddenFields = Object.entries(view.fields).flatMap(([name, value]) => {
    if (name === "_csrf") return [];
    const values = Array.isArray(value) ? value : [value];
    return values.filter((item) => typeof item === "string").map((item) => ({ name, value: item }));
  });
  ctx.status = 403;
  await ctx.render("staff/step-up.njk", {
    action: ctx.state.translator.message(view.action),
    minutes: view.minutes,
    formAction: ctx.querystring ? `${ctx.path}?${ctx.querystring}` : ctx.path,
    hiddenFields,
    codeField: STEP_UP_CODE_FIELD,
    errors: view.error ? { [STEP_UP_CODE_FIELD]: view.error } : {},
    cancelUrl: urls.staffHome(),
  });
  ctx.status = 403;
}
