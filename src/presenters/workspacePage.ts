// The applicant's workspace (views/applicant/workspace.njk): the case in plain words (applicantCase.ts),
// the details form (filled again with what was typed when a POST re-renders it), the notice or refusal
// of the last action, and the addresses of the actions. Also the "withdraw?" page (withdraw.njk).
import type { Config } from "../config.js";
import type { ApplicantCaseRow } from "../queries/sql/applicantCase.js";
import { urls } from "../urls.js";
import { APPLICATION_FIELD_ORDER, presentApplicantCase } from "./applicantCase.js";
import type { ApplicantMatrixIdProofView } from "./matrixIdProof.js";

/** What a request adds to the workspace. */
export interface WorkspaceView {
  status?: number;
  notice?: string | null;
  conflict?: string | null;
  errors?: Record<string, string>;
  /** What was typed in the details form, shown instead of the stored details. */
  values?: Record<string, string> | null;
  isConsentTicked?: boolean;
  /** The message form as typed, when a POST re-renders it. */
  replyValues?: { message: string } | null;
  /** The Matrix ID proof section (presenters/matrixIdProof.ts), and why a request was just refused. */
  matrixIdProof?: ApplicantMatrixIdProofView | null;
  matrixIdProofRefusal?: string | null;
}

/**
 * The workspace page's template data. The benchmark's baseline (scripts/bench/bareRender.ts) renders
 * the same page from the same data held in memory.
 */
export function workspacePageModel(vettingCase: ApplicantCaseRow, config: Config, view: WorkspaceView) {
  const caseView = presentApplicantCase(vettingCase, config);
  return {
    caseView,
    evidenceFileCount: vettingCase.applicantEvidenceFileCount,
    notice: view.notice ?? null,
    conflict: view.conflict ?? null,
    errors: view.errors ?? {},
    errorOrder: [...APPLICATION_FIELD_ORDER, "consent", "message"],
    values: view.values ?? caseView.details,
    isConsentTicked: view.isConsentTicked ?? false,
    replyValues: view.replyValues ?? { message: "" },
    noticeVersion: config.privacy.noticeVersion,
    matrixIdProof: view.matrixIdProof ?? null,
    matrixIdProofRefusal: view.matrixIdProofRefusal ?? null,
    links: {
      details: urls.applicantDetails(),
      submit: urls.applicantAction("submit"),
      resubmit: urls.applicantAction("resubmit"),
      withdraw: urls.applicantAction("withdraw"),
      reply: urls.applicantReply(),
      signOut: urls.applicantSignOut(),
      privacy: urls.privacyNotice(),
      evidence: urls.applicantEvidence(),
    },
  };
}

/** "Withdraw your application?": the case, and the button. */
export function withdrawPageModel(vettingCase: ApplicantCaseRow, config: Config) {
  return {
    caseView: presentApplicantCase(vettingCase, config),
    links: { withdraw: urls.applicantAction("withdraw"), workspace: urls.applicantWorkspace() },
  };
}
