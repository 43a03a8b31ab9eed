// Closing a case without a decision, and reopening it. An admin closes an open case as spam, as a
// duplicate of another (named) case, as abandoned, or at the person's request, always with a reason; the
// case leaves the queue's open tabs and keeps everything it had (records, comments, evidence, timeline).
// An admin can reopen it: it goes back to SUBMITTED if it had ever been submitted, else to DRAFT.
//
// Each is one transaction under the case's lock: the closure row (kind, reason, the duplicated case),
// the move through moveCase with its audit row (ids and the kind only: the reason is staff's words and
// lives in case_closures, which erasure blanks), and closedAt. Nobody is emailed: a spam or duplicate
// application's address may not be the person's, and a reopened case is worked on as before.
import type { AuditActor } from "../../audit.js";
import type { Database, Transaction } from "../../db.js";
import { ERASED_CASE_MESSAGE } from "../../domain/caseMessages.js";
import { conflict } from "../../errors.js";
import type { ClosureKind } from "../../generated/prisma/client.js";
import { type CaseFacts, canCloseCase, canReopenCase, hasConflictOn } from "../../policies/cases.js";
import { type Actor, authorize, hasRole } from "../../policies/staff.js";
import { lockCaseForCommand } from "../../queries/cases.js";
import { allowedTarget, moveCase } from "./moveCase.js";

export const ONLY_ADMINS_CLOSE_MESSAGE = "Only admins close and reopen cases.";
export const NO_SUCH_ORIGINAL_MESSAGE = "There is no case with that number to name as the original.";
export const NOT_ITS_OWN_DUPLICATE_MESSAGE = "A case cannot be a duplicate of itself.";

export interface TCloseCaseOptions {
  caseId: string;
  actor: Actor;
  kind: ClosureKind;
  /** The case this one duplicates, by its number (kind DUPLICATE only). */
  duplicateOfNumber: number | null;
  reason: string;
  audit: AuditActor;
  now?: Date;
}

export async function closeCase(db: Database, options: TCloseCaseOptions): Promise<{ closureId: string }> {
  return db.$transaction(async (tx) => {
    const { facts } = await lockCaseForCommand(tx, options.caseId, ERASED_CASE_MESSAGE);
    return closeLockedCase(tx, { ...options, facts });
  });
}

/**
 * The closing itself, inside the caller's transaction, on a case the caller has locked
 * (lockCaseForCommand): shared with the queue's bulk closing, which locks many cases in one.
 */
export async function closeLockedCase(
  tx: Transaction,
  options: TCloseCaseOptions & { facts: CaseFacts },
): Promise<{ closureId: string }> {
  const now = options.now ?? new Date();
  const { facts } = options;
  authorize(hasRole(options.actor, "INVITING_ADMIN"), ONLY_ADMINS_CLOSE_MESSAGE);
  authorize(!hasConflictOn(options.actor, facts), "You have a conflict of interest on this case.");
  allowedTarget(facts.state, "close");
  authorize(canCloseCase(options.actor, facts));
  let duplicateOfCaseId: string | null = null;
  if (options.kind === "DUPLICATE") {
    const original = options.duplicateOfNumber
      ? await tx.vettingCase.findUnique({
          where: { number: options.duplicateOfNumber },
          select: { id: true },
        })
      : null;
    if (!original) throw conflict(NO_SUCH_ORIGINAL_MESSAGE);
    if (original.id === options.caseId) throw conflict(NOT_ITS_OWN_DUPLICATE_MESSAGE);
    duplicateOfCaseId = original.id;
  }
  const closure = await tx.caseClosure.create({
    data: {
      caseId: options.caseId,
      kind: options.kind,
      duplicateOfCaseId,
      reason: options.reason,
      closedById: options.actor.id,
      closedAt: now,
    },
    select: { id: true },
  });
  await moveCase(tx, {
    caseId: options.caseId,
    from: facts.state,
    move: "close",
    audit: options.audit,
    data: { closedAt: now },
    details: {
      closureId: closure.id,
      closureKind: options.kind,
      ...(duplicateOfCaseId ? { duplicateOfCaseId } : {}),
    },
  });
  return { closureId: closure.id };
}

export async function reopenCase(
  db: Database,
  options: { caseId: string; actor: Actor; audit: AuditActor; now?: Date },
): Promise<{ state: "SUBMITTED" | "DRAFT" }> {
  const now = options.now ?? new Date();
  return db.$transaction(async (tx) => {
    const { facts } = await lockCaseForCommand(tx, options.caseId, ERASED_CASE_MESSAGE);
    authorize(hasRole(options.actor, "INVITING_ADMIN"), ONLY_ADMINS_CLOSE_MESSAGE);
    authorize(!hasConflictOn(options.actor, facts), "You have a conflict of interest on this case.");
    const { submittedAt } = await tx.vettingCase.findUniqueOrThrow({
      where: { id: options.caseId },
      select: { submittedAt: true },
    });
    const move = submittedAt ? "reopen" : "reopenAsDraft";
    allowedTarget(facts.state, move);
    authorize(canReopenCase(options.actor, facts));
    const closure = await tx.caseClosure.findFirst({
      where: { caseId: options.caseId, reopenedAt: null },
      orderBy: [{ closedAt: "desc" }, { id: "desc" }],
      select: { id: true },
    });
    if (closure) {
      await tx.caseClosure.update({
        where: { id: closure.id },
        data: { reopenedAt: now, reopenedById: options.actor.id },
      });
    }
    await moveCase(tx, {
      caseId: options.caseId,
      from: facts.state,
      move,
      audit: options.audit,
      data: { closedAt: null },
      details: closure ? { closureId: closure.id } : {},
    });
    return { state: move === "reopen" ? "SUBMITTED" : "DRAFT" };
  });
}
