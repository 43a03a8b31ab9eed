// The applicant's workspace, mounted under /application behind requireApplicant. The session names the
// one case this browser may see: there is no case id in any of these addresses, so an applicant can
// never reach another case.
//   GET  /            status, what happens next, details, evidence place, messages, actions
//   POST /details     save the details (while a draft or more information is requested)
//   POST /submit      DRAFT → SUBMITTED (complete details and current consent needed)
//   POST /resubmit    MORE_INFORMATION_REQUESTED → IN_REVIEW
//   GET  /withdraw    "are you sure?"
//   POST /withdraw    any state before a decision → WITHDRAWN
//   POST /messages    a message to the vetting team while the case is open (plain text, limited in
//                     length and per hour); it answers the open request for more information, if any
//   POST /sign-out    ends the session
// A move the case's state refuses (submitting twice, withdrawing after a decision, editing when it is
// no longer editable) shows the workspace again with the message (409), never an error page.
import Router from "@koa/router";
import type { Context } from "koa";
import type { AppDependencies } from "../../appDependencies.js";
import { clearApplicantCookie, endApplicantSession } from "../../applicantSessions.js";
import { applicantAuditActor } from "../../audit.js";
import {
  NOT_OPEN_FOR_REPLIES_MESSAGE,
  replyToVettingTeam,
} from "../../commands/applicants/replyToVettingTeam.js";
import { resubmitApplication } from "../../commands/applicants/resubmitApplication.js";
import {
  CONSENT_NEEDED_MESSAGE,
  submissionProblems,
  submitApplication,
} from "../../commands/applicants/submitApplication.js";
import {
  NOT_EDITABLE_MESSAGE,
  updateApplicationDetails,
} from "../../commands/applicants/updateApplicationDetails.js";
import { withdrawApplication } from "../../commands/applicants/withdrawApplication.js";
import { ZApplicationDetails } from "../../domain/applicationFields.js";
import { ZReplyForm } from "../../domain/caseReplies.js";
import { allowedMoves } from "../../domain/caseStates.js";
import { HttpError } from "../../errors.js";
import { signedInApplicant } from "../../middleware/applicantSession.js";
import { canApplicantEdit, canApplicantReply, canApplicantWithdraw } from "../../policies/cases.js";
import { applicantMatrixIdProofView } from "../../presenters/matrixIdProof.js";
import { WORKSPACE_NOTICES, type WorkspaceNotice } from "../../presenters/notices/applicant.js";
import { type WorkspaceView, withdrawPageModel, workspacePageModel } from "../../presenters/workspacePage.js";
import { findApplicantCase } from "../../queries/sql/applicantCase.js";
import { createApplicantReplyLimits } from "../../security/applicantReplyLimits.js";
import { urls } from "../../urls.js";
import { orShowRefusal } from "../toolkit/conflicts.js";
import { readForm, typedFields } from "../toolkit/forms.js";
import { noticeFrom } from "../toolkit/notices.js";

export const ZEditableDetails = ZApplicationDetails.omit({ email: true });

const EDITABLE_FIELDS = ["fullName", "matrixId", "phone", "statement"] as const;

const NOT_WITHDRAWABLE_MESSAGE = "workspace.refused.notWithdrawable";

