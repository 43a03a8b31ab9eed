// The applicant asks the portal's Matrix bot to prove their Matrix ID. One transaction: the request row
// (the Matrix ID as the case holds it now), its audit row, and the send_matrix_id_proof job that opens
// (or reuses) a direct room and sends the link (jobs/sendMatrixIdProof.ts). The link itself is minted by
// the job, at delivery: its 30 minutes start when the message leaves.
//
// A request still waiting for the worker for the same Matrix ID is the answer to a second press: no new
// row, no second job. The route counts the hourly limits before calling this.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Config } from "../../config.js";
import type { Database } from "../../db.js";
import { enqueueJob } from "../../jobs/queue.js";
import { matrixIdProofRefusal } from "../../policies/matrixIdProof.js";

/** How many times the job tries a homeserver that does not answer before it records the failure. */
export const MATRIX_ID_PROOF_ATTEMPTS = 5;

export type MatrixIdProofRefusal = NonNullable<ReturnType<typeof matrixIdProofRefusal>>;

/** The case's state refuses the request; `reason` names why (the route says it in the page's language). */
export class MatrixIdProofNotAllowedError extends Error {
  override readonly name = "MatrixIdProofNotAllowedError";
  constructor(readonly reason: MatrixIdProofRefusal) {
    super(`A Matrix ID proof cannot be requested now (${reason})`);
  }
}

export async function requestMatrixIdProof(
  db: Database,
  options: { config: Pick<Config, "matrixBot">; caseId: string; audit: AuditActor },
): Promise<{ requestId: string; isNew: boolean }> {
  return db.$transaction(async (tx) => {
    // Under the case's row lock: a concurrent edit of the Matrix ID waits for this request, or it waits.
    const [vettingCase] = await tx.$queryRaw<
      {
        state: string;
        erasedAt: Date | null;
        matrixId: string | null;
        matrixIdVerifiedAt: Date | null;
        matrixIdVerifiedId: string | null;
      }[]
    >`SELECT state::text AS state, "erasedAt", "matrixId", "matrixIdVerifiedAt", "matrixIdVerifiedId"
        FROM vetting_cases WHERE id = ${options.caseId}::uuid FOR UPDATE`;
    if (!vettingCase) throw new MatrixIdProofNotAllowedError("not_open");
    const refusal = matrixIdProofRefusal(
      { ...vettingCase, state: vettingCase.state as never },
      options.config.matrixBot !== null,
    );
    if (refusal) throw new MatrixIdProofNotAllowedError(refusal);
    const matrixId = vettingCase.matrixId as string;
    const waiting = await tx.matrixIdProofRequest.findFirst({
      where: { caseId: options.caseId, matrixId, status: "QUEUED" },
      select: { id: true },
    });
    if (waiting) return { requestId: waiting.id, isNew: false };
    const request = await tx.matrixIdProofRequest.create({
      data: { caseId: options.caseId, matrixId },
      select: { id: true },
    });
    await recordAudit(
      tx,
      options.audit,
      "case.matrix_id_proof_requested",
      { type: "vetting_case", id: options.caseId },
      { proofRequestId: request.id },
    );
    await enqueueJob(
      tx,
      "send_matrix_id_proof",
      { proofRequestId: request.id },
      { jobKey: `matrix_id_proof:${request.id}`, maxAttempts: MATRIX_ID_PROOF_ATTEMPTS },
    );
    return { requestId: request.id, isNew: true };
  });
}
