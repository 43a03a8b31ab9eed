// Who may do what with vetting cases. Roles and states are tested here only; routes call authorize()
// with these answers and templates receive them as `can.*` booleans.
//
// Every active staff member (vetting agent and up) works the queue: views cases, opens one on someone's
// behalf, records vetting, comments, assigns. Deciding needs an admin (inviting admin and up).
//
// Four eyes (README "Four eyes"): nobody decides a case they are too close to (they opened it, vetted
// it, uploaded its evidence, share an email, phone or Matrix ID with the applicant, or have a conflict
// of interest on it), and approval needs independent vetting (APPROVAL_MIN_VETTING_RECORDS records by
// others, one of them with the identity verified). A staff member with a conflict of interest on a case
// sees only its number, the person's name and its state: they cannot be assigned it, vet it, see its
// evidence or decide it.
import { type CaseState, canMakeMove, isEditableByApplicant, isOpenState } from "../domain/caseStates.js";
import { englishTranslator, type Translator } from "../i18n/translator.js";
import { type Actor, hasRole } from "./staff.js";

/** Which of the applicant's identifiers a staff member's own matches (compared as duplicates are). */
export type ApplicantIdentifier = "email" | "phone" | "matrixId";

export interface CaseFacts {
  state: CaseState;
  createdById: string | null;
  /** The agent who submitted the application on the person's behalf, if one did. */
  submittedById: string | null;
  /** The case's vetting records: who wrote each, and whether they verified the identity. */
  vettingRecords: readonly { agentId: string; identityVerified: boolean }[];
  /** Staff who uploaded evidence to the case. */
  staffUploaderIds: readonly string[];
  /** Staff with a standing (not withdrawn) conflict of interest on the case. */
  conflictedStaffIds: readonly string[];
  /** Staff whose own email, phone or Matrix ID matches the applicant's, and on which. */
  applicantMatches: readonly { staffUserId: string; matchedOn: readonly ApplicantIdentifier[] }[];
  /** The case's answered references in which the referee vouched for the person. */
  vouchingReferenceIds: readonly string[];
  erasedAt: Date | null;
}

/** The four-eyes settings (config.cases). */
export interface DecisionRules {
  /** Vetting records by others an approval needs (one with the identity verified). */
  approvalMinVettingRecords: number;
  /** Approval also needs an answered reference that vouches for the person (APPROVAL_REQUIRES_REFERENCE). */
  approvalRequiresReference?: boolean;
}

/** Open: neither decided nor withdrawn, and not erased. */
export function isOpenCase(vettingCase: Pick<CaseFacts, "state" | "erasedAt">): boolean {
  return !vettingCase.erasedAt && isOpenState(vettingCase.state);
}

/** A standing conflict of interest: the staff member keeps out of the case. */
export function hasConflictOn(actor: Pick<Actor, "id">, vettingCase: Pick<CaseFacts, "conflictedStaffIds">) {
  return vettingCase.conflictedStaffIds.includes(actor.id);
}

export function canViewCases(actor: Actor): boolean {
  return hasRole(actor, "VETTING_AGENT");
}

export function canOpenCase(actor: Actor): boolean {
  return hasRole(actor, "VETTING_AGENT");
}

/**
 * The case page in full (details, records, comments, evidence, timeline). A staff member with a conflict
 * of interest gets the short page instead: number, name, state and their conflict.
 */
export function canViewCaseDetails(actor: Actor, vettingCase: CaseFacts): boolean {
  return canViewCases(actor) && !hasConflictOn(actor, vettingCase);
}

/** Working on the case at all: staff without a conflict of interest on it. */
function canWorkOn(actor: Actor, vettingCase: CaseFacts): boolean {
  return hasRole(actor, "VETTING_AGENT") && !hasConflictOn(actor, vettingCase);
}

export function canRecordVetting(actor: Actor, vettingCase: CaseFacts): boolean {
  return canWorkOn(actor, vettingCase) && isOpenCase(vettingCase);
}

/**
 * Asking a referee to vouch for the person, from the case page: any staff member working on the case,
 * while it is open. What referees answered is seen by everyone who sees the case in full.
 */
