// Dashboard rows → what the staff home page shows: case numbers with links, plain-language labels for
// case events and decisions (catalog ids), and how long a case has been waiting.
import type { AuditAction } from "../audit.js";
import { formatCaseNumber } from "../domain/caseNumber.js";
import { CASE_STATES, type CaseState } from "../domain/caseStates.js";
import type { DecisionKind } from "../generated/prisma/client.js";
import type { Translator } from "../i18n/translator.js";
import type { CaseActivityRow, CaseSummaryRow, RecentDecisionRow } from "../queries/dashboard.js";
import { urls } from "../urls.js";
import { formatDateTime, isoDateTime } from "./staff.js";

type CaseAuditAction = Extract<AuditAction, `case.${string}`>;

/**
 * What each case event is called on the dashboard (catalog ids); the Record makes the compiler list
 * every one.
 */
export const CASE_ACTIVITY_LABELS: Record<CaseAuditAction, string> = {
  "case.created": "staff.activity.created",
  "case.opened_by_staff": "staff.activity.openedByStaff",
  "case.email_confirmed": "staff.activity.emailConfirmed",
  "case.applicant_signed_in": "staff.activity.applicantSignedIn",
  "case.details_updated": "staff.activity.detailsUpdated",
  "case.language_changed": "staff.activity.languageChanged",
  "case.submitted": "staff.activity.submitted",
  "case.review_started": "staff.activity.reviewStarted",
  "case.assigned": "staff.activity.assigned",
  "case.vetting_recorded": "staff.activity.vettingRecorded",
  "case.comment_added": "staff.activity.commentAdded",
  "case.more_information_requested": "staff.activity.moreInformationRequested",
  "case.resubmitted": "staff.activity.resubmitted",
  "case.approved": "staff.activity.approved",
  "case.rejected": "staff.activity.rejected",
  "case.withdrawn": "staff.activity.withdrawn",
  "case.invitation_sent": "staff.activity.invitationSent",
  "case.reference_requested": "staff.activity.referenceRequested",
  "case.reference_answered": "staff.activity.referenceAnswered",
  "case.closed": "staff.activity.closed",
  "case.reopened": "staff.activity.reopened",
  "case.applicant_replied": "staff.activity.applicantReplied",
  "case.details_corrected": "staff.activity.detailsCorrected",
  "case.email_change_confirmed": "staff.activity.emailChangeConfirmed",
  "case.duplicate_flagged": "staff.activity.duplicateFlagged",
  "case.matrix_id_proof_requested": "staff.activity.matrixIdProofRequested",
  "case.matrix_id_proof_sent": "staff.activity.matrixIdProofSent",
  "case.matrix_id_proof_failed": "staff.activity.matrixIdProofFailed",
  "case.matrix_id_verified": "staff.activity.matrixIdVerified",
  "case.matrix_id_proof_refused": "staff.activity.matrixIdProofRefused",
  "case.matrix_id_verification_cleared": "staff.activity.matrixIdVerificationCleared",
  "case.conflict_declared": "staff.activity.conflictDeclared",
  "case.conflict_withdrawn": "staff.activity.conflictWithdrawn",
  "case.exported": "staff.activity.exported",
  "case.erased": "staff.activity.erased",
  "case.purged": "staff.activity.purged",
  "case.reference_request_sent": "staff.activity.referenceRequestSent",
  "case.reference_request_failed": "staff.activity.referenceRequestFailed",
};

const DECISION_KIND_LABELS: Record<DecisionKind, string> = {
  APPROVE: "staff.decision.APPROVE",
  REJECT: "staff.decision.REJECT",
  REQUEST_MORE_INFORMATION: "staff.decision.REQUEST_MORE_INFORMATION",
};

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** "less than an hour", "5 hours", "3 days": how long a case has been waiting, in round units. */
export function describeWaiting(since: Date, now: Date, translator: Translator): string {
  const elapsedMs = Math.max(0, now.getTime() - since.getTime());
  if (elapsedMs < HOUR_MS) return translator.t("staff.waiting.duration", { unit: "lessThanHour", count: 0 });
  if (elapsedMs < DAY_MS)
    return translator.t("staff.waiting.duration", { unit: "hours", count: Math.floor(elapsedMs / HOUR_MS) });
  return translator.t("staff.waiting.duration", { unit: "days", count: Math.floor(elapsedMs / DAY_MS) });
}

export interface CaseLinkView {
  url: string;
  number: string;
  /** The applicant's name, or null once their personal data was erased. */
  name: string | null;
}

function caseLink(row: {
  id: string;
  number: number;
  fullName: string;
  erasedAt: Date | null;
}): CaseLinkView {
  return {
    url: urls.staffCase(row.id),
    number: formatCaseNumber(row.number),
    name: row.erasedAt ? null : row.fullName,
  };
}

export interface WaitingCaseView extends CaseLinkView {
  stateLabel: string;
  waitingSinceIso: string | null;
  waitingSinceLabel: string;
  /** "3 days", or null for a draft that was never submitted. */
  waitingFor: string | null;
  assignedTo?: string | null;
}

export function presentWaitingCase(
  row: CaseSummaryRow & { assignedTo?: { name: string } | null },
  now: Date,
  translator: Translator,
): WaitingCaseView {
  return {
    ...caseLink(row),
    stateLabel: translator.t(`states.${row.state}`),
    waitingSinceIso: isoDateTime(row.lastSubmittedAt),
    waitingSinceLabel: formatDateTime(row.lastSubmittedAt, translator.t("staff.home.notSubmittedYet")),
    waitingFor: row.lastSubmittedAt ? describeWaiting(row.lastSubmittedAt, now, translator) : null,
    ...(row.assignedTo !== undefined ? { assignedTo: row.assignedTo?.name ?? null } : {}),
  };
}

export interface CaseActivityView {
  case: CaseLinkView;
  label: string;
  actor: string;
  occurredAtIso: string;
  occurredAtLabel: string;
}

export function presentCaseActivity(row: CaseActivityRow, translator: Translator): CaseActivityView {
  return {
    case: caseLink({
      id: row.caseId,
      number: row.caseNumber,
      fullName: row.fullName,
      erasedAt: row.erasedAt,
    }),
    label: translator.message(CASE_ACTIVITY_LABELS[row.action as CaseAuditAction] ?? row.action),
    actor:
      row.actorName ??
      (row.actorLabel === "applicant" ? translator.t("staff.home.theApplicant") : row.actorLabel),
    occurredAtIso: row.occurredAt.toISOString(),
    occurredAtLabel: formatDateTime(row.occurredAt),
  };
}

export interface StateCountView {
  state: CaseState;
  label: string;
  count: number;
  /** The queue filtered by this state. */
  url: string;
}

export function presentStateCounts(
  counts: Record<CaseState, number>,
  translator: Translator,
): StateCountView[] {
  return CASE_STATES.map((state) => ({
    state,
    label: translator.t(`states.${state}`),
    count: counts[state],
    url: urls.staffCases(new URLSearchParams({ state }).toString()),
  }));
}

export interface DecisionView {
  case: CaseLinkView;
  kindLabel: string;
  decidedBy: string;
  decidedAtIso: string;
  decidedAtLabel: string;
}

export function presentRecentDecision(row: RecentDecisionRow, translator: Translator): DecisionView {
  return {
    case: caseLink(row.vettingCase),
    kindLabel: translator.t(DECISION_KIND_LABELS[row.kind]),
    decidedBy: row.decidedBy.name,
    decidedAtIso: row.decidedAt.toISOString(),
    decidedAtLabel: formatDateTime(row.decidedAt),
  };
}
