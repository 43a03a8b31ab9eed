// Taking a submitted case into review: explicitly ("Start review" on the case page), or as a side effect
// of someone starting work on it (assigning it, adding a vetting record: takeIntoReviewIfSubmitted).
import type { AuditActor } from "../../audit.js";
import type { Database, Transaction } from "../../db.js";
import { ERASED_CASE_MESSAGE } from "../../domain/caseMessages.js";
import type { CaseState } from "../../domain/caseStates.js";
import { conflict, notFound } from "../../errors.js";
import { canStartReview } from "../../policies/cases.js";
import { type Actor, authorize } from "../../policies/staff.js";
import { findCaseForCommand } from "../../queries/cases.js";
import { allowedTarget, moveCase } from "./moveCase.js";

export async function startCaseReview(
  db: Database,
  options: { caseId: string; actor: Actor; audit: AuditActor },
): Promise<void> {
  await db.$transaction(async (tx) => {
    const vettingCase = await findCaseForCommand(tx, options.caseId);
    if (!vettingCase) throw notFound();
    const facts = vettingCase.facts;
    if (facts.erasedAt) throw conflict(ERASED_CASE_MESSAGE);
    // A case in another state gets the state machine's message (409), not a bare "forbidden".
    allowedTarget(facts.state, "startReview");
    authorize(canStartReview(options.actor, facts));
    // moveCase's conditional update makes a second click, or a colleague's, a conflict, not a second move.
    await moveCase(tx, {
      caseId: options.caseId,
      from: facts.state,
      move: "startReview",
      audit: options.audit,
    });
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