export function canAskReferee(actor: Actor, vettingCase: CaseFacts): boolean {
  return canWorkOn(actor, vettingCase) && isOpenCase(vettingCase);
}

/** The applicant names referees while their case is open (not decided, withdrawn, closed or erased). */
export function canApplicantNameReferees(vettingCase: Pick<CaseFacts, "state" | "erasedAt">): boolean {
  return isOpenCase(vettingCase);
}

export function canAssignCase(actor: Actor, vettingCase: CaseFacts): boolean {
  return canWorkOn(actor, vettingCase) && isOpenCase(vettingCase);
}

/** Whether this person may be given the case: not someone with a conflict of interest on it. */
export function canBeAssignedCase(assignee: Pick<Actor, "id">, vettingCase: CaseFacts): boolean {
  return !hasConflictOn(assignee, vettingCase);
}

/** A submitted case is taken into review explicitly (or by assigning it, or by a vetting record). */
export function canStartReview(actor: Actor, vettingCase: CaseFacts): boolean {
  return canWorkOn(actor, vettingCase) && !vettingCase.erasedAt && vettingCase.state === "SUBMITTED";
}

export function canComment(actor: Actor, vettingCase: CaseFacts): boolean {
  return canWorkOn(actor, vettingCase) && !vettingCase.erasedAt;
}

/**
 * Submitting the application for the person (who consented another way: a signed form, a video call, an
 * email): any staff member working on the case, while it is a draft. Like opening a case for someone,
 * it makes them too close to decide it.
 */
export function canSubmitOnBehalf(actor: Actor, vettingCase: CaseFacts): boolean {
  return canWorkOn(actor, vettingCase) && !vettingCase.erasedAt && canMakeMove(vettingCase.state, "submit");
}

/**
 * Closing a case without a decision (spam, a duplicate, abandoned, the person asked): an admin without a
 * conflict of interest on it, while it is open. Reopening: the same people, while it is closed.
 */
export function canCloseCase(actor: Actor, vettingCase: CaseFacts): boolean {
  return (
    hasRole(actor, "INVITING_ADMIN") &&
    canWorkOn(actor, vettingCase) &&
    !vettingCase.erasedAt &&
    canMakeMove(vettingCase.state, "close")
  );
}

export function canReopenCase(actor: Actor, vettingCase: CaseFacts): boolean {
  return (
    hasRole(actor, "INVITING_ADMIN") &&
    canWorkOn(actor, vettingCase) &&
    !vettingCase.erasedAt &&
    vettingCase.state === "CLOSED"
  );
}

/**
 * Correcting the person's details (name, email, Matrix ID, phone) with a reason: any staff member working
 * on the case, in any state, until it is erased (a typo matters after a decision too).
 */
export function canCorrectCaseDetails(actor: Actor, vettingCase: CaseFacts): boolean {
  return canWorkOn(actor, vettingCase) && !vettingCase.erasedAt;
}

/** The applicant writes to the vetting team while the case is open (not decided, withdrawn or closed). */
export function canApplicantReply(vettingCase: Pick<CaseFacts, "state" | "erasedAt">): boolean {
  return isOpenCase(vettingCase);
}

/** Sending the person (again) the link to their workspace: for a case still waiting for them. */
export function canInviteApplicant(actor: Actor, vettingCase: CaseFacts): boolean {
  return canWorkOn(actor, vettingCase) && !vettingCase.erasedAt && isEditableByApplicant(vettingCase.state);
}

/** Declaring one's own conflict of interest: any staff member, on a case not erased, once. */
export function canDeclareConflict(actor: Actor, vettingCase: CaseFacts): boolean {
  return canViewCases(actor) && !vettingCase.erasedAt && !hasConflictOn(actor, vettingCase);
}

/** Recording a conflict for someone else: an admin who is not conflicted on the case themselves. */
export function canRecordConflictForOthers(actor: Actor, vettingCase: CaseFacts): boolean {
  return hasRole(actor, "INVITING_ADMIN") && !vettingCase.erasedAt && !hasConflictOn(actor, vettingCase);
}

