// Who may do what with vetting cases. Roles and states are tested here only; routes call authorize()
// with these answers and templates receive them as `can.*` booleans.
//
// Every active staff member (vetting agent and up) works the queue: views cases, opens one on someone's
// behalf, records vetting, comments, assigns. Deciding needs an admin (inviting admin and up) who has
// neither opened the case nor vetted it (four eyes). Exporting and erasing personal data are admin acts.
import { type CaseState, isDecided } from "../domain/caseStates.js";
import { type Actor, hasRole } from "./staff.js";

export interface CaseFacts {
  state: CaseState;
  createdById: string | null;
  /** Staff who wrote a vetting record for the case. */
  vettingAgentIds: readonly string[];
  erasedAt: Date | null;
}

/** Open: neither decided nor withdrawn, and not erased. */
export function isOpenCase(vettingCase: Pick<CaseFacts, "state" | "erasedAt">): boolean {
  return !vettingCase.erasedAt && !isDecided(vettingCase.state) && vettingCase.state !== "WITHDRAWN";
}

export function canViewCases(actor: Actor): boolean {
  return hasRole(actor, "VETTING_AGENT");
}

export function canOpenCase(actor: Actor): boolean {
  return hasRole(actor, "VETTING_AGENT");
}

export function canRecordVetting(actor: Actor, vettingCase: CaseFacts): boolean {
  return hasRole(actor, "VETTING_AGENT") && isOpenCase(vettingCase);
}

export function canAssignCase(actor: Actor, vettingCase: CaseFacts): boolean {
  return hasRole(actor, "VETTING_AGENT") && isOpenCase(vettingCase);
}

/** A submitted case is taken into review explicitly (or by assigning it, or by a vetting record). */
export function canStartReview(actor: Actor, vettingCase: CaseFacts): boolean {
  return hasRole(actor, "VETTING_AGENT") && !vettingCase.erasedAt && vettingCase.state === "SUBMITTED";
}

export function canComment(actor: Actor, vettingCase: CaseFacts): boolean {
  return hasRole(actor, "VETTING_AGENT") && !vettingCase.erasedAt;
}

/** Sending the person (again) the link to their workspace: for a case still waiting for them. */
export function canInviteApplicant(actor: Actor, vettingCase: CaseFacts): boolean {
  return (
    hasRole(actor, "VETTING_AGENT") &&
    !vettingCase.erasedAt &&
    (vettingCase.state === "DRAFT" || vettingCase.state === "MORE_INFORMATION_REQUESTED")
  );
}

/**
 * Why this person may not decide this case now, or null when they may. Said on the page, so that an
 * admin who vetted the case knows why the decision panel is closed to them.
 */
export function decisionBlocker(actor: Actor, vettingCase: CaseFacts): string | null {
  if (!hasRole(actor, "INVITING_ADMIN")) return "Only admins decide cases.";
  if (vettingCase.erasedAt) return "This case was erased.";
  if (vettingCase.state !== "IN_REVIEW") return "Only a case in review can be decided.";
  if (vettingCase.createdById === actor.id)
    return "You opened this case, so a different admin must decide it (four eyes).";
  if (vettingCase.vettingAgentIds.includes(actor.id))
    return "You wrote a vetting record for this case, so a different admin must decide it (four eyes).";
  return null;
}

export function canDecideCase(actor: Actor, vettingCase: CaseFacts): boolean {
  return decisionBlocker(actor, vettingCase) === null;
}

export function canExportCase(actor: Actor): boolean {
  return hasRole(actor, "INVITING_ADMIN");
}

export function canEraseCase(actor: Actor, vettingCase: CaseFacts): boolean {
  return hasRole(actor, "INVITING_ADMIN") && !vettingCase.erasedAt;
}

/** The applicant edits details (and evidence) only while the case waits for them. */
export function canApplicantEdit(vettingCase: Pick<CaseFacts, "state" | "erasedAt">): boolean {
  return (
    !vettingCase.erasedAt &&
    (vettingCase.state === "DRAFT" || vettingCase.state === "MORE_INFORMATION_REQUESTED")
  );
}

export function canApplicantWithdraw(vettingCase: Pick<CaseFacts, "state" | "erasedAt">): boolean {
  return isOpenCase(vettingCase);
}

/** Deciding cases at all (whether this case may be decided by this person is decisionBlocker's answer). */
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
