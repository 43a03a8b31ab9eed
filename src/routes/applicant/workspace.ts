// The applicant's workspace, mounted under /application behind requireApplicant. The session names the
// one case this browser may see: there is no case id in any of these addresses, so an applicant can
// never reach another case.
//   GET  /            status, what happens next, details, evidence place, messages, actions
//   POST /details     save the details (while a draft or more information is requested)
//   POST /submit      DRAFT → SUBMITTED (complete details and current consent needed)
//   POST /resubmit    MORE_INFORMATION_REQUESTED → IN_REVIEW
//   GET  /withdraw    "are you sure?"
//   POST /withdraw    any state before a decision → WITHDRAWN
//   POST /sign-out    ends the session
// A move the case's state refuses (submitting twice, withdrawing after a decision, editing when it is
// no longer editable) shows the workspace again with the message (409), never an error page.
import Router from "@koa/router";
import type { Context } from "koa";
import type { AppDependencies } from "../../appDependencies.js";
import { clearApplicantCookie, endApplicantSession } from "../../applicantSessions.js";
import { applicantAuditActor } from "../../audit.js";
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
import type { Config } from "../../config.js";
import { fieldErrors, ZApplicationDetails } from "../../domain/applicationFields.js";
import { allowedMoves } from "../../domain/caseStates.js";
import { HttpError } from "../../errors.js";
import { signedInApplicant } from "../../middleware/applicantSession.js";
import { canApplicantEdit, canApplicantWithdraw } from "../../policies/cases.js";
import { APPLICATION_FIELD_ORDER, presentApplicantCase } from "../../presenters/applicantCase.js";
import { type ApplicantCaseRow, findApplicantCase } from "../../queries/applicantCase.js";
import { urls } from "../../urls.js";
import { typedFields } from "../public/apply.js";

export const ZEditableDetails = ZApplicationDetails.omit({ email: true });

const EDITABLE_FIELDS = ["fullName", "matrixId", "phone", "statement"] as const;

const NOTICES: Record<string, string> = {
  confirmed: "Your email address is confirmed. This is your application.",
  signed_in: "You are signed in to your application.",
  saved: "Your details were saved.",
  unchanged: "Nothing to save: your details are as they were.",
  submitted: "Your application was submitted. We have emailed you a confirmation.",
  resubmitted: "Your application was sent back to the vetting team.",
  withdrawn: "Your application was withdrawn. We have emailed you a confirmation.",
};

const NOT_WITHDRAWABLE_MESSAGE =
  "Your application can no longer be withdrawn: it has been decided or withdrawn already.";

export interface WorkspaceView {
  status?: number;
  notice?: string | null;
  conflict?: string | null;
  errors?: Record<string, string>;
  /** What was typed in the details form, shown instead of the stored details. */
  values?: Record<string, string> | null;
  isConsentTicked?: boolean;
}

