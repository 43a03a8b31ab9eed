// Withdrawing a standing conflict of interest: by the person who declared their own, or by an admin
// (policies/cases.ts canWithdrawConflict). The row stays, with who withdrew it and when; the conditional
// update on "not yet withdrawn" makes two withdrawals at once one.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Database } from "../../db.js";
import { ERASED_CASE_MESSAGE } from "../../domain/caseMessages.js";
import { conflict, notFound } from "../../errors.js";
import { canWithdrawConflict } from "../../policies/cases.js";
import { type Actor, authorize } from "../../policies/staff.js";
import { lockCaseForCommand } from "../../queries/cases.js";

export const ALREADY_WITHDRAWN_MESSAGE = "That conflict of interest was already withdrawn.";

export async function withdrawConflictOfInterest(
  db: Database,
  options: { caseId: string; conflictId: string; actor: Actor; audit: AuditActor; now?: Date },
): Promise<void> {
  const now = options.now ?? new Date();
  await db.$transaction(async (tx) => {
    await lockCaseForCommand(tx, options.caseId, ERASED_CASE_MESSAGE);
    const standing = await tx.caseConflict.findFirst({
      where: { id: options.conflictId, caseId: options.caseId },
      select: { id: true, staffUserId: true, declaredById: true },
    });
    if (!standing) throw notFound();
    authorize(
      canWithdrawConflict(options.actor, standing),
      "An admin recorded this conflict of interest for you, so only another admin can withdraw it.",
    );
    const { count } = await tx.caseConflict.updateMany({
      where: { id: standing.id, withdrawnAt: null },
      data: { withdrawnAt: now, withdrawnById: options.actor.id },
    });
    if (count !== 1) throw conflict(ALREADY_WITHDRAWN_MESSAGE);
    await recordAudit(
      tx,
      options.audit,
      "case.conflict_withdrawn",
      { type: "vetting_case", id: options.caseId },
      { conflictId: standing.id, staffUserId: standing.staffUserId },
    );
  });
}
