// The one way a command changes a case's state, inside its own transaction: ask the state machine
// (domain/caseStates.ts) whether the move is allowed from the state read, then write it with a
// conditional UPDATE on that state, and write the audit row. Two requests racing for the same case
// both read the same state, but only one UPDATE matches; the other gets a conflict for the page.
//
// The caller adds its own changes (timestamps, decision rows, emails) in the same transaction.
import type pg from "pg";
import {
  AUDIT_ROW_COLUMNS,
  type AuditAction,
  type AuditActor,
  auditRowValues,
  recordAudit,
} from "../../audit.js";
import { queryInTransaction } from "../../database/pgPool.js";
import type { Transaction } from "../../db.js";
import {
  CASE_MOVE_REFUSED_MESSAGE,
  type CaseMove,
  type CaseState,
  CaseTransitionError,
  transition,
} from "../../domain/caseStates.js";
import { conflict, notFound } from "../../errors.js";
import type { Prisma } from "../../generated/prisma/client.js";

export const CASE_CHANGED_MESSAGE =
  "Someone else changed this case a moment ago, so your change was not made. Its current state is shown below.";

/** The audit action each move writes. */
export const MOVE_AUDIT_ACTIONS: Record<CaseMove, AuditAction> = {
  submit: "case.submitted",
  startReview: "case.review_started",
  requestMoreInformation: "case.more_information_requested",
  resubmit: "case.resubmitted",
  approve: "case.approved",
  reject: "case.rejected",
  withdraw: "case.withdrawn",
  close: "case.closed",
  reopen: "case.reopened",
  reopenAsDraft: "case.reopened",
};

/**
 * Moves the case from `from` (the state the caller read and decided on) to the move's target.
 * Throws a conflict (409) with a message for the page when the move is not allowed from `from`, or when
 * the case is no longer in `from` (someone else moved it first). Routes show it on the case's page.
 */
export async function moveCase(
  tx: Transaction,
  options: {
    caseId: string;
    from: CaseState;
    move: CaseMove;
    audit: AuditActor;
    /** Other columns to write with the state (submittedAt, decidedAt, …). */
    data?: Prisma.VettingCaseUpdateManyMutationInput;
    /** Extra audit details: ids and flags only, never personal data. */
    details?: Prisma.InputJsonObject;
  },
): Promise<CaseState> {
  const to = allowedTarget(options.from, options.move);
  const { count } = await tx.vettingCase.updateMany({
    where: { id: options.caseId, state: options.from, erasedAt: null },
    data: { ...options.data, state: to },
  });
  if (count !== 1) {
    const exists = await tx.vettingCase.count({ where: { id: options.caseId } });
    if (exists === 0) throw notFound();
    throw conflict(CASE_CHANGED_MESSAGE);
  }
  await recordAudit(
    tx,
    options.audit,
    MOVE_AUDIT_ACTIONS[options.move],
    { type: "vetting_case", id: options.caseId },
    {
      from: options.from,
      to,
      ...options.details,
    },
  );
  return to;
}

// The same move as moveCase, for a command that has nothing else to write: the conditional update and
// its audit row in one statement on the pg pool (its own transaction), and whether the case exists, for
// the answer when nothing matched. $1 the case, $2 the state read, $3 the target, then the audit row.
const MOVE_CASE_SQL = `
  WITH moved AS (
    UPDATE vetting_cases SET state = $3::"CaseState", "updatedAt" = now()
    WHERE id = $1::uuid AND state = $2::"CaseState" AND "erasedAt" IS NULL
    RETURNING id
  ),
  audit AS (
    INSERT INTO audit_events (${AUDIT_ROW_COLUMNS})
    SELECT $4, $5, $6, $7::jsonb, $8::uuid, $9, $10, $11, $12 FROM moved
  )
  SELECT EXISTS (SELECT 1 FROM moved) AS "isMoved",
         EXISTS (SELECT 1 FROM vetting_cases WHERE id = $1::uuid) AS "isFound"`;

/**
 * moveCase in one statement, for commands whose whole change is the move (startCaseReview): the same
 * checks, the same conflict and not-found answers, the same audit row.
 */
export async function moveCaseInOneStatement(
  sqlPool: pg.Pool,
  options: { caseId: string; from: CaseState; move: CaseMove; audit: AuditActor },
): Promise<CaseState> {
  const to = allowedTarget(options.from, options.move);
  const { rows } = await queryInTransaction<{ isMoved: boolean; isFound: boolean }>(sqlPool, {
    name: "move-case",
    text: MOVE_CASE_SQL,
    values: [
      options.caseId,
      options.from,
      to,
      ...auditRowValues(
        options.audit,
        MOVE_AUDIT_ACTIONS[options.move],
        { type: "vetting_case", id: options.caseId },
        { from: options.from, to },
      ),
    ],
  });
  if (rows[0]?.isMoved) return to;
  if (!rows[0]?.isFound) throw notFound();
  throw conflict(CASE_CHANGED_MESSAGE);
}

/** The move's target state; a move the state machine refuses becomes a 409 with its message. */
export function allowedTarget(from: CaseState, move: CaseMove): CaseState {
  try {
    return transition(from, move);
  } catch (error) {
    if (error instanceof CaseTransitionError) {
      throw conflict(CASE_MOVE_REFUSED_MESSAGE, { state: error.from, move: error.move });
    }
    throw error;
  }
}
