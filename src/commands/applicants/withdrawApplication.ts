// The applicant withdraws (after a confirmation page): any state before a decision → WITHDRAWN through
// moveCase, with its audit row, the withdrawal time, and a confirmation email. A decided case refuses
// with a message for the page. The workspace stays readable afterwards.
import type { AuditActor } from "../../audit.js";
import type { Database } from "../../db.js";
import { formatCaseNumber } from "../../domain/caseNumber.js";
import { notFound } from "../../errors.js";
import { enqueueEmail } from "../../mail/outbox.js";
import { moveCase } from "../cases/moveCase.js";

export async function withdrawApplication(
  db: Database,
  options: { caseId: string; audit: AuditActor; now?: Date },
): Promise<void> {
  const now = options.now ?? new Date();
  await db.$transaction(async (tx) => {
    const vettingCase = await tx.vettingCase.findUnique({
      where: { id: options.caseId },
      select: { state: true, number: true, fullName: true, email: true, erasedAt: true, language: true },
    });
    if (!vettingCase || vettingCase.erasedAt) throw notFound();
    await moveCase(tx, {
      caseId: options.caseId,
      from: vettingCase.state,
      move: "withdraw",
      audit: options.audit,
      data: { withdrawnAt: now },
    });
    await enqueueEmail(tx, {
      kind: "withdrawal_confirmed",
      recipient: vettingCase.email,
      payload: { applicantName: vettingCase.fullName, caseNumber: formatCaseNumber(vettingCase.number) },
      language: vettingCase.language,
    });
  });
}
