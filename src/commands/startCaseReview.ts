// Taking a submitted case into review, explicitly ("Start review" on the case page).
import type { AuditActor } from "../audit.js";
import type { Database } from "../db.js";
import { conflict, notFound } from "../errors.js";
import { canStartReview } from "../policies/cases.js";
import { type Actor, authorize } from "../policies/staff.js";
import { findCaseForCommand } from "../queries/cases.js";
import { ERASED_CASE_MESSAGE } from "./inviteApplicantToCase.js";
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
