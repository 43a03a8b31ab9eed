// The applicant answers a request for more information: MORE_INFORMATION_REQUESTED → IN_REVIEW through
// moveCase (with its audit row), lastSubmittedAt moves (the queue's "waiting since"), and the person
// who has to pick the case up again hears of it (as they chose to: at once, in the digest or not): the
// assigned agent, or when nobody is assigned, the admin who asked for more information. Same checks as a first submission (details, current consent).
import type { AuditActor } from "../../audit.js";
import type { Database, Transaction } from "../../db.js";
import { moveCase } from "../cases/moveCase.js";
import { notifyStaff } from "../notifications/notifyStaff.js";
import {
  type ConsentOptions,
  caseReadyForSubmission,
  consentData,
  consentDetails,
} from "./submitApplication.js";

export async function resubmitApplication(
  db: Database,
  options: ConsentOptions & { caseId: string; audit: AuditActor; now?: Date },
): Promise<void> {
  const now = options.now ?? new Date();
  await db.$transaction(async (tx) => {
    const vettingCase = await caseReadyForSubmission(tx, { ...options, move: "resubmit" });
    const recipient = await whoPicksUp(tx, options.caseId, vettingCase.assignedToId);
    await moveCase(tx, {
      caseId: options.caseId,
      from: vettingCase.state,
      move: "resubmit",
      audit: options.audit,
      data: { lastSubmittedAt: now, ...consentData(options, now) },
      details: { notifiedStaffUserId: recipient?.id ?? null, ...consentDetails(options) },
    });
    if (recipient) {
      await notifyStaff(tx, {
        notification: {
          kind: "applicant_reply",
          caseId: options.caseId,
          how: "resubmitted",
          recipients: [recipient],
        },
      });
    }
  });
}

/** The active assigned agent; else the active admin behind the latest request for more information. */
async function whoPicksUp(tx: Transaction, caseId: string, assignedToId: string | null) {
  const person = { id: true, name: true, email: true, role: true } as const;
  if (assignedToId) {
    const agent = await tx.staffUser.findFirst({
      where: { id: assignedToId, status: "ACTIVE" },
      select: person,
    });
    if (agent) return agent;
  }
  const request = await tx.caseDecision.findFirst({
    where: { caseId, kind: "REQUEST_MORE_INFORMATION" },
    orderBy: { decidedAt: "desc" },
    select: { decidedBy: { select: { ...person, status: true } } },
  });
  return request?.decidedBy.status === "ACTIVE" ? request.decidedBy : null;
}
