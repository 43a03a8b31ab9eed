// The Matrix ID proof from the applicant's workspace, mounted under /application behind requireApplicant:
//   POST /matrix-id/prove   count the hourly limits, then ask the bot for the direct message (a job);
//                           back to the workspace's section, which says where the message is
// A request the case refuses (no Matrix ID, already verified, a decided case, no bot) or a limit shows
// the workspace again with the reason in the page's language (409, 429 with Retry-After).
import Router from "@koa/router";
import type { Context } from "koa";
import type { AppDependencies } from "../../appDependencies.js";
import { applicantAuditActor } from "../../audit.js";
import {
  MatrixIdProofNotAllowedError,
  requestMatrixIdProof,
} from "../../commands/matrixIdentity/requestMatrixIdProof.js";
import type { CaseState } from "../../domain/caseStates.js";
import { HttpError, notFound } from "../../errors.js";
import { signedInApplicant } from "../../middleware/applicantSession.js";
import { matrixIdProofRefusal } from "../../policies/matrixIdProof.js";
import { applicantMatrixIdProofView } from "../../presenters/matrixIdProof.js";
import { workspacePageModel } from "../../presenters/workspacePage.js";
import { findApplicantCase } from "../../queries/sql/applicantCase.js";
import { createMatrixIdProofLimits } from "../../security/matrixIdProofLimits.js";
import { urls } from "../../urls.js";

export function matrixIdRoutes(deps: AppDependencies): Router {
  const router = new Router();
  const limits = createMatrixIdProofLimits(deps.rateLimitPool);

  router.post("/matrix-id/prove", async (ctx) => {
    const applicant = signedInApplicant(ctx);
    const { t } = ctx.state.translator;
    const vettingCase = await deps.db.vettingCase.findUnique({
      where: { id: applicant.caseId },
      select: {
        state: true,
        erasedAt: true,
        matrixId: true,
        matrixIdVerifiedAt: true,
        matrixIdVerifiedId: true,
      },
    });
    if (!vettingCase) throw notFound();
    const refusal = matrixIdProofRefusal(
      { ...vettingCase, state: vettingCase.state as CaseState },
      deps.config.matrixBot !== null,
    );
    if (refusal) return renderWorkspace(ctx, deps, 409, t(`matrixId.refused.${refusal}`));
    try {
      await limits.consume({ caseId: applicant.caseId, matrixId: vettingCase.matrixId as string });
    } catch (error) {
      if (!(error instanceof HttpError) || error.status !== 429) throw error;
      ctx.set(error.headers);
      const minutes = Math.max(1, Math.ceil(Number(error.headers["Retry-After"] ?? 60) / 60));
      return renderWorkspace(ctx, deps, 429, t("matrixId.limit", { minutes }));
    }
    try {
      await requestMatrixIdProof(deps.db, {
        config: deps.config,
        caseId: applicant.caseId,
        audit: applicantAuditActor(ctx),
      });
    } catch (error) {
      if (!(error instanceof MatrixIdProofNotAllowedError)) throw error;
      return renderWorkspace(ctx, deps, 409, t(`matrixId.refused.${error.reason}`));
    }
    ctx.status = 303;
    ctx.redirect(urls.applicantMatrixIdSection());
  });

  return router;
}

/** The workspace with the refusal in its message box (the workspace's presenter, not its route). */
async function renderWorkspace(ctx: Context, deps: AppDependencies, status: number, message: string) {
  const applicant = signedInApplicant(ctx);
  const vettingCase = await findApplicantCase(deps.sqlPool, applicant.caseId);
  if (!vettingCase) throw notFound();
  ctx.status = status;
  await ctx.render(
    "applicant/workspace.njk",
    workspacePageModel(vettingCase, deps.config, {
      status,
      matrixIdProof: await applicantMatrixIdProofView(deps.db, deps.config, applicant.caseId),
      matrixIdProofRefusal: message,
    }),
  );
  ctx.status = status;
}
