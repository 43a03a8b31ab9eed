// Vetting cases as the staff pages show them: labels instead of enum names, dates as text, erased cases
// without personal data, and the audit log of a case turned into a readable timeline.
import type { AuditAction } from "../audit.js";
import { formatCaseNumber } from "../domain/caseNumber.js";
import { CASE_STATE_LABELS, type CaseState } from "../domain/caseStates.js";
import { latestAllowedDay } from "../domain/vettingRecords.js";
import type {
  CaseOrigin,
  ClosureKind,
  ConsentKind,
  DecisionKind,
  Prisma,
  Recommendation,
  VerificationMethod,
} from "../generated/prisma/client.js";
import { languageNameIn } from "../i18n/languages.js";
import type { CasePageRow, CaseTimelineRow } from "../queries/cases.js";
import type { CaseQueueRow } from "../queries/sql/caseQueue.js";
import { urls } from "../urls.js";
import { formatDateTime, isoDateTime } from "./staff.js";

export { CASE_STATE_LABELS };

export const VERIFICATION_METHOD_LABELS: Record<VerificationMethod, string> = {
  IN_PERSON: "In person",
  VIDEO_CALL: "Video call",
  TRUSTED_REFERRAL: "Trusted referral",
};

export const RECOMMENDATION_LABELS: Record<Recommendation, string> = {
  APPROVE: "Approve",
  REJECT: "Reject",
  FURTHER_VERIFICATION: "Further verification needed",
};

export const DECISION_KIND_LABELS: Record<DecisionKind, string> = {
  APPROVE: "Approved",
  REJECT: "Rejected",
  REQUEST_MORE_INFORMATION: "More information requested",
};

export const ORIGIN_LABELS: Record<CaseOrigin, string> = {
  APPLICANT: "Applied through the form",
  STAFF: "Opened by staff on the person’s behalf",
};

export const SCORE_LABELS: Record<number, string> = {
  1: "1 — very doubtful",
  2: "2 — doubtful",
  3: "3 — unsure",
  4: "4 — confident",
  5: "5 — very confident",
};

/** The application's fields by name, as a sentence says them (audit details hold field names only). */
const FIELD_LABELS: Record<string, string> = {
  fullName: "full name",
  email: "email address",
  matrixId: "Matrix ID",
  phone: "phone number",
  statement: "statement",
};

/** Which language's text of the notice a consent was to; nothing for consents from before it was recorded. */
function noticeLanguageNote(language: string | null): string {
  return language ? ` (${languageNameIn("en", language)} text)` : "";
}

/** How the person consented to the privacy notice when an agent submitted for them. */
export const CONSENT_KIND_LABELS: Record<ConsentKind, string> = {
  SIGNED_PAPER_FORM: "Signed a paper form",
  VIDEO_CALL: "Said so on a video call",
  EMAIL: "Wrote so by email",
};

/** Why an admin closed a case without a decision. */
export const CLOSURE_KIND_LABELS: Record<ClosureKind, string> = {
  SPAM: "Spam",
  DUPLICATE: "A duplicate of another case",
  ABANDONED: "Abandoned",
  PERSON_REQUEST: "At the person’s request",
};