export function workspaceRoutes(deps: AppDependencies): Router {
  const router = new Router();
  const replyLimits = createApplicantReplyLimits(deps.rateLimitPool);

  router.get("/", async (ctx) => {
    await renderWorkspace(ctx, deps, { notice: noticeFrom(ctx, WORKSPACE_NOTICES) ?? null });
  });

  router.post("/details", async (ctx) => {
    const applicant = signedInApplicant(ctx);
    const vettingCase = await loadCaseOrSignOut(ctx, deps);
    if (!vettingCase) return;
    if (!canApplicantEdit(vettingCase)) {
      return renderWorkspace(ctx, deps, { status: 409, conflict: NOT_EDITABLE_MESSAGE });
    }
    const form = readForm(ctx, ZEditableDetails, EDITABLE_FIELDS);
    if (!form.isValid) {
      return renderWorkspace(ctx, deps, { status: 422, errors: form.errors, values: form.values });
    }
    await actOnWorkspace(ctx, deps, async () => {
      const { changedFields } = await updateApplicationDetails(deps.db, {
        caseId: applicant.caseId,
        details: form.data,
        audit: applicantAuditActor(ctx),
      });
      return changedFields.length > 0 ? "saved" : "unchanged";
    });
  });

  for (const move of ["submit", "resubmit"] as const) {
    router.post(`/${move}`, async (ctx) => {
      const applicant = signedInApplicant(ctx);
      const vettingCase = await loadCaseOrSignOut(ctx, deps);
      if (!vettingCase) return;
      const isConsentTicked = typedFields(ctx, ["consent"]).consent === "yes";
      // A move the state refuses goes straight to the command, which says why (409).
      if (allowedMoves(vettingCase.state).includes(move)) {
        // What is missing is said next to each field of the details form, and in the summary.
        const problems = submissionProblems(vettingCase, deps.config.privacy.noticeVersion);
        const errors: Record<string, string> = { ...problems.missingDetails };
        if (problems.needsConsent && !isConsentTicked) errors.consent = CONSENT_NEEDED_MESSAGE;
        if (Object.keys(errors).length > 0) {
          return renderWorkspace(ctx, deps, { status: 422, errors, isConsentTicked });
        }
      }
      await actOnWorkspace(ctx, deps, async () => {
        const command = move === "submit" ? submitApplication : resubmitApplication;
        await command(deps.db, {
          config: deps.config,
          caseId: applicant.caseId,
          isConsentGiven: isConsentTicked,
          pageLanguage: ctx.state.translator.language,
          audit: applicantAuditActor(ctx),
        });
        return move === "submit" ? "submitted" : "resubmitted";
      });
    });
  }

  router.get("/withdraw", async (ctx) => {
    const vettingCase = await loadCaseOrSignOut(ctx, deps);
    if (!vettingCase) return;
    if (!canApplicantWithdraw(vettingCase)) {
      return renderWorkspace(ctx, deps, { status: 409, conflict: NOT_WITHDRAWABLE_MESSAGE });
    }
    await ctx.render("applicant/withdraw.njk", withdrawPageModel(vettingCase, deps.config));
  });

  router.post("/withdraw", async (ctx) => {
    const applicant = signedInApplicant(ctx);
    await actOnWorkspace(ctx, deps, async () => {
      await withdrawApplication(deps.db, { caseId: applicant.caseId, audit: applicantAuditActor(ctx) });
      return "withdrawn";
    });
  });

  router.post("/messages", async (ctx) => {
    const applicant = signedInApplicant(ctx);
    const vettingCase = await loadCaseOrSignOut(ctx, deps);
    if (!vettingCase) return;
    if (!canApplicantReply(vettingCase)) {
      return renderWorkspace(ctx, deps, {
        status: 409,
        conflict: ctx.state.translator.t(NOT_OPEN_FOR_REPLIES_MESSAGE, { state: vettingCase.state }),
      });
    }
    const form = readForm(ctx, ZReplyForm, ["message"]);
    if (!form.isValid) {
      return renderWorkspace(ctx, deps, {
        status: 422,
        errors: form.errors,
        replyValues: { message: form.values.message ?? "" },
      });
    }
    try {
      await replyLimits.consume({ caseId: applicant.caseId, ipAddress: ctx.ip });
    } catch (error) {
      if (!(error instanceof HttpError) || error.status !== 429) throw error;
      ctx.set(error.headers);
      // What they wrote stays in the form: nothing is lost to the limit.
      return renderWorkspace(ctx, deps, {
        status: 429,
        conflict: ctx.state.translator.message(error.message, error.messageValues),
        replyValues: { message: form.values.message ?? "" },
      });
    }
    await actOnWorkspace(ctx, deps, async () => {
      await replyToVettingTeam(deps.db, {
        caseId: applicant.caseId,
        body: form.data.message,
        audit: applicantAuditActor(ctx),
      });
      return "replied";
    });
  });

  router.post("/sign-out", async (ctx) => {
    const applicant = signedInApplicant(ctx);
    await endApplicantSession(deps.db, applicant.sessionId);
    clearApplicantCookie(ctx, deps.config);
    ctx.status = 303;
    ctx.redirect(urls.applicantSignedOut());
  });

  return router;
}

/**
 * Runs one command on the session's case, then redirects to the workspace with the notice it returns;
 * a move the case's state refuses (409) shows the workspace again with the message.
 */
async function actOnWorkspace(
  ctx: Context,
  deps: AppDependencies,
  command: () => Promise<WorkspaceNotice>,
): Promise<void> {
  const outcome = await orShowRefusal(
    command,
    (message, status) => renderWorkspace(ctx, deps, { status, conflict: message }),
    [409],
    ctx.state.translator,
  );
  if (!outcome.isDone) return;
  ctx.status = 303;
  ctx.redirect(urls.applicantWorkspaceWithNotice(outcome.result));
}

/**
 * The session's case. Sessions of erased cases are refused when loaded, so a missing case means it
 * was erased a moment ago: the session ends and the person lands where they can ask for a link.
 */
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

async function renderWorkspace(ctx: Context, deps: AppDependencies, view: WorkspaceView): Promise<void> {
  const vettingCase = await loadCaseOrSignOut(ctx, deps);
  if (!vettingCase) return;
  const status = view.status ?? 200;
  ctx.status = status;
  const matrixIdProof = await applicantMatrixIdProofView(deps.db, deps.config, vettingCase.id);
  await ctx.render(
    "applicant/workspace.njk",
    workspacePageModel(vettingCase, deps.config, { ...view, matrixIdProof }),
  );
  ctx.status = status;
}