export function workspaceRoutes(deps: AppDependencies): Router {
  const router = new Router();

  router.get("/", async (ctx) => {
    const done = typeof ctx.query.done === "string" ? ctx.query.done : "";
    await renderWorkspace(ctx, deps, { notice: NOTICES[done] ?? null });
  });

  router.post("/details", async (ctx) => {
    const applicant = signedInApplicant(ctx);
    const vettingCase = await loadCaseOrSignOut(ctx, deps);
    if (!vettingCase) return;
    if (!canApplicantEdit(vettingCase)) {
      return renderWorkspace(ctx, deps, { status: 409, conflict: NOT_EDITABLE_MESSAGE });
    }
    const typed = typedFields(ctx, EDITABLE_FIELDS);
    const parsed = ZEditableDetails.safeParse(typed);
    if (!parsed.success) {
      return renderWorkspace(ctx, deps, { status: 422, errors: fieldErrors(parsed.error), values: typed });
    }
    let changedFields: string[];
    try {
      ({ changedFields } = await updateApplicationDetails(deps.db, {
        caseId: applicant.caseId,
        details: parsed.data,
        audit: applicantAuditActor(ctx),
      }));
    } catch (error) {
      if (isConflict(error)) return renderWorkspace(ctx, deps, { status: 409, conflict: error.message });
      throw error;
    }
    redirectWithNotice(ctx, changedFields.length > 0 ? "saved" : "unchanged");
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
      try {
        const command = move === "submit" ? submitApplication : resubmitApplication;
        await command(deps.db, {
          config: deps.config,
          caseId: applicant.caseId,
          isConsentGiven: isConsentTicked,
          audit: applicantAuditActor(ctx),
        });
      } catch (error) {
        if (isConflict(error)) return renderWorkspace(ctx, deps, { status: 409, conflict: error.message });
        throw error;
      }
      redirectWithNotice(ctx, move === "submit" ? "submitted" : "resubmitted");
    });
  }

  router.get("/withdraw", async (ctx) => {
    const vettingCase = await loadCaseOrSignOut(ctx, deps);
    if (!vettingCase) return;
    if (!canApplicantWithdraw(vettingCase)) {
      return renderWorkspace(ctx, deps, { status: 409, conflict: NOT_WITHDRAWABLE_MESSAGE });
    }
    await ctx.render("applicant/withdraw.njk", {
      caseView: presentApplicantCase(vettingCase, deps.config),
      links: { withdraw: urls.applicantAction("withdraw"), workspace: urls.applicantWorkspace() },
    });
  });

  router.post("/withdraw", async (ctx) => {
    const applicant = signedInApplicant(ctx);
    try {
      await withdrawApplication(deps.db, {
        caseId: applicant.caseId,
        audit: applicantAuditActor(ctx),
      });
    } catch (error) {
      if (isConflict(error)) return renderWorkspace(ctx, deps, { status: 409, conflict: error.message });
      throw error;
    }
    redirectWithNotice(ctx, "withdrawn");
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

function isConflict(error: unknown): error is HttpError {
  return error instanceof HttpError && error.status === 409;
}

function redirectWithNotice(ctx: Context, notice: keyof typeof NOTICES): void {
  ctx.status = 303;
  ctx.redirect(urls.applicantWorkspaceWithNotice(notice));
}

/**
 * The session's case. Sessions of erased cases are refused when loaded, so a missing case means it
 * was erased a moment ago: the session ends and the person lands where they can ask for a link.
 */
async function loadCaseOrSignOut(ctx: Context, deps: AppDependencies) {
  const applicant = signedInApplicant(ctx);
  const vettingCase = await findApplicantCase(deps.db, applicant.caseId);
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
  await ctx.render("applicant/workspace.njk", workspacePageModel(vettingCase, deps.config, view));
  ctx.status = status;
}

/**
 * The workspace page's template data. Exported for the benchmark's baseline (scripts/bench/bareRender.ts),
 * which renders the same page from the same data held in memory.
 */
export function workspacePageModel(vettingCase: ApplicantCaseRow, config: Config, view: WorkspaceView) {
  const caseView = presentApplicantCase(vettingCase, config);
  return {
    caseView,
    evidenceFileCount: vettingCase.applicantEvidenceFileCount,
    notice: view.notice ?? null,
    conflict: view.conflict ?? null,
    errors: view.errors ?? {},
    errorOrder: [...APPLICATION_FIELD_ORDER, "consent"],
    values: view.values ?? caseView.details,
    isConsentTicked: view.isConsentTicked ?? false,
    noticeVersion: config.privacy.noticeVersion,
    links: {
      details: urls.applicantDetails(),
      submit: urls.applicantAction("submit"),
      resubmit: urls.applicantAction("resubmit"),
      withdraw: urls.applicantAction("withdraw"),
      signOut: urls.applicantSignOut(),
      privacy: urls.privacyNotice(),
      evidence: urls.applicantEvidence(),
    },
  };
}
