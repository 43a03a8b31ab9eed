// Sending the person the link to their application (a case staff opened for them, or one waiting for
// more information): a case_invitation email whose link opens their workspace. Links sent earlier keep
// working until they expire; each is single-use.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Database, Transaction } from "../../db.js";
import { ERASED_CASE_MESSAGE } from "../../domain/caseMessages.js";
import { formatCaseNumber } from "../../domain/caseNumber.js";
import { conflict, notFound } from "../../errors.js";
import { enqueueEmail } from "../../mail/outbox.js";
import { canInviteApplicant, canViewCases } from "../../policies/cases.js";
import { type Actor, authorize } from "../../policies/staff.js";
import { findCaseForCommand } from "../../queries/cases.js";

export const NOT_WAITING_FOR_PERSON_MESSAGE =
  "A link is sent only while the case waits for the person: as a draft, or when more information was requested.";

/** The email and its audit row, in the caller's transaction. */
export async function sendCaseInvitation(
  tx: Transaction,
  options: {
    vettingCase: { id: string; number: number; fullName: string; email: string; language: string };
    agentName: string;
    audit: AuditActor;
  },
): Promise<{ outboxMessageId: string }> {
  const { vettingCase } = options;
  const { outboxMessageId } = await enqueueEmail(tx, {
    kind: "case_invitation",
    recipient: vettingCase.email,
    payload: {
      applicantName: vettingCase.fullName,
      agentName: options.agentName,
      caseNumber: formatCaseNumber(vettingCase.number),
    },
    linkSubject: { type: "vetting_case", id: vettingCase.id },
    language: vettingCase.language,
  });
  await recordAudit(
    tx,
    options.audit,
    "case.invitation_sent",
    { type: "vetting_case", id: vettingCase.id },
    { outboxMessageId },
  );
  return { outboxMessageId };
}

export async function inviteApplicantToCase(
  db: Database,
  options: { caseId: string; agent: Actor & { name: string }; audit: AuditActor },
): Promise<void> {
  await db.$transaction(async (tx) => {
    const vettingCase = await findCaseForCommand(tx, options.caseId);
    if (!vettingCase) throw notFound();
    const facts = vettingCase.facts;
    authorize(canViewCases(options.agent));
    if (facts.erasedAt) throw conflict(ERASED_CASE_MESSAGE);
    if (!canInviteApplicant(options.agent, facts)) throw conflict(NOT_WAITING_FOR_PERSON_MESSAGE);
    await sendCaseInvitation(tx, { vettingCase, agentName: options.agent.name, audit: options.audit });
  });
}
