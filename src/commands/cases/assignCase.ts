// Assigning an open case to a staff member (or to nobody). Any active staff member without a conflict of
// interest on the case can be the assignee.
// Assigning a submitted case to someone also takes it into review: from then on someone is working on
// it (policies/cases.ts: a case is taken into review explicitly, by assigning it, or by a vetting record).
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Database, Transaction } from "../../db.js";
import { ERASED_CASE_MESSAGE } from "../../domain/caseMessages.js";
import { CASE_STATE_LABELS, type CaseState } from "../../domain/caseStates.js";
import { conflict } from "../../errors.js";
import { type CaseFacts, canAssignCase, canBeAssignedCase, isOpenCase } from "../../policies/cases.js";
import { type Actor, authorize } from "../../policies/staff.js";
import { lockCaseForCommand } from "../../queries/cases.js";
import { notifyStaff } from "../notifications/notifyStaff.js";
import { takeIntoReviewIfSubmitted } from "./startCaseReview.js";

export const ASSIGNEE_CONFLICTED_MESSAGE =
  "That person has a conflict of interest on this case, so it cannot be assigned to them. Choose someone else.";

/** A case no longer open keeps its assignment. */
export function assignmentClosedMessage(state: CaseState): string {
  return `This case is ${CASE_STATE_LABELS[state].toLowerCase()}, so its assignment no longer changes.`;
}

export const ASSIGNEE_NOT_ACTIVE_MESSAGE =
  "That person’s account is not active, so cases cannot be assigned to them. Choose someone else.";

export interface TAssignCaseOptions {
  caseId: string;
  assigneeId: string | null;
  actor: Actor & { name?: string };
  audit: AuditActor;
}

export async function assignCase(
  db: Database,
  options: TAssignCaseOptions,
): Promise<{ isChanged: boolean; isReviewStarted: boolean }> {
  return db.$transaction(async (tx) => {
    const { vettingCase, facts } = await lockCaseForCommand(tx, options.caseId, ERASED_CASE_MESSAGE);
    return assignLockedCase(tx, { ...options, vettingCase, facts });
  });
}

/**
 * The assignment itself, inside the caller's transaction, on a case the caller has locked
 * (lockCaseForCommand): shared with the queue's bulk assignment, which locks many cases in one.
 */
export async function assignLockedCase(
  tx: Transaction,
  options: TAssignCaseOptions & { vettingCase: { assignedToId: string | null }; facts: CaseFacts },
): Promise<{ isChanged: boolean; isReviewStarted: boolean }> {
  const { vettingCase, facts } = options;
  if (!isOpenCase(facts)) throw conflict(assignmentClosedMessage(facts.state));
  authorize(canAssignCase(options.actor, facts));
  if (options.assigneeId) {
    const assignee = await tx.staffUser.findUnique({
      where: { id: options.assigneeId },
      select: { status: true },
    });
    if (assignee?.status !== "ACTIVE") throw conflict(ASSIGNEE_NOT_ACTIVE_MESSAGE);
    if (!canBeAssignedCase({ id: options.assigneeId }, facts)) throw conflict(ASSIGNEE_CONFLICTED_MESSAGE);
  }
  if (vettingCase.assignedToId === options.assigneeId) return { isChanged: false, isReviewStarted: false };
  await tx.vettingCase.update({
    where: { id: options.caseId },
    data: { assignedToId: options.assigneeId },
  });
  await recordAudit(
    tx,
    options.audit,
    "case.assigned",
    { type: "vetting_case", id: options.caseId },
    { assigneeId: options.assigneeId, previousAssigneeId: vettingCase.assignedToId },
  );
  const isReviewStarted =
    options.assigneeId !== null &&
    (await takeIntoReviewIfSubmitted(tx, {
      caseId: options.caseId,
      state: facts.state,
      audit: options.audit,
    }));
  if (options.assigneeId) {
    await notifyStaff(tx, {
      notification: {
        kind: "case_assigned",
        caseId: options.caseId,
        assigneeId: options.assigneeId,
        assignedBy: {
          id: options.actor.id,
          name: options.actor.name ?? (await nameOf(tx, options.actor.id)),
        },
      },
    });
  }
  return { isChanged: true, isReviewStarted };
}

async function nameOf(tx: Transaction, staffUserId: string): Promise<string> {
  const { name } = await tx.staffUser.findUniqueOrThrow({
    where: { id: staffUserId },
    select: { name: true },
  });
  return name;
}
