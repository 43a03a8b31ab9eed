// Tells agents a case was submitted and waits in the queue, in the caller's transaction (called when a
// case first moves to SUBMITTED). NEW_CASE_NOTIFICATIONS decides how:
//   "immediate"  one new_case_waiting email now to every active vetting agent;
//   "digest"     nothing now: the daily job (jobs/sendNewCaseDigest.ts) lists the day's new cases;
//   "off"        nothing at all; agents watch the queue.
// While there are no active agents, the admins get these emails instead, so no case goes unnoticed.
// Staff emails carry the case number and a link, never the applicant's personal data.
import type { Config } from "../../config.js";
import type { Database, Transaction } from "../../db.js";
import { formatCaseNumber } from "../../domain/caseNumber.js";
import { enqueueEmail } from "../../mail/outbox.js";

export async function notifyAgentsOfNewCase(
  tx: Transaction,
  options: { config: Config; caseId: string },
): Promise<void> {
  if (options.config.cases.newCaseNotifications !== "immediate") return;
  const vettingCase = await tx.vettingCase.findUniqueOrThrow({
    where: { id: options.caseId },
    select: { id: true, number: true },
  });
  for (const recipient of await newCaseRecipients(tx)) {
    await enqueueEmail(tx, {
      kind: "new_case_waiting",
      recipient: recipient.email,
      payload: {
        agentName: recipient.name,
        caseNumber: formatCaseNumber(vettingCase.number),
        caseId: vettingCase.id,
      },
    });
  }
}

/** Who hears of new cases: the active vetting agents, or, when there are none, the active admins. */
export async function newCaseRecipients(
  db: Database | Transaction,
): Promise<Array<{ id: string; name: string; email: string }>> {
  const select = { id: true, name: true, email: true } as const;
  const agents = await db.staffUser.findMany({
    where: { status: "ACTIVE", role: "VETTING_AGENT" },
    select,
    orderBy: { email: "asc" },
  });
  if (agents.length > 0) return agents;
  return db.staffUser.findMany({
    where: { status: "ACTIVE", role: { in: ["INVITING_ADMIN", "SERVER_ADMIN", "SUPERADMIN"] } },
    select,
    orderBy: { email: "asc" },
  });
}
