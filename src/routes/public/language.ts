// The language switcher: POST /language with the chosen language and the page to return to. A form,
// not a link, because it sets a cookie and, for a signed-in applicant, changes their case's language
// (so the emails that follow speak it too): nothing changes state on GET. Works without JavaScript.
import Router from "@koa/router";
import { z } from "zod";
import type { AppDependencies } from "../../appDependencies.js";
import { applicantAuditActor } from "../../audit.js";
import { changeCaseLanguage } from "../../commands/applicants/changeCaseLanguage.js";
import { badRequest } from "../../errors.js";
import { isLanguage } from "../../i18n/languages.js";
import { rememberLanguage } from "../../middleware/language.js";
import { urls } from "../../urls.js";

const ZLanguageChoice = z.object({
  language: z.string().max(20),
  // A path on this site only: "/x", never "//host" or "/\\host", which browsers treat as another origin.
  returnTo: z
    .string()
    .max(2000)
    .regex(/^\/(?![/\\])/)
    .optional(),
});

export function languageRoutes(deps: AppDependencies): Router {
  const router = new Router();
  router.post(urls.language(), async (ctx) => {
    const parsed = ZLanguageChoice.safeParse(ctx.request.body);
    if (!parsed.success || !isLanguage(parsed.data.language, deps.config.languages)) {
      throw badRequest("errors.message.unknownLanguage");
    }
    rememberLanguage(ctx, deps.config, parsed.data.language);
    const applicant = ctx.state.applicant;
    if (applicant) {
      await changeCaseLanguage(deps.db, {
        caseId: applicant.caseId,
        language: parsed.data.language,
        audit: applicantAuditActor(ctx),
      });
    }
    ctx.status = 303;
    ctx.redirect(parsed.data.returnTo ?? urls.home());
  });
  return router;
}
