// A staff comment on a case. Internal unless the author chose, and then confirmed, to show it to the
// applicant (the route asks for the confirmation). The audit row names the comment by id only: the
// body may hold personal data and lives in case_comments, which erasure blanks.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Database } from "../../db.js";
import { ERASED_CASE_MESSAGE } from "../../domain/caseMessages.js";
import { canComment } from "../../policies/cases.js";
import { type Actor, authorize } from "../../policies/staff.js";
import { lockCaseForCommand } from "../../queries/cases.js";

export async function addCaseComment(
  db: Database,
  options: { caseId: string; author: Actor; body: string; isVisibleToApplicant: boolean; audit: AuditActor },
): Promise<{ commentId: string }> {
  return db.$transaction(async (tx) => {
    // Locked, so a comment cannot land on a case being erased at this moment with its text intact.
    const { facts } = await lockCaseForCommand(tx, options.caseId, ERASED_CASE_MESSAGE);
    authorize(canComment(options.author, facts));
    const { id } = await tx.caseComment.create({
      data: {
        caseId: options.caseId,
        authorId: options.author.id,
        body: options.body,
        isVisibleToApplicant: options.isVisibleToApplicant,
      },
      select: { id: true },
    });
    await recordAudit(
      tx,
      options.audit,
      "case.comment_added",
      { type: "vetting_case", id: options.caseId },
      { commentId: id, isVisibleToApplicant: options.isVisibleToApplicant },
    );
    return { commentId: id };
  });
}