/**
 * Withdrawing a standing conflict: the person who declared their own, or an admin for anyone else. A
 * conflict an admin recorded for someone is not theirs to withdraw.
 */
export function canWithdrawConflict(
  actor: Actor,
  conflict: { staffUserId: string; declaredById: string },
): boolean {
  if (conflict.staffUserId === actor.id) return conflict.declaredById === actor.id;
  return hasRole(actor, "INVITING_ADMIN");
}

/**
 * A reason these rules give, as a catalog message (`staff.cases.decisionBarrier.*`,
 * `staff.cases.approvalBlocker.*`) with its values: the case page says it in the page's language, the
 * commands' refusals in English (sayReasons).
 */
export interface PolicyReason {
  id: string;
  values?: Record<string, number>;
}

/** The reasons as one text, each sentence after the other. */
export function sayReasons(
  reasons: readonly PolicyReason[],
  translator: Translator = englishTranslator(),
): string {
  return reasons.map((reason) => translator.t(reason.id, reason.values)).join(" ");
}

const CLOSENESS_REASONS: Record<ApplicantIdentifier, PolicyReason> = {
  email: { id: "staff.cases.decisionBarrier.sameEmail" },
  phone: { id: "staff.cases.decisionBarrier.samePhone" },
  matrixId: { id: "staff.cases.decisionBarrier.sameMatrixId" },
};

/**
 * Why this person is too close to the case to decide it, every reason (the page lists them all), or
 * an empty list. Said to admins only: whether someone is close to a case is for the deciders to know.
 */
export function reasonsTooCloseToDecide(actor: Actor, vettingCase: CaseFacts): PolicyReason[] {
  const reasons: PolicyReason[] = [];
  const because = (id: string) => reasons.push({ id: `staff.cases.decisionBarrier.${id}` });
  if (hasConflictOn(actor, vettingCase)) because("conflict");
  if (vettingCase.createdById === actor.id) because("opened");
  if (vettingCase.submittedById === actor.id) because("submittedOnBehalf");
  if (vettingCase.vettingRecords.some((record) => record.agentId === actor.id)) because("vetted");
  if (vettingCase.staffUploaderIds.includes(actor.id)) because("uploaded");
  const match = vettingCase.applicantMatches.find((candidate) => candidate.staffUserId === actor.id);
  for (const field of match?.matchedOn ?? []) reasons.push(CLOSENESS_REASONS[field]);
  return reasons;
}

/**
 * The vetting records that count towards an approval by this decider: written by someone other than
 * the decider who is neither conflicted on the case nor shares an identifier with the applicant.
 */
export function independentVettingRecords(actor: Pick<Actor, "id">, vettingCase: CaseFacts) {
  const tooClose = new Set([
    actor.id,
    ...vettingCase.conflictedStaffIds,
    ...vettingCase.applicantMatches.map((match) => match.staffUserId),
  ]);
  return vettingCase.vettingRecords.filter((record) => !tooClose.has(record.agentId));
}

/**
 * Why this decider cannot approve the case yet (independent vetting, and a reference where required),
 * every sentence, or null.
 */
export function approvalBlocker(
  actor: Actor,
  vettingCase: CaseFacts,
  rules: DecisionRules,
): PolicyReason[] | null {
  const blockers = [
    ...vettingBlocker(actor, vettingCase, rules),
    ...(rules.approvalRequiresReference && vettingCase.vouchingReferenceIds.length === 0
      ? [{ id: "staff.cases.approvalBlocker.reference" }]
      : []),
  ];
  return blockers.length > 0 ? blockers : null;
}

/** Why this decider cannot approve the case yet for want of independent vetting (empty: nothing). */
function vettingBlocker(actor: Actor, vettingCase: CaseFacts, rules: DecisionRules): PolicyReason[] {
  const records = independentVettingRecords(actor, vettingCase);
  const needed = rules.approvalMinVettingRecords;
  const hasVerified = records.some((record) => record.identityVerified);
  if (records.length >= needed && hasVerified) return [];
  const excluded = vettingCase.vettingRecords.length - records.length;
  const notCounted =
    excluded > 0 ? [{ id: "staff.cases.approvalBlocker.notCounted", values: { excluded } }] : [];
  if (needed === 1 || (records.length >= needed && !hasVerified))
    return [{ id: "staff.cases.approvalBlocker.oneRecord" }, ...notCounted];
  return [
    { id: "staff.cases.approvalBlocker.records", values: { needed, count: records.length } },
    ...notCounted,
  ];
}

