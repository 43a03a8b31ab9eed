// Hourly limits on the Matrix ID proof's direct messages, counted in Postgres with rate-limiter-flexible
// (table rate_limits, shared by every instance) like the other applicant limits:
//   per case       3 an hour: a person whose client was slow asks again once or twice
//   per Matrix ID  3 an hour: several cases naming one Matrix ID cannot make the bot pester its owner
// Matrix IDs are keyed by a hash, so the table holds none. A request counts whether or not it is sent.
import type pg from "pg";
import { rateLimited } from "../errors.js";
import { accountKey, consume, limiter } from "./signInLimits.js";

const HOUR_SECONDS = 60 * 60;
export const MATRIX_ID_PROOFS_PER_HOUR_PER_CASE = 3;
export const MATRIX_ID_PROOFS_PER_HOUR_PER_MATRIX_ID = 3;

export interface MatrixIdProofLimits {
  /** Counts one request; throws rateLimited (429 with Retry-After; its message is for logs) when over. */
  consume(request: { caseId: string; matrixId: string }): Promise<void>;
}

export function createMatrixIdProofLimits(pool: pg.Pool): MatrixIdProofLimits {
  const byCase = limiter(pool, "matrix_id_proof_case", MATRIX_ID_PROOFS_PER_HOUR_PER_CASE, HOUR_SECONDS, 0);
  const byMatrixId = limiter(
    pool,
    "matrix_id_proof_mxid",
    MATRIX_ID_PROOFS_PER_HOUR_PER_MATRIX_ID,
    HOUR_SECONDS,
    0,
  );
  return {
    async consume({ caseId, matrixId }) {
      const outcomes = await Promise.all([
        consume(byCase, caseId),
        consume(byMatrixId, accountKey(matrixId)),
      ]);
      const waits = outcomes.flatMap((outcome) => (outcome.rejected ? [outcome.seconds] : []));
      if (waits.length === 0) return;
      throw rateLimited(Math.max(...waits), "Too many Matrix ID proof requests in the last hour.");
    },
  };
}
