// Who may add, see and delete a case's evidence files. Roles and states are tested here only; routes and
// commands ask these questions and templates receive the answers as `can.*` booleans.
//
//   add       the applicant while their case waits for them (a draft, or more information requested);
//             staff (vetting agent and up) while the case is open
//   see       the applicant: only the files they uploaded themselves (a staff upload may be a referee's
//             confidential letter); staff: every file of a case they may view, unless they have a
//             conflict of interest on it (then none: a download answers 404). Staff also preview inline.
//   delete    before a decision (the case open): its uploader (the applicant while they may edit, a staff
//             member their own upload) or an admin (inviting admin and up)
// An erased case has no files, and none of these answers "yes" for it.
import type { EvidenceUploaderKind } from "../generated/prisma/client.js";
import { type CaseFacts, canApplicantEdit, canViewCases, hasConflictOn, isOpenCase } from "./cases.js";
import { type Actor, hasRole } from "./staff.js";

type CaseStateFacts = Pick<CaseFacts, "state" | "erasedAt">;
/** What the staff answers need: the state, and who has a conflict of interest on the case. */
type StaffCaseFacts = Pick<CaseFacts, "state" | "erasedAt" | "conflictedStaffIds">;

/** Who uploaded a file: what the policies need to know about it. */
export interface EvidenceFileFacts {
  uploaderKind: EvidenceUploaderKind;
  /** The staff member who uploaded it; null for the applicant's uploads. */
  uploadedById: string | null;
}

/**
 * Whether staff may see the file inline (the preview frame). Not a PDF kept with active content
 * (EVIDENCE_PDF_ACTIVE=flag): a viewer inside the portal's pages must never be one that runs it.
 */
export function canPreviewEvidence(file: { activeContent: readonly string[] }): boolean {
  return file.activeContent.length === 0;
}

/** Who is emailed when the virus scanner refuses an upload: the people who run the server. */
export function isAlertedOfMalware(actor: Actor): boolean {
  return hasRole(actor, "SERVER_ADMIN");
}

// --- The applicant (their session names their one case) ---------------------------------------------

export function canApplicantAddEvidence(vettingCase: CaseStateFacts): boolean {
  return canApplicantEdit(vettingCase);
}

export function canApplicantViewEvidence(vettingCase: CaseStateFacts, file: EvidenceFileFacts): boolean {
  return !vettingCase.erasedAt && file.uploaderKind === "APPLICANT";
}

export function canApplicantDeleteEvidence(vettingCase: CaseStateFacts, file: EvidenceFileFacts): boolean {
  return canApplicantEdit(vettingCase) && file.uploaderKind === "APPLICANT";
}

// --- Staff ----------------------------------------------------------------------------------------------

export function canAddEvidence(actor: Actor, vettingCase: StaffCaseFacts): boolean {
  return hasRole(actor, "VETTING_AGENT") && isOpenCase(vettingCase) && !hasConflictOn(actor, vettingCase);
}

/** Seeing the list, downloading and previewing a file. */
export function canViewEvidence(actor: Actor, vettingCase: StaffCaseFacts): boolean {
  return canViewCases(actor) && !vettingCase.erasedAt && !hasConflictOn(actor, vettingCase);
}

export function canDeleteEvidence(
  actor: Actor,
  vettingCase: StaffCaseFacts,
  file: EvidenceFileFacts,
): boolean {
  if (!isOpenCase(vettingCase) || hasConflictOn(actor, vettingCase)) return false;
  if (hasRole(actor, "INVITING_ADMIN")) return true;
  return hasRole(actor, "VETTING_AGENT") && file.uploaderKind === "STAFF" && file.uploadedById === actor.id;
}
