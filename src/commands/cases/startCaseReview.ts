// Taking a submitted case into review: explicitly ("Start review" on the case page), or as a side effect
// of someone starting work on it (assigning it, adding a vetting record: takeIntoReviewIfSubmitted).
//
// The explicit one is a read and one statement on the pg pool: the case's facts (queries/sql/caseFacts.ts),
// the policy, then moveCaseInOneStatement (the conditional update with its audit row). Its checks and
// answers are moveCase's. It never needed the facts' read and the move in one transaction: the move is
// conditional on the state that was read, which is what a second click or a colleague's move changes,
// and the facts are read without a lock, as they were inside Prisma's transaction (read committed).
import type pg from "pg";
import type { AuditActor } from "../../audit.js";
import type { Transaction } from "../../db.js";
import { ERASED_CASE_MESSAGE } from "../../domain/caseMessages.js";
import type { CaseState } from "../../domain/caseStates.js";
import { conflict, notFound } from "../../errors.js";
import { canStartReview } from "../../policies/cases.js";
import { type Actor, authorize } from "../../policies/staff.js";
import { findCaseFacts } from "../../queries/sql/caseFacts.js";
import { allowedTarget, moveCase, moveCaseInOneStatement } from "./moveCase.js";

export async function startCaseReview(
  sqlPool: pg.Pool,
  options: { caseId: string; actor: Actor; audit: AuditActor },
): Promise<void> {
  const facts = await findCaseFacts(sqlPool, options.caseId);
  if (!facts) throw notFound();
  if (facts.erasedAt) throw conflict(ERASED_CASE_MESSAGE);
  // A case in another state gets the state machine's message (409), not a bare "forbidden".
  allowedTarget(facts.state, "startReview");
  authorize(canStartReview(options.actor, facts));
  // The conditional update makes a second click, or a colleague's, a conflict, not a second move.
  await moveCaseInOneStatement(sqlPool, {
    caseId: options.caseId,
    from: facts.state,
    move: "startReview",
    audit: options.audit,
  });
}

/**
 * Someone starts working on the case (it is assigned, or vetted): a submitted case moves into review in
 * the caller's transaction. Returns whether it did.
 */
export async function takeIntoReviewIfSubmitted(
  tx: Transaction,
  options: { caseId: string; state: CaseState; audit: AuditActor },
): Promise<boolean> {
  if (options.state !== "SUBMITTED") return false;
  await moveCase(tx, {
    caseId: options.caseId,
    from: "SUBMITTED",
    move: "startReview",
    audit: options.audit,
  });
  return true;
}
