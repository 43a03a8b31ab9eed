// Who may ask for, and follow, the Matrix ID proof. The applicant proves a Matrix ID while their case is
// open (before a decision, not withdrawn or closed, not erased); once proved, asking again is pointless
// until the Matrix ID changes (which clears the mark).

import type { CaseState } from "../domain/caseStates.js";
import { isOpenState } from "../domain/caseStates.js";

export interface MatrixIdProofFacts {
  state: CaseState;
  erasedAt: Date | null;
  matrixId: string | null;
  matrixIdVerifiedAt: Date | null;
  matrixIdVerifiedId: string | null;
}

/** Verified for the Matrix ID the case holds now (a stale mark of another ID never counts). */
export function isMatrixIdVerified(vettingCase: Omit<MatrixIdProofFacts, "state" | "erasedAt">): boolean {
  return (
    vettingCase.matrixId !== null &&
    vettingCase.matrixIdVerifiedAt !== null &&
    vettingCase.matrixIdVerifiedId === vettingCase.matrixId
  );
}

/** Why the applicant may not ask now, or null when they may. */
export function matrixIdProofRefusal(
  vettingCase: MatrixIdProofFacts,
  isFeatureOn: boolean,
): "off" | "no_matrix_id" | "not_open" | "verified" | null {
  if (!isFeatureOn) return "off";
  if (vettingCase.erasedAt || !isOpenState(vettingCase.state)) return "not_open";
  if (!vettingCase.matrixId) return "no_matrix_id";
  if (isMatrixIdVerified(vettingCase)) return "verified";
  return null;
}