export interface DecisionAssessment {
  /** Why this person may not decide the case at all now, each said on the page; empty when they may. */
  barriers: PolicyReason[];
  /** Why approving is not open yet (rejecting and asking for more information stay open), or null. */
  approvalBlocker: PolicyReason[] | null;
}

/** Everything the decision panel says, and what decideCase checks. */
export function assessDecision(
  actor: Actor,
  vettingCase: CaseFacts,
  rules: DecisionRules,
): DecisionAssessment {
  if (!hasRole(actor, "INVITING_ADMIN"))
    return { barriers: [{ id: "staff.cases.decisionBarrier.onlyAdmins" }], approvalBlocker: null };
  if (vettingCase.erasedAt)
    return { barriers: [{ id: "staff.cases.decisionBarrier.erased" }], approvalBlocker: null };
  if (vettingCase.state !== "IN_REVIEW")
    return { barriers: [{ id: "staff.cases.decisionBarrier.notInReview" }], approvalBlocker: null };
  const tooClose = reasonsTooCloseToDecide(actor, vettingCase);
  if (tooClose.length > 0) {
    return {
      barriers: [...tooClose, { id: "staff.cases.decisionBarrier.differentAdmin" }],
      approvalBlocker: null,
    };
  }
  return { barriers: [], approvalBlocker: approvalBlocker(actor, vettingCase, rules) };
}

/** Why this person may not make this decision now (every reason in one sentence), or null. */
export function decisionBlocker(
  actor: Actor,
  vettingCase: CaseFacts,
  decision: "approve" | "reject" | "request_more_information",
  rules: DecisionRules,
): string | null {
  const assessment = assessDecision(actor, vettingCase, rules);
  if (assessment.barriers.length > 0) return sayReasons(assessment.barriers);
  return decision === "approve" && assessment.approvalBlocker ? sayReasons(assessment.approvalBlocker) : null;
}

export function canExportCase(actor: Actor, vettingCase: CaseFacts): boolean {
  return hasRole(actor, "INVITING_ADMIN") && !hasConflictOn(actor, vettingCase);
}

export function canEraseCase(actor: Actor, vettingCase: CaseFacts): boolean {
  return hasRole(actor, "INVITING_ADMIN") && !vettingCase.erasedAt && !hasConflictOn(actor, vettingCase);
}

/** The applicant edits details (and evidence) only while the case waits for them. */
export function canApplicantEdit(vettingCase: Pick<CaseFacts, "state" | "erasedAt">): boolean {
  return !vettingCase.erasedAt && isEditableByApplicant(vettingCase.state);
}

export function canApplicantWithdraw(vettingCase: Pick<CaseFacts, "state" | "erasedAt">): boolean {
  return isOpenCase(vettingCase);
}

/** Deciding cases at all (whether this person may decide this case is assessDecision's answer). */
export function canDecideCases(actor: Actor): boolean {
  return hasRole(actor, "INVITING_ADMIN");
}

/** The admin dashboard: counts by state, cases waiting longest for a decision, recent decisions. */
export function canViewCaseOverview(actor: Actor): boolean {
  return hasRole(actor, "INVITING_ADMIN");
}

/** Erasing personal data at all (canEraseCase adds: not erased already). Decides 403 before 404. */
export function canEraseCases(actor: Actor): boolean {
  return hasRole(actor, "INVITING_ADMIN");
}

/** The statistics page (throughput, time to decision, workload per person): the admins who decide. */
export function canViewStatistics(actor: Actor): boolean {
  return hasRole(actor, "INVITING_ADMIN");
}

/** Closing cases at all (canCloseCase adds the case's state): what the queue's "close as spam" needs. */
export function canCloseCases(actor: Actor): boolean {
  return hasRole(actor, "INVITING_ADMIN");
}
