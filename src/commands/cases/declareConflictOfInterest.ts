// A staff member declares a conflict of interest on a case (they know the person, they are related, …),
// or an admin records one for someone else. From then on that person keeps out of the case: they cannot
// be assigned it, vet it, see its evidence or decide it, and see only its number, name and state
// (policies/cases.ts). A case assigned to them is unassigned in the same transaction.
//
// One row per case and person (case_conflicts): declaring again after a withdrawal reopens it. The audit
// row carries ids only; the reason stays in its row, where erasure blanks it and the case page shows it.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Database } from "../../db.js";
import { ERASED_CASE_MESSAGE } from "../../domain/caseMessages.js";
import { conflict, notFound } from "../../errors.js";
import { canDeclareConflict, canRecordConflictForOthers, hasConflictOn } from "../../policies/cases.js";
import { type Actor, authorize } from "../../policies/staff.js";
import { lockCaseForCommand } from "../../queries/cases.js";

export const ALREADY_CONFLICTED_MESSAGE =
  "A conflict of interest is already recorded for that person on this case.";

export async function declareConflictOfInterest(
  db: Database,
  options: {
    caseId: string;
    /** Who is conflicted: the declarer themselves, or (admins) someone else. */
    staffUserId: string;
    reason: string;
    declarer: Actor;
    audit: AuditActor;
    now?: Date;
  },
): Promise<{ conflictId: string; isUnassigned: boolean }> {
  const now = options.now ?? new Date();
  const isForOther = options.staffUserId !== options.declarer.id;
  return db.$transaction(async (tx) => {
    const { vettingCase, facts } = await lockCaseForCommand(tx, options.caseId, ERASED_CASE_MESSAGE);
    if (isForOther) {
      authorize(
        canRecordConflictForOthers(options.declarer, facts),
        "Only admins without a conflict of interest on this case record one for someone else.",
      );
      const person = await tx.staffUser.findUnique({
        where: { id: options.staffUserId },
        select: { id: true },
      });
      if (!person) throw notFound("There is no such staff member.");
    }
    if (hasConflictOn({ id: options.staffUserId }, facts)) throw conflict(ALREADY_CONFLICTED_MESSAGE);
    if (!isForOther) authorize(canDeclareConflict(options.declarer, facts));

    const standing = {
      reason: options.reason,
      declaredById: options.declarer.id,
      declaredAt: now,
      withdrawnAt: null,
      withdrawnById: null,
    };
    const { id: conflictId } = await tx.caseConflict.upsert({
      where: { caseId_staffUserId: { caseId: vettingCase.id, staffUserId: options.staffUserId } },
      create: { caseId: vettingCase.id, staffUserId: options.staffUserId, ...standing },
      update: standing,
      select: { id: true },
    });
    const subject = { type: "vetting_case", id: vettingCase.id };
    await recordAudit(tx, options.audit, "case.conflict_declared", subject, {
      conflictId,
      staffUserId: options.staffUserId,
      isRecordedForOther: isForOther,
    });
    const isUnassigned = vettingCase.assignedToId === options.staffUserId;
    if (isUnassigned) {
      await tx.vettingCase.update({ where: { id: vettingCase.id }, data: { assignedToId: null } });
      await recordAudit(tx, options.audit, "case.assigned", subject, {
        assigneeId: null,
        previousAssigneeId: options.staffUserId,
        isForConflictOfInterest: true,
      });
    }
    return { conflictId, isUnassigned };
  });
}
