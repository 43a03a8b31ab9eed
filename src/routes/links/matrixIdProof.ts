// The link the portal's Matrix bot sends to an applicant's Matrix ID:
//   GET  /apply/matrix-id/:token   a page with one button (changes nothing: link previews and clients
//                                  that fetch links consume nothing), or why the link cannot be used
//   POST /apply/matrix-id/:token   marks the Matrix ID verified (commands/matrixIdentity/confirmMatrixIdProof)
// It works only in a browser signed in to the application it was sent for: the person proves they hold
// both the Matrix account (they read the message) and the application (its session). Signed out → 403
// with the way to sign in (the link keeps working until it expires); another application's session →
// 403, and the link stays usable for its owner; unknown → 404; expired, used or the Matrix ID changed
// since → 410. Every refusal of a POST is audited on the link's case.
import Router from "@koa/router";
import type { Context } from "koa";
import type { AppDependencies } from "../../appDependencies.js";
import { applicantAuditActor } from "../../audit.js";
import {
  confirmMatrixIdProof,
  inspectMatrixIdProofLink,
  type MatrixIdProofLinkProblem,
} from "../../commands/matrixIdentity/confirmMatrixIdProof.js";
import { MATRIX_ID_PROOF_LINK_MINUTES } from "../../jobs/sendMatrixIdProof.js";
import { urls } from "../../urls.js";

type Problem = MatrixIdProofLinkProblem | "signed_out";

const PROBLEM_STATUS: Record<Problem, number> = {
  unknown: 404,
  expired: 410,
  used: 410,
  changed: 410,
  other_applicant: 403,
  signed_out: 403,
};

export function matrixIdProofLinkRoutes(deps: AppDependencies): Router {
  const router = new Router();

  router.get("/apply/matrix-id/:token", async (ctx) => {
    ctx.set("Cache-Control", "no-store");
    const problem = await inspectMatrixIdProofLink(deps.db, {
      token: ctx.params.token ?? "",
      applicantCaseId: ctx.state.applicant?.caseId ?? null,
    });
    if (problem) return renderProblem(ctx, problem);
    await ctx.render("links/matrix-id-confirm.njk", { action: ctx.path });
  });

  router.post("/apply/matrix-id/:token", async (ctx) => {
    ctx.set("Cache-Control", "no-store");
    const token = ctx.params.token ?? "";
    const applicant = ctx.state.applicant;
    if (!applicant) {
      const problem = await inspectMatrixIdProofLink(deps.db, { token, applicantCaseId: null });
      return renderProblem(ctx, problem ?? "signed_out");
    }
    const outcome = await confirmMatrixIdProof(deps.db, {
      token,
      applicantCaseId: applicant.caseId,
      audit: applicantAuditActor(ctx),
    });
    if (outcome.status === "refused") return renderProblem(ctx, outcome.problem);
    ctx.status = 303;
    ctx.redirect(urls.applicantMatrixIdSection());
  });

  return router;
}

async function renderProblem(ctx: Context, problem: Problem): Promise<void> {
  const status = PROBLEM_STATUS[problem];
  ctx.status = status;
  await ctx.render("links/matrix-id-invalid.njk", {
    problem,
    minutes: MATRIX_ID_PROOF_LINK_MINUTES,
    links: {
      workspace: urls.applicantWorkspace(),
      signIn: urls.applicantSignInRequest(),
    },
    isSignedIn: ctx.state.applicant !== null && ctx.state.applicant !== undefined,
  });
  ctx.status = status;
}