/** What each case action means, for the timeline. */
export const CASE_ACTION_LABELS: Partial<Record<AuditAction, string>> = {
  "case.created": "Applied through the form",
  "case.opened_by_staff": "Opened the case on the person’s behalf",
  "case.email_confirmed": "Confirmed the email address",
  "case.applicant_signed_in": "Signed in by an emailed link",
  "case.details_updated": "Changed the details",
  "case.language_changed": "Changed the language of their pages and emails",
  "case.submitted": "Submitted the application",
  "case.review_started": "Started the review",
  "case.assigned": "Changed the assignment",
  "case.vetting_recorded": "Added a vetting record",
  "case.comment_added": "Added a comment",
  "case.more_information_requested": "Asked for more information",
  "case.resubmitted": "Resubmitted the application",
  "case.approved": "Approved the case",
  "case.rejected": "Rejected the case",
  "case.withdrawn": "Withdrew the application",
  "case.invitation_sent": "Sent the person a link to their application",
  "case.reference_requested": "Asked a referee to vouch for the person",
  "case.reference_answered": "A referee answered",
  "case.reference_request_sent": "The bot’s message to a referee was sent",
  "case.reference_request_failed": "The homeserver refused the bot’s message to a referee",
  "case.closed": "Closed the case without a decision",
  "case.reopened": "Reopened the case",
  "case.applicant_replied": "Replied to the vetting team",
  "case.details_corrected": "Corrected the person’s details",
  "case.email_change_confirmed": "Confirmed the new email address",
  "case.duplicate_flagged": "Flagged as a possible duplicate",
  "case.matrix_id_proof_requested": "Asked for a Matrix message proving the Matrix ID",
  "case.matrix_id_proof_sent": "The Matrix message proving the Matrix ID was sent",
  "case.matrix_id_proof_failed": "The homeserver refused the Matrix message proving the Matrix ID",
  "case.matrix_id_verified": "Proved the Matrix ID",
  "case.matrix_id_proof_refused": "A Matrix ID proof link was refused",
  "case.matrix_id_verification_cleared": "The Matrix ID changed: no longer verified",
  "case.conflict_declared": "Declared a conflict of interest",
  "case.conflict_withdrawn": "Withdrew a conflict of interest",
  "case.exported": "Exported the case",
  "case.erased": "Erased the personal data",
  "case.purged": "Purged the personal data (retention period over)",
  "evidence.uploaded": "Added an evidence file",
  "evidence.deleted": "Deleted an evidence file",
  "evidence.integrity_failed": "An evidence file failed its integrity check and was not sent",
  "import.case_imported": "Moved in from the original system",
  "import.original_event": "Recorded in the original system",
  "import.evidence_imported": "Evidence file moved in from the original system",
  "import.matrix_token_imported": "Registration token moved in from the original system",
  "evidence.malware_refused": "An upload was refused: the virus scanner found malware in it",
};

const dateFormat = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeZone: "UTC" });

/** "23 Nov 2026" (dates stored without a time, or a day is all a list needs). */
export function formatDate(value: Date | null | undefined, fallback = "—"): string {
  return value ? dateFormat.format(value) : fallback;
}

/** What a list shows in place of an erased person's name. */
export const ERASED_NAME = "Personal data erased";

export function presentQueueRow(row: CaseQueueRow) {
  // A case the viewer has a conflict of interest on: its number, the name and the state, nothing more.
  const isConflicted = row.isConflicted;
  return {
    id: row.id,
    url: urls.staffCase(row.id),
    number: formatCaseNumber(row.number),
    name: row.erasedAt ? ERASED_NAME : row.fullName,
    isErased: Boolean(row.erasedAt),
    isConflicted,
    state: row.state,
    stateLabel: CASE_STATE_LABELS[row.state],
    assignee: isConflicted ? null : row.assigneeName,
    submittedAt: isConflicted
      ? { label: "—", iso: null }
      : { label: formatDate(row.submittedAt), iso: isoDateTime(row.submittedAt) },
    isPossibleDuplicate: !isConflicted && row.isPossibleDuplicate,
    latestRecommendation:
      !isConflicted && row.latestRecommendation ? RECOMMENDATION_LABELS[row.latestRecommendation] : null,
    latestScore: isConflicted ? null : row.latestScore,
  };
}

/**
 * The standing conflicts of interest on a case, for the case page: who, why, who recorded it (when it
 * was not the person themselves) and when. Withdrawn ones are in the timeline only.
 */
