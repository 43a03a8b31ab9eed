// Vetting cases as the staff pages show them: labels instead of enum names, dates as text, erased cases
// without personal data, and the audit log of a case turned into a readable timeline.
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
import type { Translator } from "../i18n/translator.js";
import type { CasePageRow, CaseTimelineRow } from "../queries/cases.js";
import type { CaseQueueRow } from "../queries/sql/caseQueue.js";
import { urls } from "../urls.js";
import { formatDateTime, isoDateTime } from "./staff.js";

export { CASE_STATE_LABELS };

// Labels are catalog messages (`staff.cases.<kind>.<VALUE>`): staff pages speak English for now, from
// the same catalogs as the applicant side, so translating them later is data.

export const VERIFICATION_METHODS = [
  "IN_PERSON",
  "VIDEO_CALL",
  "TRUSTED_REFERRAL",
] as const satisfies readonly VerificationMethod[];

export const RECOMMENDATIONS = [
  "APPROVE",
  "REJECT",
  "FURTHER_VERIFICATION",
] as const satisfies readonly Recommendation[];

export const CONSENT_KINDS = [
  "SIGNED_PAPER_FORM",
  "VIDEO_CALL",
  "EMAIL",
] as const satisfies readonly ConsentKind[];

export const CLOSURE_KINDS = [
  "SPAM",
  "DUPLICATE",
  "ABANDONED",
  "PERSON_REQUEST",
] as const satisfies readonly ClosureKind[];

const SCORES = [1, 2, 3, 4, 5] as const;

export const methodLabel = (translator: Translator, method: VerificationMethod) =>
  translator.t(`staff.cases.method.${method}`);
export const recommendationLabel = (translator: Translator, recommendation: Recommendation) =>
  translator.t(`staff.cases.recommendation.${recommendation}`);
export const decisionKindLabel = (translator: Translator, kind: DecisionKind) =>
  translator.t(`staff.cases.decisionKind.${kind}`);
export const consentKindLabel = (translator: Translator, kind: ConsentKind) =>
  translator.t(`staff.cases.consentKind.${kind}`);
export const closureKindLabel = (translator: Translator, kind: ClosureKind) =>
  translator.t(`staff.cases.closureKind.${kind}`);
export const stateLabel = (translator: Translator, state: CaseState) => translator.t(`states.${state}`);
const originLabel = (translator: Translator, origin: CaseOrigin) =>
  translator.t(`staff.cases.origin.${origin}`);
const scoreLabel = (translator: Translator, score: number) =>
  translator.has(`staff.cases.score.${score}`) ? translator.t(`staff.cases.score.${score}`) : String(score);

/** An application field by name, as a sentence says it (audit details hold field names only). */
const fieldLabel = (translator: Translator, field: string) =>
  translator.has(`staff.cases.field.${field}`) ? translator.t(`staff.cases.field.${field}`) : field;

/** What each case action means, for the timeline (`staff.cases.timeline.action.<audit action>`). */
const actionLabel = (translator: Translator, action: string) =>
  translator.has(`staff.cases.timeline.action.${action}`)
    ? translator.t(`staff.cases.timeline.action.${action}`)
    : action;

const dateFormat = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeZone: "UTC" });

/** "23 Nov 2026" (dates stored without a time, or a day is all a list needs). */
export function formatDate(value: Date | null | undefined, fallback = "—"): string {
  return value ? dateFormat.format(value) : fallback;
}

/** What a list shows in place of an erased person's name. */
export const erasedName = (translator: Translator) => translator.t("staff.cases.erasedName");

