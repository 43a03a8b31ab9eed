// The applicant's case as their workspace shows it: the state in plain words with what happens next,
// the details, the messages from the vetting team, and which actions are open (policies decide).

import { submissionProblems } from "../commands/applicants/submitApplication.js";
import type { Config } from "../config.js";
import { formatCaseNumber } from "../domain/caseNumber.js";
import { REPLY_MAX_LENGTH } from "../domain/caseReplies.js";
import { allowedMoves, CASE_STATE_LABELS, type CaseState } from "../domain/caseStates.js";
import { canApplicantEdit, canApplicantReply, canApplicantWithdraw } from "../policies/cases.js";
import type { ApplicantCaseRow } from "../queries/sql/applicantCase.js";
import { presentConversation } from "./conversation.js";
import { formatDateTime } from "./staff.js";

/** Labels of the fields, as the forms show them; also used to list what is missing before submitting. */
export const APPLICATION_FIELD_LABELS = {
  fullName: "Full name",
  email: "Email address",
  matrixId: "Matrix ID (optional)",
  phone: "Phone number (optional)",
  statement: "Your statement",
} as const;
export const APPLICATION_FIELD_ORDER = Object.keys(APPLICATION_FIELD_LABELS);

/**
 * What the vetting team does with what the applicant adds, in the case's state: the one sentence every
 * applicant page uses, so none says the team "can see" a draft's files while another says it cannot.
 * Staff can open a draft (the queue lists every case, and an agent may have started it), but nobody
 * works on it before it is submitted; after a decision, withdrawal or closing, nobody works on it again.
 */
export function whoLooksAtYourApplication(state: CaseState): string {
  switch (state) {
    case "DRAFT":
      return "Your application is a draft: the vetting team does not review it, or the files you add, until you submit it.";
    case "SUBMITTED":
    case "IN_REVIEW":
    case "MORE_INFORMATION_REQUESTED":
      return "Only you and the vetting team can see your application and the files you add.";
    case "APPROVED":
    case "REJECTED":
    case "WITHDRAWN":
    case "CLOSED":
      return "Only you and the vetting team can see your application and its files; nobody reviews them any more.";
  }
}

/** The "files added" notice of the evidence page: what the team does with them depends on the state. */
export function evidenceAddedNotice(state: CaseState): string {
  return state === "DRAFT"
    ? "Your files were added. The vetting team will look at them once you submit your application."
    : "Your files were added. The vetting team can see them.";
}

/** What happens next, per state, in the applicant's words. */
function nextSteps(state: CaseState, communityName: string): string {
  switch (state) {
    case "DRAFT":
      return `${whoLooksAtYourApplication(state)} Check your details below, then submit your application when you are ready.`;
    case "SUBMITTED":
      return "We have your application. It is waiting for a vetting agent to pick it up; they will contact you to verify who you are. You do not need to do anything now.";
    case "IN_REVIEW":
      return "A vetting agent is reviewing your application and may contact you to verify who you are. After that, an admin decides and we email you the decision.";
    case "MORE_INFORMATION_REQUESTED":
      return "The vetting team needs more information before they can decide. Read their message, change your details below if needed, then resubmit your application.";
    case "APPROVED":
      return `Your application was approved: welcome to ${communityName}. We have emailed you about the next steps.`;
    case "REJECTED":
      return "Your application was not approved. We have emailed you the decision.";
    case "WITHDRAWN":
      return "You withdrew your application, so it will not be reviewed. If you change your mind, you can apply again.";
    case "CLOSED":
      return "The vetting team closed your application without a decision, so it will not be reviewed. If you think this is a mistake, apply again or contact them.";
  }
}

export function presentApplicantCase(row: ApplicantCaseRow, config: Config) {
  const latestRequest = row.decisions.find((decision) => decision.kind === "REQUEST_MORE_INFORMATION");
  const latestDecision = row.decisions.find((decision) => decision.kind !== "REQUEST_MORE_INFORMATION");
  // The SQL reads only the comments marked visible to the applicant.
  const conversation = presentConversation(
    { visibleComments: row.comments, decisions: row.decisions, replies: row.replies },
    "applicant",
  );

  const isEditable = canApplicantEdit(row);
  const moves = allowedMoves(row.state);
  const problems = submissionProblems(row, config.privacy.noticeVersion);
  return {
    number: formatCaseNumber(row.number),
    state: row.state,
    stateLabel: CASE_STATE_LABELS[row.state],
    nextSteps: nextSteps(row.state, config.site.communityName),
    moreInformationReason:
      row.state === "MORE_INFORMATION_REQUESTED" ? (latestRequest?.reason ?? null) : null,
    rejectionReason:
      row.state === "REJECTED" &&
      latestDecision?.kind === "REJECT" &&
      latestDecision.isReasonSharedWithApplicant
        ? latestDecision.reason
        : null,
    details: {
      fullName: row.fullName,
      email: row.email,
      matrixId: row.matrixId ?? "",
      phone: row.phone ?? "",
      statement: row.statement,
    },
    dates: {
      createdAt: formatDateTime(row.createdAt),
      submittedAt: row.submittedAt ? formatDateTime(row.submittedAt) : null,
      decidedAt: row.decidedAt ? formatDateTime(row.decidedAt) : null,
      withdrawnAt: row.withdrawnAt ? formatDateTime(row.withdrawnAt) : null,
    },
    conversation,
    replyMaxLength: REPLY_MAX_LENGTH,
    missingDetails: APPLICATION_FIELD_ORDER.flatMap((field) => {
      const message = problems.missingDetails[field];
      return message
        ? [
            {
              field,
              label: APPLICATION_FIELD_LABELS[field as keyof typeof APPLICATION_FIELD_LABELS],
              message,
            },
          ]
        : [];
    }),
    needsConsent: problems.needsConsent,
    can: {
      edit: isEditable,
      submit: moves.includes("submit"),
      resubmit: moves.includes("resubmit"),
      withdraw: canApplicantWithdraw(row),
      reply: canApplicantReply(row),
    },
  };
}

export type ApplicantCaseView = ReturnType<typeof presentApplicantCase>;