export function presentConflicts(row: Pick<CasePageRow, "conflicts" | "erasedAt">, viewer: { id: string }) {
  return row.conflicts
    .filter((standing) => standing.withdrawnAt === null)
    .map((standing) => ({
      id: standing.id,
      staffUserId: standing.staffUserId,
      declaredById: standing.declaredById,
      anchor: `conflict-${standing.id}`,
      staffName: standing.staffUser.name,
      isYours: standing.staffUserId === viewer.id,
      // Erasure blanks the reason (it may say how the two know each other).
      reason: row.erasedAt ? null : standing.reason || null,
      recordedBy: standing.declaredById === standing.staffUserId ? null : standing.declaredBy.name,
      declaredAt: formatDateTime(standing.declaredAt),
    }));
}

/**
 * A case's number, the person's name (none once erased) and its state: all that a staff member with a
 * conflict of interest sees of the case, and the heading of the pages about one case (its evidence, its
 * erasure).
 */
export function presentCaseHeading(
  row: Pick<CasePageRow, "id" | "number" | "fullName" | "erasedAt" | "state">,
) {
  return {
    id: row.id,
    number: formatCaseNumber(row.number),
    fullName: row.erasedAt ? null : row.fullName,
    stateLabel: CASE_STATE_LABELS[row.state],
    state: row.state,
  };
}

interface DuplicateMatch {
  caseId: string;
  number: number;
  matchedOn: string[];
}

/** duplicateMatches as written by flagPossibleDuplicates; anything else in the column is skipped. */
function duplicateMatchesOf(value: Prisma.JsonValue): DuplicateMatch[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item) => {
    if (!item || typeof item !== "object" || Array.isArray(item)) return [];
    const { caseId, number, matchedOn } = item as Record<string, unknown>;
    if (typeof caseId !== "string" || typeof number !== "number") return [];
    return [
      {
        caseId,
        number,
        matchedOn: Array.isArray(matchedOn)
          ? matchedOn.filter((f): f is string => typeof f === "string")
          : [],
      },
    ];
  });
}

/** The case page's view of the case itself (the `caseView` of detail.njk and its panels). */
export function presentCase(row: CasePageRow) {
  const isErased = Boolean(row.erasedAt);
  // An erased case shows no personal data, whatever placeholders the erasure left in the columns.
  const personal = <T>(value: T): T | null => (isErased ? null : value);
  return {
    id: row.id,
    number: formatCaseNumber(row.number),
    state: row.state,
    stateLabel: CASE_STATE_LABELS[row.state],
    isErased,
    erasedAt: formatDateTime(row.erasedAt, ""),
    fullName: personal(row.fullName),
    email: personal(row.email),
    matrixId: personal(row.matrixId),
    phone: personal(row.phone),
    statement: personal(row.statement),
    originLabel: ORIGIN_LABELS[row.origin],
    createdBy: row.createdBy?.name ?? null,
    assignedToId: row.assignedToId,
    assignee: row.assignedTo?.name ?? null,
    emailConfirmedAt: formatDateTime(row.emailConfirmedAt, "Not yet confirmed"),
    privacyConsent: row.privacyConsentAt
      ? `Version ${row.privacyNoticeVersion ?? "?"}${noticeLanguageNote(row.privacyNoticeLanguage)}, accepted ${formatDateTime(row.privacyConsentAt)}`
      : "Not yet accepted",
    isPossibleDuplicate: row.isPossibleDuplicate,
    duplicateMatches: duplicateMatchesOf(row.duplicateMatches).map((match) => ({
      caseId: match.caseId,
      url: urls.staffCase(match.caseId),
      number: formatCaseNumber(match.number),
      matchedOn: match.matchedOn.map((field) => FIELD_LABELS[field] ?? field).join(", "),
    })),
    createdAt: formatDateTime(row.createdAt),
    submittedAt: formatDateTime(row.submittedAt, "Not yet submitted"),
    lastSubmittedAt:
      row.lastSubmittedAt && row.submittedAt && row.lastSubmittedAt > row.submittedAt
        ? formatDateTime(row.lastSubmittedAt)
        : null,
    decidedAt: row.decidedAt ? formatDateTime(row.decidedAt) : null,
    withdrawnAt: row.withdrawnAt ? formatDateTime(row.withdrawnAt) : null,
  };
}