export function presentQueueRow(row: CaseQueueRow, translator: Translator) {
  // A case the viewer has a conflict of interest on: its number, the name and the state, nothing more.
  const isConflicted = row.isConflicted;
  return {
    id: row.id,
    url: urls.staffCase(row.id),
    number: formatCaseNumber(row.number),
    name: row.erasedAt ? erasedName(translator) : row.fullName,
    isErased: Boolean(row.erasedAt),
    isConflicted,
    state: row.state,
    stateLabel: stateLabel(translator, row.state),
    assignee: isConflicted ? null : row.assigneeName,
    submittedAt: isConflicted
      ? { label: "—", iso: null }
      : { label: formatDate(row.submittedAt), iso: isoDateTime(row.submittedAt) },
    isPossibleDuplicate: !isConflicted && row.isPossibleDuplicate,
    latestRecommendation:
      !isConflicted && row.latestRecommendation
        ? recommendationLabel(translator, row.latestRecommendation)
        : null,
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
  translator: Translator,
) {
  return {
    id: row.id,
    number: formatCaseNumber(row.number),
    fullName: row.erasedAt ? null : row.fullName,
    stateLabel: stateLabel(translator, row.state),
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
export function presentCase(row: CasePageRow, translator: Translator) {
  const isErased = Boolean(row.erasedAt);
  // An erased case shows no personal data, whatever placeholders the erasure left in the columns.
  const personal = <T>(value: T): T | null => (isErased ? null : value);
  return {
    id: row.id,
    number: formatCaseNumber(row.number),
    state: row.state,
    stateLabel: stateLabel(translator, row.state),
    isErased,
    erasedAt: formatDateTime(row.erasedAt, ""),
    fullName: personal(row.fullName),
    email: personal(row.email),
    matrixId: personal(row.matrixId),
    phone: personal(row.phone),
    statement: personal(row.statement),
    originLabel: originLabel(translator, row.origin),
    createdBy: row.createdBy?.name ?? null,
    assignedToId: row.assignedToId,
    assignee: row.assignedTo?.name ?? null,
    emailConfirmedAt: formatDateTime(row.emailConfirmedAt, translator.t("staff.cases.details.notConfirmed")),
    privacyConsent: row.privacyConsentAt
      ? row.privacyNoticeLanguage
        ? translator.t("staff.cases.details.privacyAcceptedInLanguage", {
            version: row.privacyNoticeVersion ?? "?",
            language: languageNameIn(translator.language, row.privacyNoticeLanguage),
            acceptedAt: formatDateTime(row.privacyConsentAt),
          })
        : translator.t("staff.cases.details.privacyAccepted", {
            version: row.privacyNoticeVersion ?? "?",
            acceptedAt: formatDateTime(row.privacyConsentAt),
          })
      : translator.t("staff.cases.details.privacyNotAccepted"),
    isPossibleDuplicate: row.isPossibleDuplicate,
    duplicateMatches: duplicateMatchesOf(row.duplicateMatches).map((match) => ({
      caseId: match.caseId,
      url: urls.staffCase(match.caseId),
      number: formatCaseNumber(match.number),
      matchedOn: match.matchedOn.map((field) => fieldLabel(translator, field)).join(", "),
    })),
    createdAt: formatDateTime(row.createdAt),
    submittedAt: formatDateTime(row.submittedAt, translator.t("staff.cases.details.notSubmitted")),
    lastSubmittedAt:
      row.lastSubmittedAt && row.submittedAt && row.lastSubmittedAt > row.submittedAt
        ? formatDateTime(row.lastSubmittedAt)
        : null,
    decidedAt: row.decidedAt ? formatDateTime(row.decidedAt) : null,
    withdrawnAt: row.withdrawnAt ? formatDateTime(row.withdrawnAt) : null,
  };
}

export function presentVettingRecords(row: CasePageRow, translator: Translator) {
  return row.vettingRecords.map((record) => ({
    id: record.id,
    anchor: `vetting-record-${record.id}`,
    agent: record.agent.name,
    createdAt: formatDateTime(record.createdAt),
    identityVerified: translator.t(record.identityVerified ? "staff.cases.yes" : "staff.cases.no"),
    methodLabel: methodLabel(translator, record.method),
    verifiedOn: formatDate(record.verifiedOn),
    place: record.place,
    notes: record.notes,
    score: record.score,
    scoreLabel: scoreLabel(translator, record.score),
    recommendationLabel: recommendationLabel(translator, record.recommendation),
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

export function presentDecisions(row: CasePageRow, translator: Translator) {
  return row.decisions.map((decision) => ({
    id: decision.id,
    anchor: `decision-${decision.id}`,
    kindLabel: decisionKindLabel(translator, decision.kind),
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
  translator: Translator,
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
      link = { href: `#comment-${commentId}`, label: translator.t("staff.cases.timeline.readComment") };
      if (details.isVisibleToApplicant === true) note = translator.t("staff.cases.visibleToApplicant");
    } else if (recordId && names.recordIds.has(recordId)) {
      link = { href: `#vetting-record-${recordId}`, label: translator.t("staff.cases.timeline.seeRecord") };
    } else if (decisionId && names.decisionIds.has(decisionId)) {
      link = { href: `#decision-${decisionId}`, label: translator.t("staff.cases.timeline.seeDecision") };
    } else if (
      evidenceFileId &&
      row.action === "evidence.uploaded" &&
      names.evidenceFileIds?.has(evidenceFileId)
    ) {
      link = { href: `#evidence-${evidenceFileId}`, label: translator.t("staff.cases.timeline.seeFile") };
    }
    const staffName = (id: string | null) =>
      (id && names.staff.get(id)) || translator.t("staff.cases.timeline.formerStaffMember");
    if (row.action === "case.assigned") {
      const assigneeId = idOf("assigneeId");
      note = assigneeId
        ? translator.t("staff.cases.timeline.assignedTo", { name: staffName(assigneeId) })
        : details.isForConflictOfInterest === true
          ? translator.t("staff.cases.timeline.unassignedForConflict")
          : translator.t("staff.cases.timeline.unassigned");
    } else if (row.action === "case.conflict_declared" || row.action === "case.conflict_withdrawn") {
      // Declared by the person themselves, or recorded (or withdrawn) for them by an admin.
      const staffUserId = idOf("staffUserId");
      if (staffUserId && staffUserId !== row.actorId)
        note = translator.t("staff.cases.timeline.forPerson", { name: staffName(staffUserId) });
    } else if (row.action === "import.original_event" && typeof details.originalAction === "string") {
      note = translator.t("staff.cases.timeline.originalAction", { action: details.originalAction });
    } else if (row.action === "case.details_corrected") {
      const correctionId = idOf("correctionId");
      note = (correctionId && names.correctionNotes?.get(correctionId)) || null;
    } else if (row.action === "case.submitted" && typeof details.consentKind === "string") {
      // An agent submitted for the person: how the person consented, and to which notice.
      note = translator.t("staff.cases.timeline.submittedOnBehalf", {
        version: String(details.privacyNoticeVersion ?? "?"),
        kind: details.consentKind,
      });
    } else if (row.action === "case.closed" && typeof details.closureKind === "string") {
      note = translator.t("staff.cases.timeline.closedAs", { kind: details.closureKind });
    } else if (row.action === "case.details_updated" && Array.isArray(details.changedFields)) {
      const fields = details.changedFields.filter((f): f is string => typeof f === "string");
      if (fields.length > 0)
        note = translator.t("staff.cases.timeline.changedFields", {
          fields: fields.map((f) => fieldLabel(translator, f)).join(", "),
        });
    }
    return {
      occurredAt: formatDateTime(row.occurredAt),
      occurredAtIso: isoDateTime(row.occurredAt),
      actor: row.actor?.name ?? actorLabelFor(row.actorLabel, translator),
      actionLabel: actionLabel(translator, row.action),
      note,
      link,
    };
  });
}

function actorLabelFor(label: string, translator: Translator): string {
  if (label === "applicant") return translator.t("staff.cases.theApplicant");
  if (label === "system") return translator.t("staff.cases.timeline.system");
  return label;
}

/**
 * The vetting record form's choices (on the case page and the open-on-behalf page), in the order of
 * their labels, and the latest day it accepts.
 */
export function vettingRecordFormOptions(translator: Translator) {
  return {
    methodOptions: VERIFICATION_METHODS.map((value) => ({ value, label: methodLabel(translator, value) })),
    scoreOptions: SCORES.map((score) => ({ value: String(score), label: scoreLabel(translator, score) })),
    recommendationOptions: recommendationOptions(translator),
    maxVerifiedOn: latestAllowedDay(),
  };
}

/** A state's label for the queue's state filter, in the order of the state machine. */
export function stateOptions(states: readonly CaseState[], translator: Translator) {
  return states.map((state) => ({ value: state, label: stateLabel(translator, state) }));
}

/** The recommendations as choices, in the order of the form. */
export function recommendationOptions(translator: Translator) {
  return RECOMMENDATIONS.map((value) => ({ value, label: recommendationLabel(translator, value) }));
}
