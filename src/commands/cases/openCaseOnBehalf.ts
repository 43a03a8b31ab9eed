// An agent opens a case for someone (met in person, say, or referred): a draft the person then
// completes in their workspace, where they also accept the privacy notice and submit. The agent is its
// creator (so, four eyes, cannot decide it) and its first assignee. In one transaction: the case, its
// audit row, the agent's vetting record when they filled one in, the duplicate check, and the email
// with the link to the workspace when the agent asked for it.
//
// No privacy consent is stored: the person gives it themselves when they submit.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Database } from "../../db.js";
import type { TApplicationDetails } from "../../domain/applicationFields.js";
import { canOpenCase } from "../../policies/cases.js";
import { type Actor, authorize } from "../../policies/staff.js";
import { flagPossibleDuplicates } from "./flagPossibleDuplicates.js";
import { sendCaseInvitation } from "./inviteApplicantToCase.js";
import { type TVettingRecordInput, writeVettingRecord } from "./recordVettingRecord.js";

export async function openCaseOnBehalf(
  db: Database,
  options: {
    agent: Actor & { name: string };
    /** The statement may be "": the person writes it. */
    details: TApplicationDetails;
    vettingRecord: TVettingRecordInput | null;
    isInvitationSent: boolean;
    audit: AuditActor;
  },
): Promise<{ caseId: string }> {
  authorize(canOpenCase(options.agent));
  return db.$transaction(async (tx) => {
    const vettingCase = await tx.vettingCase.create({
      data: {
        state: "DRAFT",
        origin: "STAFF",
        fullName: options.details.fullName,
        email: options.details.email,
        matrixId: options.details.matrixId,
        phone: options.details.phone,
        statement: options.details.statement,
        createdById: options.agent.id,
        assignedToId: options.agent.id,
      },
      select: { id: true, number: true, fullName: true, email: true, language: true },
    });
    const subject = { type: "vetting_case", id: vettingCase.id };
    await recordAudit(tx, options.audit, "case.opened_by_staff", subject, {
      assigneeId: options.agent.id,
      hasVettingRecord: options.vettingRecord !== null,
      isInvitationSent: options.isInvitationSent,
    });
    if (options.vettingRecord) {
      await writeVettingRecord(tx, {
        caseId: vettingCase.id,
        agentId: options.agent.id,
        record: options.vettingRecord,
        audit: options.audit,
      });
    }
    await flagPossibleDuplicates(tx, { caseId: vettingCase.id, audit: options.audit });
    if (options.isInvitationSent) {
      await sendCaseInvitation(tx, { vettingCase, agentName: options.agent.name, audit: options.audit });
    }
    return { caseId: vettingCase.id };
  });
}