export function presentVettingRecords(row: CasePageRow) {
  return row.vettingRecords.map((record) => ({
    id: record.id,
    anchor: `vetting-record-${record.id}`,
    agent: record.agent.name,
    createdAt: formatDateTime(record.createdAt),
    identityVerified: record.identityVerified ? "Yes" : "No",
    methodLabel: VERIFICATION_METHOD_LABELS[record.method],
    verifiedOn: formatDate(record.verifiedOn),
    place: record.place,
    notes: record.notes,
    score: record.score,
    scoreLabel: SCORE_LABELS[record.score] ?? String(record.score),
    recommendationLabel: RECOMMENDATION_LABELS[record.recommendation],
  }));
}

export function presentComments(row: CasePageRow) {
  return row.comments.map((comment) => ({
    id: comment.id,
    anchor: `comment-${comment.id}`,
    author: comment.author.name,
    createdAt: formatDateTime(comment.createdAt),
    createdAtIso: isoDateTime(comment.createdAt),
    body: comment.body,
    isVisibleToApplicant: comment.isVisibleToApplicant,
  }));
}

export function presentDecisions(row: CasePageRow) {
  return row.decisions.map((decision) => ({
    id: decision.id,
    anchor: `decision-${decision.id}`,
    kindLabel: DECISION_KIND_LABELS[decision.kind],
    decidedBy: decision.decidedBy.name,
    decidedAt: formatDateTime(decision.decidedAt),
    reason: decision.reason,
    isReasonShown:
      decision.kind === "REQUEST_MORE_INFORMATION" ||
      (decision.kind === "REJECT" && decision.isReasonSharedWithApplicant),
  }));
}

/** The ids an audit row's details carry, read defensively (details are free-form JSON). */
function detailsOf(row: CaseTimelineRow): Record<string, unknown> {
  return row.details && typeof row.details === "object" && !Array.isArray(row.details)
    ? (row.details as Record<string, unknown>)
    : {};
}

/** Staff ids a timeline mentions in its details (for looking up their names). */
export function staffIdsInTimeline(rows: readonly CaseTimelineRow[]): string[] {
  return rows.flatMap((row) => {
    const details = detailsOf(row);
    return [details.assigneeId, details.previousAssigneeId, details.staffUserId].filter(
      (id): id is string => typeof id === "string",
    );
  });
}

/**
 * Audit rows → timeline entries. Details hold ids only; the entry links to the comment, vetting record
 * or decision on the same page where it names one, and says who an assignment went to.
 */
