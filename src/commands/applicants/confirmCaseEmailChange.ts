// The person confirms the address staff entered for their application (correctCaseDetails.ts): the
// link's POST consumes the token and the waiting address becomes the case's, confirmed now. In one
// transaction under the case's lock, with its audit row and the duplicate check again. A link whose
// case was erased, or that no address waits for any more, is unusable.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Database } from "../../db.js";
import { lockCase } from "../../queries/cases.js";
import { consumeLinkToken } from "../../tokens.js";
import { flagPossibleDuplicates } from "../cases/flagPossibleDuplicates.js";

export class EmailChangeLinkUnusableError extends Error {
  override readonly name = "EmailChangeLinkUnusableError";
  constructor() {
    super("The link is unknown, expired, already used, or no new address waits for it.");
  }
}

export async function confirmCaseEmailChange(
  db: Database,
  options: { token: string; audit: AuditActor; now?: Date },
): Promise<{ caseId: string }> {
  const now = options.now ?? new Date();
  return db.$transaction(async (tx) => {
    const link = await consumeLinkToken(tx, "case_email_change", options.token, now);
    if (link.status !== "valid" || link.subject?.type !== "vetting_case")
      throw new EmailChangeLinkUnusableError();
    const caseId = link.subject.id;
    await lockCase(tx, caseId);
    const vettingCase = await tx.vettingCase.findUnique({
      where: { id: caseId },
      select: { pendingEmail: true, erasedAt: true },
    });
    // Throwing rolls the consumption back too.
    if (!vettingCase || vettingCase.erasedAt || !vettingCase.pendingEmail)
      throw new EmailChangeLinkUnusableError();
    await tx.vettingCase.update({
      where: { id: caseId },
      data: { email: vettingCase.pendingEmail, pendingEmail: null, emailConfirmedAt: now },
      select: { id: true },
    });
    await recordAudit(
      tx,
      options.audit,
      "case.email_change_confirmed",
      { type: "vetting_case", id: caseId },
      {
        linkTokenId: link.id,
      },
    );
    await flagPossibleDuplicates(tx, { caseId, audit: options.audit });
    return { caseId };
  });
}
