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
import { formatDateTime, isoDateTime } from "./staff.js";

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
 * A catalog id ("whoLooks.*"): the page translates it.
 */
export function whoLooksAtYourApplication(state: CaseState): string {
  switch (state) {
    case "DRAFT":
      return "whoLooks.DRAFT";
    case "SUBMITTED":
    case "IN_REVIEW":
    case "MORE_INFORMATION_REQUESTED":
      return "whoLooks.open";
    case "APPROVED":
    case "REJECTED":
    case "WITHDRAWN":
    case "CLOSED":
      return "whoLooks.finished";
  }
}

/** The "files added" notice of the evidence page (a catalog id): what the team does with them depends on the state. */
export function evidenceAddedNotice(state: CaseState): string {
  return state === "DRAFT" ? "notices.evidence.addedToDraft" : "notices.evidence.added";
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
    // The page formats these in its language (views/applicant/workspace.njk).
    at: {
      createdAt: isoDateTime(row.createdAt),
      submittedAt: isoDateTime(row.submittedAt),
      decidedAt: isoDateTime(row.decidedAt),
      withdrawnAt: isoDateTime(row.withdrawnAt),
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