export function presentTimeline(
  rows: readonly CaseTimelineRow[],
  names: {
    staff: Map<string, string>;
    commentIds: Set<string>;
    recordIds: Set<string>;
    decisionIds: Set<string>;
    /** Evidence files still on the case (a deleted one has nothing to link to). */
    evidenceFileIds?: Set<string>;
    /** What each staff correction of the details changed, before and after, by correction id. */
    correctionNotes?: Map<string, string>;
  },
) {
  return rows.map((row) => {
    const details = detailsOf(row);
    const idOf = (key: string) => (typeof details[key] === "string" ? (details[key] as string) : null);
    let note: string | null = null;
    let link: { href: string; label: string } | null = null;
    const commentId = idOf("commentId");
    const recordId = idOf("vettingRecordId");
    const decisionId = idOf("decisionId");
    const evidenceFileId = idOf("evidenceFileId");
    if (commentId && names.commentIds.has(commentId)) {
      link = { href: `#comment-${commentId}`, label: "Read the comment" };
      if (details.isVisibleToApplicant === true) note = "Visible to the applicant";
    } else if (recordId && names.recordIds.has(recordId)) {
      link = { href: `#vetting-record-${recordId}`, label: "See the vetting record" };
    } else if (decisionId && names.decisionIds.has(decisionId)) {
      link = { href: `#decision-${decisionId}`, label: "See the decision" };
    } else if (
      evidenceFileId &&
      row.action === "evidence.uploaded" &&
      names.evidenceFileIds?.has(evidenceFileId)
    ) {
      link = { href: `#evidence-${evidenceFileId}`, label: "See the file" };
    }
    const staffName = (id: string | null) => (id && names.staff.get(id)) || "a former staff member";
    if (row.action === "case.assigned") {
      const assigneeId = idOf("assigneeId");
      note = assigneeId
        ? `Assigned to ${staffName(assigneeId)}`
        : details.isForConflictOfInterest === true
          ? "Assignment removed: the assignee has a conflict of interest"
          : "Assignment removed";
    } else if (row.action === "case.conflict_declared" || row.action === "case.conflict_withdrawn") {
      // Declared by the person themselves, or recorded (or withdrawn) for them by an admin.
      const staffUserId = idOf("staffUserId");
      if (staffUserId && staffUserId !== row.actorId) note = `For ${staffName(staffUserId)}`;
    } else if (row.action === "import.original_event" && typeof details.originalAction === "string") {
      note = `Original action: ${details.originalAction}`;
    } else if (row.action === "case.details_corrected") {
      const correctionId = idOf("correctionId");
      note = (correctionId && names.correctionNotes?.get(correctionId)) || null;
    } else if (row.action === "case.submitted" && typeof details.consentKind === "string") {
      // An agent submitted for the person: how the person consented, and to which notice.
      const kind = CONSENT_KIND_LABELS[details.consentKind as ConsentKind] ?? details.consentKind;
      note = `On the person’s behalf; consent to privacy notice ${String(details.privacyNoticeVersion ?? "?")}: ${kind.toLowerCase()}`;
    } else if (row.action === "case.closed" && typeof details.closureKind === "string") {
      note = `As ${(CLOSURE_KIND_LABELS[details.closureKind as ClosureKind] ?? details.closureKind).toLowerCase()}`;
    } else if (row.action === "case.details_updated" && Array.isArray(details.changedFields)) {
      const fields = details.changedFields.filter((f): f is string => typeof f === "string");
      if (fields.length > 0) note = `Changed: ${fields.map((f) => FIELD_LABELS[f] ?? f).join(", ")}`;
    }
    return {
      occurredAt: formatDateTime(row.occurredAt),
      occurredAtIso: isoDateTime(row.occurredAt),
      actor: row.actor?.name ?? actorLabelFor(row.actorLabel),
      actionLabel: CASE_ACTION_LABELS[row.action as AuditAction] ?? row.action,
      note,
      link,
    };
  });
}

function actorLabelFor(label: string): string {
  if (label === "applicant") return "The applicant";
  if (label === "system") return "The portal (scheduled)";
  return label;
}

/**
 * The vetting record form's choices (on the case page and the open-on-behalf page), in the order of
 * their labels, and the latest day it accepts.
 */
export function vettingRecordFormOptions() {
  return {
    methodOptions: Object.entries(VERIFICATION_METHOD_LABELS).map(([value, label]) => ({ value, label })),
    scoreOptions: [1, 2, 3, 4, 5].map((score) => ({ value: String(score), label: SCORE_LABELS[score] })),
    recommendationOptions: Object.entries(RECOMMENDATION_LABELS).map(([value, label]) => ({ value, label })),
    maxVerifiedOn: latestAllowedDay(),
  };
}

/** A state's label for the queue's state filter, in the order of the state machine. */
export function stateOptions(states: readonly CaseState[]) {
  return states.map((state) => ({ value: state, label: CASE_STATE_LABELS[state] }));
}
