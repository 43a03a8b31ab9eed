// The page behind a referee's emailed link (no account, no session: the link is the only key, and it
// opens this page alone):
//   GET  /reference/:token   the question: do you know the person? Changes nothing (mail scanners that
//                            prefetch links consume nothing)
//   POST /reference/:token   vouch (how, for how long, anything more) or decline; consumes the link
// The page says the applicant's name and the community's, nothing else about the application. It
// speaks the case's language unless the visitor chose another with the switcher. A link that cannot be
// used says why: unknown → 404, expired or answered already → 410. Every request here counts against
// the client address's limit (security/referenceLimits.ts). Nothing is cached. The site's same-origin
// Referrer-Policy stays (no-referrer would make the form's Origin "null", which CSRF refuses), so the
// URL with its link token goes to this origin only.
import Router from "@koa/router";
import type { Context } from "koa";
import type { AppDependencies } from "../../appDependencies.js";
import {
  answerReference,
  inspectReferenceLink,
  type ReferenceLinkProblem,
  type ReferenceLinkState,
} from "../../commands/references/answerReference.js";
import { readReferenceAnswer } from "../../domain/referenceFields.js";
import { rateLimited } from "../../errors.js";
import { isLanguage } from "../../i18n/languages.js";
import { languageCookieName, setPageLanguage } from "../../middleware/language.js";
import { createReferenceLimits } from "../../security/referenceLimits.js";
import { inPageLanguage, typedFields } from "../toolkit/forms.js";

const LINK_PROBLEM_STATUS: Record<ReferenceLinkProblem, number> = { unknown: 404, expired: 410, used: 410 };
const ANSWER_FIELDS = ["answer", "knownHow", "knownFor", "statement"] as const;

export function referenceLinkRoutes(deps: AppDependencies): Router {
  const router = new Router();
  const limits = createReferenceLimits(deps.rateLimitPool);

  /** Private, and counted against the client's limit. */
  async function guard(ctx: Context): Promise<void> {
    ctx.set("Cache-Control", "no-store");
    const waitSeconds = await limits.linkPageFromIp(ctx.ip);
    if (waitSeconds !== null) {
      throw rateLimited(
        waitSeconds,
        ctx.state.translator.t("references.refused.rateLimited", { minutes: Math.ceil(waitSeconds / 60) }),
      );
    }
  }

  /** The case's language, unless the visitor chose one with the switcher. */
  function speakCaseLanguage(ctx: Context, language: string | null): void {
    const offered = deps.config.languages;
    if (isLanguage(ctx.cookies.get(languageCookieName(deps.config)), offered)) return;
    if (isLanguage(language, offered)) setPageLanguage(ctx, deps.translators, language);
  }

  router.get("/reference/:token", async (ctx) => {
    await guard(ctx);
    const state = await inspectReferenceLink(deps.db, ctx.params.token ?? "");
    speakCaseLanguage(ctx, state.language);
    if (state.status === "unusable") return renderUnusable(ctx, state.problem);
    await renderQuestion(ctx, state, { values: {}, errors: {}, status: 200 });
  });

  router.post("/reference/:token", async (ctx) => {
    await guard(ctx);
    const token = ctx.params.token ?? "";
    const values = typedFields(ctx, ANSWER_FIELDS);
    const reading = readReferenceAnswer(values);
    if (!reading.isValid) {
      // The link stays unused while the form is being corrected.
      const state = await inspectReferenceLink(deps.db, token);
      speakCaseLanguage(ctx, state.language);
      if (state.status === "unusable") return renderUnusable(ctx, state.problem);
      return renderQuestion(ctx, state, {
        values,
        errors: inPageLanguage(ctx, reading.errors),
        status: 422,
      });
    }
    const outcome = await answerReference(deps.db, {
      token,
      answer: reading.data,
      // The referee is nobody the portal knows: no address, no browser, only the request.
      audit: { label: "referee", requestId: ctx.state.requestId },
    });
    speakCaseLanguage(ctx, outcome.language);
    if (outcome.status === "unusable") return renderUnusable(ctx, outcome.problem);
    await ctx.render("links/reference-done.njk", { answer: reading.data.answer });
  });

  return router;
}

async function renderQuestion(
  ctx: Context,
  state: Extract<ReferenceLinkState, { status: "valid" }>,
  form: { values: Record<string, string>; errors: Record<string, string>; status: number },
): Promise<void> {
  ctx.status = form.status;
  await ctx.render("links/reference-question.njk", {
    action: ctx.path,
    applicantName: state.applicantName,
    expiresAt: ctx.state.translator.dateTime(state.expiresAt),
    values: form.values,
    errors: form.errors,
  });
  ctx.status = form.status;
}

async function renderUnusable(ctx: Context, problem: ReferenceLinkProblem): Promise<void> {
  const status = LINK_PROBLEM_STATUS[problem];
  ctx.status = status;
  await ctx.render("links/reference-invalid.njk", { problem });
  ctx.status = status;
}
