// The Matrix ID of a case changed (the applicant's edit, a staff correction): whatever was proved was
// about the old one. In the caller's transaction: the mark goes, links already sent for the old ID stop
// working (unused tokens deleted), requests still waiting are dropped, and, when there was a mark, an
// audit row says it was cleared. Erasure calls this too (eraseMatrixIdProofs), with the requests deleted.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Transaction } from "../../db.js";

export async function clearMatrixIdVerification(
  tx: Transaction,
  options: { caseId: string; audit: AuditActor },
): Promise<{ wasVerified: boolean }> {
  const cleared = await tx.vettingCase.updateManyAndReturn({
    where: { id: options.caseId, matrixIdVerifiedAt: { not: null } },
    data: { matrixIdVerifiedAt: null, matrixIdVerifiedId: null },
    select: { id: true },
  });
  await voidOpenProofs(tx, options.caseId);
  const wasVerified = cleared.length > 0;
  if (wasVerified) {
    await recordAudit(
      tx,
      options.audit,
      "case.matrix_id_verification_cleared",
      { type: "vetting_case", id: options.caseId },
      { reason: "matrix_id_changed" },
    );
  }
  return { wasVerified };
}

/** Erasure: the mark, the requests (they hold the Matrix ID) and their unused links, all gone. */
export async function eraseMatrixIdProofs(tx: Transaction, caseId: string): Promise<void> {
  await tx.vettingCase.update({
    where: { id: caseId },
    data: { matrixIdVerifiedAt: null, matrixIdVerifiedId: null },
    select: { id: true },
  });
  await voidOpenProofs(tx, caseId);
  await tx.matrixIdProofRequest.deleteMany({ where: { caseId } });
}

async function voidOpenProofs(tx: Transaction, caseId: string): Promise<void> {
  await tx.linkToken.deleteMany({
    where: { purpose: "matrix_id_proof", subjectType: "vetting_case", subjectId: caseId, usedAt: null },
  });
  // A job still queued finds its request gone and sends nothing.
  await tx.matrixIdProofRequest.deleteMany({ where: { caseId, status: "QUEUED" } });
}
