// What the queue's bulk actions share: the most cases one action takes, which cases take it (the
// confirmation page lists the others with the reason, and the command skips them again, under lock,
// in case something changed in between), and the lock on every selected case at once.
//
// Each action is one transaction: every case it changes is changed with its own audit row (and the
// emails a single action sends), or, if anything fails, none is.
import type { Transaction } from "../../db.js";
import { canMakeMove, isOpenState } from "../../domain/caseStates.js";
import { type CaseFacts, hasConflictOn } from "../../policies/cases.js";
import type { Actor } from "../../policies/staff.js";
import { findCaseForCommand } from "../../queries/cases.js";

/**
 * The most cases one bulk action takes: a confirmation page lists each of them, and the transaction
 * holds a lock on each until it commits.
 */
export const BULK_CASE_LIMIT = 500;

export const BULK_LIMIT_MESSAGE = `A bulk action takes at most ${BULK_CASE_LIMIT} cases at a time. Narrow the search or filters, or select fewer cases.`;

export type TBulkCaseAction = "assign" | "close" | "export";

export interface BulkCaseFacts {
  facts: CaseFacts;
  assignedToId: string | null;
}

/**
 * Why this case is left out of the action (a catalog id: the pages say it in the viewer's language), or
 * null when it takes it. The single-case rules (policies/cases.ts) decide; these are their reasons.
 */
export function bulkSkipReason(
  action: TBulkCaseAction,
  actor: Actor,
  vettingCase: BulkCaseFacts,
  assigneeId: string | null = null,
): string | null {
  const { facts } = vettingCase;
  if (hasConflictOn(actor, facts))
    return action === "export"
      ? "staff.cases.bulk.skip.conflictedExport"
      : "staff.cases.bulk.skip.conflicted";
  if (action === "export") return null;
  if (facts.erasedAt) return "staff.cases.bulk.skip.erased";
  if (action === "close") {
    return canMakeMove(facts.state, "close") ? null : `staff.cases.bulk.skip.cannotClose.${facts.state}`;
  }
  if (!isOpenState(facts.state)) return `staff.cases.bulk.skip.assignmentClosed.${facts.state}`;
  if (assigneeId && hasConflictOn({ id: assigneeId }, facts))
    return "staff.cases.bulk.skip.assigneeConflicted";
  if (vettingCase.assignedToId === assigneeId)
    return assigneeId ? "staff.cases.bulk.skip.alreadyAssigned" : "staff.cases.bulk.skip.alreadyUnassigned";
  return null;
}

export interface BulkOutcome {
  /** The cases the action changed, in the order given. */
  done: { id: string; number: number }[];
  /** The cases left as they were, and why. */
  skipped: { id: string; number: number | null; reason: string }[];
}

/**
 * Locks every selected case (in id order, so two bulk actions over overlapping cases wait for each other
 * instead of deadlocking), then hands each case that takes the action to `act`, in the order given.
 */
export async function actOnLockedCases(
  tx: Transaction,
  options: {
    caseIds: readonly string[];
    skipReason: (vettingCase: BulkCaseFacts) => string | null;
    act: (vettingCase: NonNullable<Awaited<ReturnType<typeof findCaseForCommand>>>) => Promise<void>;
  },
): Promise<BulkOutcome> {
  const ids = [...new Set(options.caseIds)];
  await tx.$queryRaw`SELECT id FROM vetting_cases WHERE id = ANY(${ids}::uuid[]) ORDER BY id FOR UPDATE`;
  const outcome: BulkOutcome = { done: [], skipped: [] };
  for (const id of ids) {
    const vettingCase = await findCaseForCommand(tx, id);
    if (!vettingCase) {
      outcome.skipped.push({ id, number: null, reason: "staff.cases.bulk.skip.noSuchCase" });
      continue;
    }
    const reason = options.skipReason(vettingCase);
    if (reason) {
      outcome.skipped.push({ id, number: vettingCase.number, reason });
      continue;
    }
    await options.act(vettingCase);
    outcome.done.push({ id, number: vettingCase.number });
  }
  return outcome;
}
