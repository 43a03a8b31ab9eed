// The applicant's referees, mounted under /application behind requireApplicant (the session names the
// one case: no case id in the address):
//   GET  /referees   who they named, and whether each answered (never what was written); the form
//   POST /referees   name one more, by email address (or Matrix ID when the portal's bot is
//                    configured): checked (own address or Matrix ID, another case of the same person,
//                    named already, REFEREES_MAX, the case still open), counted against the case's
//                    daily limit (and a Matrix ID's, across cases), then the referee is sent a single-use link (an email, or the bot's
//                    direct message)
// Every word comes from the catalogs (references.*), in the page's language.
import Router from "@koa/router";
import type { Context } from "koa";
import type { AppDependencies } from "../../appDependencies.js";
import { clearApplicantCookie, endApplicantSession } from "../../applicantSessions.js";
import { applicantAuditActor } from "../../audit.js";
import { requestReference } from "../../commands/references/requestReference.js";
import { referenceRequestForm } from "../../domain/referenceFields.js";
import { signedInApplicant } from "../../middleware/applicantSession.js";
import { canApplicantNameReferees } from "../../policies/cases.js";
import {
  applicantRefereesPageModel,
  type RefereeFormView,
  refusalMessageId,
} from "../../presenters/references.js";
import { findApplicantReferences } from "../../queries/references.js";
import { findApplicantCase } from "../../queries/sql/applicantCase.js";
import { createReferenceLimits } from "../../security/referenceLimits.js";
import { urls } from "../../urls.js";
import { readForm } from "../toolkit/forms.js";

const FORM_FIELDS = ["refereeEmail", "refereeMatrixId", "relationship"] as const;
const DAY_MS = 24 * 60 * 60 * 1000;

interface RefereesView {
  status?: number;
  form?: RefereeFormView;
  refusal?: string | null;
  notice?: string | null;
}

export function applicantRefereeRoutes(deps: AppDependencies): Router {
  const router = new Router();
  const limits = createReferenceLimits(deps.rateLimitPool);

  router.get("/referees", async (ctx) => {
    const done = ctx.query.done;
    const notice =
      done === "requested" || done === "requested_matrix"
        ? ctx.state.translator.t(`references.applicant.notice.${done}`)
        : null;
    await renderReferees(ctx, deps, { notice });
  });

  router.post("/referees", async (ctx) => {
    const applicant = signedInApplicant(ctx);
    const { t } = ctx.state.translator;
    const vettingCase = await loadCaseOrSignOut(ctx, deps);
    if (!vettingCase) return;
    if (!canApplicantNameReferees(vettingCase)) {
      return renderReferees(ctx, deps, { status: 409, refusal: t("references.refused.closed") });
    }
    const form = readForm(ctx, referenceRequestForm(deps.config.matrixBot !== null), FORM_FIELDS);
    if (!form.isValid) {
      return renderReferees(ctx, deps, {
        status: 422,
        form: { values: form.values, errors: form.errors },
      });
    }
    const caseWait = await limits.requestForCase(applicant.caseId);
    const matrixIdWait =
      caseWait === null && form.data.refereeMatrixId !== null
        ? await limits.requestToMatrixId(form.data.refereeMatrixId)
        : null;
    const waitSeconds = caseWait ?? matrixIdWait;
    if (waitSeconds !== null) {
      ctx.set("Retry-After", String(waitSeconds));
      const minutes = Math.ceil(waitSeconds / 60);
      return renderReferees(ctx, deps, {
        status: 429,
        form: { values: form.values, errors: {} },
        refusal:
          matrixIdWait === null
            ? t("references.refused.rateLimited", { minutes })
            : t("references.refused.rateLimitedMatrixId", { hours: Math.ceil(minutes / 60) }),
      });
    }
    const outcome = await requestReference(deps.db, {
      caseId: applicant.caseId,
      referee: form.data,
      staff: null,
      config: deps.config,
      audit: applicantAuditActor(ctx),
    });
    if (outcome.status === "refused") {
      return renderReferees(ctx, deps, {
        status: 409,
        form: { values: form.values, errors: {} },
        refusal: t(
          refusalMessageId("references.refused", outcome.reason, form.data.refereeMatrixId !== null),
          {
            max: deps.config.references.refereesMax,
          },
        ),
      });
    }
    ctx.status = 303;
    ctx.redirect(
      urls.applicantRefereesWithNotice(form.data.refereeMatrixId === null ? "requested" : "requested_matrix"),
    );
  });

  return router;
}

/** The session's case; a missing one was erased a moment ago: the session ends (as the workspace does). */
async function loadCaseOrSignOut(ctx: Context, deps: AppDependencies) {
  const applicant = signedInApplicant(ctx);
  const vettingCase = await findApplicantCase(deps.sqlPool, applicant.caseId);
  if (vettingCase) return vettingCase;
  await endApplicantSession(deps.db, applicant.sessionId);
  clearApplicantCookie(ctx, deps.config);
  ctx.status = 303;
  ctx.redirect(`${urls.applicantSignInRequest()}?expired=1`);
  return null;
}

async function renderReferees(ctx: Context, deps: AppDependencies, view: RefereesView): Promise<void> {
  const vettingCase = await loadCaseOrSignOut(ctx, deps);
  if (!vettingCase) return;
  const rows = await findApplicantReferences(deps.db, vettingCase.id);
  const status = view.status ?? 200;
  ctx.status = status;
  await ctx.render(
    "applicant/_referees-page.njk",
    applicantRefereesPageModel({
      rows,
      refereesMax: deps.config.references.refereesMax,
      linkDays: Math.round(deps.config.references.linkLifetimeMs / DAY_MS),
      canName: canApplicantNameReferees(vettingCase),
      isMatrixOn: deps.config.matrixBot !== null,
      form: view.form ?? { values: {}, errors: {} },
      notice: view.notice ?? null,
      refusal: view.refusal ?? null,
    }),
  );
  ctx.status = status;
}
