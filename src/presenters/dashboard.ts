// Dashboard rows → what the staff home page shows: case numbers with links, plain-language labels for
// case events and decisions, and how long a case has been waiting.
import type { AuditAction } from "../audit.js";
import { formatCaseNumber } from "../domain/caseNumber.js";
import { CASE_STATE_LABELS, CASE_STATES, type CaseState } from "../domain/caseStates.js";
import type { DecisionKind } from "../generated/prisma/client.js";
import type { CaseActivityRow, CaseSummaryRow, RecentDecisionRow } from "../queries/dashboard.js";
import { urls } from "../urls.js";
import { formatDateTime, isoDateTime } from "./staff.js";

type CaseAuditAction = Extract<AuditAction, `case.${string}`>;

/** What each case event is called on the dashboard; the Record makes the compiler list every one. */
export const CASE_ACTIVITY_LABELS: Record<CaseAuditAction, string> = {
  "case.created": "Application started",
  "case.opened_by_staff": "Case opened by staff",
  "case.email_confirmed": "Email address confirmed",
  "case.applicant_signed_in": "Applicant signed in",
  "case.details_updated": "Details updated",
  "case.language_changed": "Language changed",
  "case.submitted": "Submitted",
  "case.review_started": "Review started",
  "case.assigned": "Assigned",
  "case.vetting_recorded": "Vetting record added",
  "case.comment_added": "Comment added",
  "case.more_information_requested": "More information requested",
  "case.resubmitted": "Resubmitted by the applicant",
  "case.approved": "Approved",
  "case.rejected": "Rejected",
  "case.withdrawn": "Withdrawn by the applicant",
  "case.invitation_sent": "Invitation sent to the applicant",
  "case.reference_requested": "Referee asked to vouch",
  "case.reference_answered": "Referee answered",
  "case.reference_request_sent": "Referee’s Matrix message sent",
  "case.reference_request_failed": "Referee’s Matrix message refused by the homeserver",
  "case.closed": "Closed without a decision",
  "case.reopened": "Reopened",
  "case.applicant_replied": "The applicant replied",
  "case.details_corrected": "Details corrected by staff",
  "case.email_change_confirmed": "New email address confirmed",
  "case.duplicate_flagged": "Flagged as a possible duplicate",
  "case.matrix_id_proof_requested": "Matrix ID proof asked for",
  "case.matrix_id_proof_sent": "Matrix ID proof message sent",
  "case.matrix_id_proof_failed": "Matrix ID proof message refused by the homeserver",
  "case.matrix_id_verified": "Matrix ID verified",
  "case.matrix_id_proof_refused": "Matrix ID proof link refused",
  "case.matrix_id_verification_cleared": "Matrix ID verification cleared (the Matrix ID changed)",
  "case.conflict_declared": "Conflict of interest declared",
  "case.conflict_withdrawn": "Conflict of interest withdrawn",
  "case.exported": "Exported",
  "case.erased": "Personal data erased",
  "case.purged": "Personal data removed after the retention period",
};

export const DECISION_KIND_LABELS: Record<DecisionKind, string> = {
  APPROVE: "Approved",
  REJECT: "Rejected",
  REQUEST_MORE_INFORMATION: "More information requested",
};

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** "less than an hour", "5 hours", "3 days": how long a case has been waiting, in round units. */
export function describeWaiting(since: Date, now: Date): string {
  const elapsedMs = Math.max(0, now.getTime() - since.getTime());
  if (elapsedMs < HOUR_MS) return "less than an hour";
  if (elapsedMs < DAY_MS) {
    const hours = Math.floor(elapsedMs / HOUR_MS);
    return `${hours} ${hours === 1 ? "hour" : "hours"}`;
  }
  const days = Math.floor(elapsedMs / DAY_MS);
  return `${days} ${days === 1 ? "day" : "days"}`;
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
): WaitingCaseView {
  return {
    ...caseLink(row),
    stateLabel: CASE_STATE_LABELS[row.state],
    waitingSinceIso: isoDateTime(row.lastSubmittedAt),
    waitingSinceLabel: formatDateTime(row.lastSubmittedAt, "Not submitted yet"),
    waitingFor: row.lastSubmittedAt ? describeWaiting(row.lastSubmittedAt, now) : null,
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

export function presentCaseActivity(row: CaseActivityRow): CaseActivityView {
  return {
    case: caseLink({
      id: row.caseId,
      number: row.caseNumber,
      fullName: row.fullName,
      erasedAt: row.erasedAt,
    }),
    label: CASE_ACTIVITY_LABELS[row.action as CaseAuditAction] ?? row.action,
    actor: row.actorName ?? (row.actorLabel === "applicant" ? "The applicant" : row.actorLabel),
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

export function presentStateCounts(counts: Record<CaseState, number>): StateCountView[] {
  return CASE_STATES.map((state) => ({
    state,
    label: CASE_STATE_LABELS[state],
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

export function presentRecentDecision(row: RecentDecisionRow): DecisionView {
  return {
    case: caseLink(row.vettingCase),
    kindLabel: DECISION_KIND_LABELS[row.kind],
    decidedBy: row.decidedBy.name,
    decidedAtIso: row.decidedAt.toISOString(),
    decidedAtLabel: formatDateTime(row.decidedAt),
  };
}
