// Who hears about an applicant's reply, and how: the one place that says so, in the caller's
// transaction. Today: one applicant_replied email at once to the case's assignee when they are active,
// else to whoever hears of new cases (the active vetting agents, or the admins while there are none).
// Staff emails carry the case number and a link, never the message: it is read on the case page.
//
// When staff choose per kind how they are told (at once, in a digest, never), this is the function to
// route through those preferences; its callers need not change.
import type { Transaction } from "../../db.js";
import { formatCaseNumber } from "../../domain/caseNumber.js";
import { enqueueEmail } from "../../mail/outbox.js";
import { newCaseRecipients } from "./notifyAgentsOfNewCase.js";

export async function notifyOfApplicantReply(
  tx: Transaction,
  options: { caseId: string; replyId: string },
): Promise<{ recipientIds: string[] }> {
  const reply = await tx.caseReply.findUniqueOrThrow({
    where: { id: options.replyId },
    select: {
      answersDecisionId: true,
      vettingCase: {
        select: {
          id: true,
          number: true,
          assignedTo: { select: { id: true, name: true, email: true, status: true } },
        },
      },
    },
  });
  const { vettingCase } = reply;
  const assignee = vettingCase.assignedTo?.status === "ACTIVE" ? vettingCase.assignedTo : null;
  const recipients = assignee ? [assignee] : await newCaseRecipients(tx);
  for (const recipient of recipients) {
    await enqueueEmail(tx, {
      kind: "applicant_replied",
      recipient: recipient.email,
      payload: {
        staffName: recipient.name,
        caseNumber: formatCaseNumber(vettingCase.number),
        caseId: vettingCase.id,
        isAnswer: reply.answersDecisionId !== null,
        isAssignee: assignee !== null,
      },
    });
  }
  return { recipientIds: recipients.map((recipient) => recipient.id) };
}
