// The applicant followed the link the bot sent to their Matrix ID and pressed the button (POST, with
// CSRF): the Matrix ID is theirs. The link proves it only in the browser signed in to the same
// application, so a link forwarded to (or intercepted by) someone else proves nothing.
//
// One transaction, and every outcome leaves an audit row on the link's case:
//   another applicant's session  refused ("other_applicant"); the link is NOT used up, so its owner can
//                                still follow it
//   used, expired                refused ("used", "expired")
//   Matrix ID changed since      refused ("changed"): the link proves the old one
//   otherwise                    the token is consumed, the case marked (when, and which Matrix ID)
// An unknown token names no case: nothing to audit, the route answers 404.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Database, Transaction } from "../../db.js";
import { isOpenState } from "../../domain/caseStates.js";
import { consumeLinkToken, hashLinkToken, inspectLinkToken, isWellFormedLinkToken } from "../../tokens.js";

export type MatrixIdProofLinkProblem = "unknown" | "expired" | "used" | "other_applicant" | "changed";

export type MatrixIdProofOutcome =
  | { status: "verified"; matrixId: string }
  | { status: "refused"; problem: MatrixIdProofLinkProblem };

/** What the link's GET page may show, read-only: a problem, or null when the button may be offered. */
export async function inspectMatrixIdProofLink(
  db: Database | Transaction,
  options: { token: string; applicantCaseId: string | null },
): Promise<MatrixIdProofLinkProblem | "signed_out" | null> {
  const state = await inspectLinkToken(db, "matrix_id_proof", options.token);
  if (state.status !== "valid") return state.status;
  if (state.subject?.type !== "vetting_case") return "unknown";
  if (options.applicantCaseId === null) return "signed_out";
  if (options.applicantCaseId !== state.subject.id) return "other_applicant";
  return (await proofFor(db, state.id, state.subject.id)) ? null : "changed";
}

export async function confirmMatrixIdProof(
  db: Database,
  options: { token: string; applicantCaseId: string; audit: AuditActor },
): Promise<MatrixIdProofOutcome> {
  return db.$transaction(async (tx) => {
    const inspected = await inspectLinkToken(tx, "matrix_id_proof", options.token);
    if (!isWellFormedLinkToken(options.token)) return { status: "refused", problem: "unknown" };
    const subject = await tx.linkToken.findFirst({
      where: { purpose: "matrix_id_proof", tokenHash: hashLinkToken(options.token) },
      select: { id: true, subjectType: true, subjectId: true },
    });
    const linkCaseId = subject?.subjectType === "vetting_case" ? subject.subjectId : null;
    if (!subject || !linkCaseId) return { status: "refused", problem: "unknown" };
    const refuse = async (problem: MatrixIdProofLinkProblem): Promise<MatrixIdProofOutcome> => {
      await recordAudit(
        tx,
        options.audit,
        "case.matrix_id_proof_refused",
        { type: "vetting_case", id: linkCaseId },
        { reason: problem, linkTokenId: subject.id },
      );
      return { status: "refused", problem };
    };
    if (linkCaseId !== options.applicantCaseId) return refuse("other_applicant");
    if (inspected.status !== "valid") return refuse(inspected.status);
    const consumed = await consumeLinkToken(tx, "matrix_id_proof", options.token);
    // Lost a race with another press of the same button.
    if (consumed.status !== "valid") return refuse(consumed.status);
    const proof = await proofFor(tx, consumed.id, linkCaseId);
    if (!proof) return refuse("changed");
    await tx.vettingCase.update({
      where: { id: linkCaseId },
      data: { matrixIdVerifiedAt: new Date(), matrixIdVerifiedId: proof.matrixId },
      select: { id: true },
    });
    await recordAudit(
      tx,
      options.audit,
      "case.matrix_id_verified",
      { type: "vetting_case", id: linkCaseId },
      { proofRequestId: proof.id },
    );
    return { status: "verified", matrixId: proof.matrixId };
  });
}

/** The request the link was sent for, when the open case still holds the Matrix ID it was sent to. */
async function proofFor(db: Database | Transaction, linkTokenId: string, caseId: string) {
  const proof = await db.matrixIdProofRequest.findFirst({
    where: { linkTokenId, caseId, status: "SENT" },
    select: { id: true, matrixId: true, case: { select: { matrixId: true, state: true, erasedAt: true } } },
  });
  if (!proof || proof.case.erasedAt || !isOpenState(proof.case.state)) return null;
  return proof.case.matrixId === proof.matrixId ? proof : null;
}
