// An applicant follows an emailed link (confirmation, sign-in, or a staff invitation to their case) and
// presses the button. In one transaction: the link token is consumed (of two racing requests exactly
// one wins), the address counts as confirmed from now on if it was not yet, the audit row is written
// and a new applicant session starts, replacing the browser's current one (which may belong to another
// case: one browser, one case at a time). A link to an erased case opens nothing.

import { startApplicantSession } from "../../applicantSessions.js";
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Config } from "../../config.js";
import type { Database } from "../../db.js";
import { consumeLinkToken } from "../../tokens.js";

export type ApplicantLinkPurpose =
  | "email_confirmation"
  | "sign_in"
  | "case_invitation"
  | "case_submitted_for_you";

export class ApplicantLinkUnusableError extends Error {
  override readonly name = "ApplicantLinkUnusableError";
  constructor() {
    super("The link is unknown, expired, already used, or its case no longer exists.");
  }
}

export async function openApplicantWorkspace(
  db: Database,
  options: {
    config: Config;
    purpose: ApplicantLinkPurpose;
    token: string;
    /** The browser's current applicant session, ended in favour of the new one. */
    replacingSessionId: string | null;
    audit: AuditActor;
    now?: Date;
  },
): Promise<{ caseId: string; sessionToken: string }> {
  const now = options.now ?? new Date();
  return db.$transaction(async (tx) => {
    const link = await consumeLinkToken(tx, options.purpose, options.token, now);
    if (link.status !== "valid" || link.subject?.type !== "vetting_case")
      throw new ApplicantLinkUnusableError();
    const caseId = link.subject.id;
    const vettingCase = await tx.vettingCase.findUnique({
      where: { id: caseId },
      select: { erasedAt: true, emailConfirmedAt: true },
    });
    // Throwing rolls the consumption back too; an erased case's link stays as useless as it is.
    if (!vettingCase || vettingCase.erasedAt) throw new ApplicantLinkUnusableError();
    const isNewlyConfirmed = vettingCase.emailConfirmedAt === null;
    if (isNewlyConfirmed) {
      await tx.vettingCase.updateMany({
        where: { id: caseId, emailConfirmedAt: null },
        data: { emailConfirmedAt: now },
      });
    }
    await recordAudit(
      tx,
      options.audit,
      options.purpose === "email_confirmation" ? "case.email_confirmed" : "case.applicant_signed_in",
      { type: "vetting_case", id: caseId },
      { via: options.purpose, linkTokenId: link.id, isNewlyConfirmed },
    );
    const session = await startApplicantSession(tx, {
      config: options.config,
      caseId,
      replacing: options.replacingSessionId,
      now,
    });
    return { caseId, sessionToken: session.token };
  });
}
