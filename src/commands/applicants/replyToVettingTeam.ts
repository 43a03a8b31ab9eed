// The applicant writes to the vetting team from their workspace, while the case is open. When the case
// waits for more information, the reply answers the latest request (the thread shows it under that
// question); the applicant still resubmits to send the case back. In one transaction, under the case's
// lock (so a reply never lands on a case being erased, decided or closed at that moment): the reply,
// its audit row (ids only: the text is personal data and lives in case_replies, which erasure blanks),
// and the staff's notification (notifyStaff decides who, and each person how: at once, digest or never).
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Database } from "../../db.js";
import { conflict, notFound } from "../../errors.js";
import { canApplicantReply } from "../../policies/cases.js";
import { lockCase } from "../../queries/cases.js";
import { notifyStaff } from "../notifications/notifyStaff.js";

/** A catalog id, with the case's state as its value `state`. */
export const NOT_OPEN_FOR_REPLIES_MESSAGE = "workspace.refused.notOpenForReplies";

export async function replyToVettingTeam(
  db: Database,
  options: { caseId: string; body: string; audit: AuditActor; now?: Date },
): Promise<{ replyId: string; answersDecisionId: string | null }> {
  const now = options.now ?? new Date();
  return db.$transaction(async (tx) => {
    await lockCase(tx, options.caseId);
    const vettingCase = await tx.vettingCase.findUnique({
      where: { id: options.caseId },
      select: { state: true, erasedAt: true },
    });
    if (!vettingCase || vettingCase.erasedAt) throw notFound();
    if (!canApplicantReply(vettingCase))
      throw conflict(NOT_OPEN_FOR_REPLIES_MESSAGE, { state: vettingCase.state });
    const question =
      vettingCase.state === "MORE_INFORMATION_REQUESTED"
        ? await tx.caseDecision.findFirst({
            where: { caseId: options.caseId, kind: "REQUEST_MORE_INFORMATION" },
            orderBy: [{ decidedAt: "desc" }, { id: "desc" }],
            select: { id: true },
          })
        : null;
    const reply = await tx.caseReply.create({
      data: {
        caseId: options.caseId,
        body: options.body,
        answersDecisionId: question?.id ?? null,
        createdAt: now,
      },
      select: { id: true },
    });
    await recordAudit(
      tx,
      options.audit,
      "case.applicant_replied",
      { type: "vetting_case", id: options.caseId },
      { replyId: reply.id, ...(question ? { answersDecisionId: question.id } : {}) },
    );
    await notifyStaff(tx, {
      notification: {
        kind: "applicant_reply",
        caseId: options.caseId,
        how: "replied",
        isAnswer: question !== null,
      },
    });
    return { replyId: reply.id, answersDecisionId: question?.id ?? null };
  });
}
