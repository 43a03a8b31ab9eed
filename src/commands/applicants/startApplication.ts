// Someone applies through the public form. In one transaction: the case is created as a DRAFT (origin
// APPLICANT) with the privacy notice version they accepted, the audit row is written, the case is
// compared with others for possible duplicates (staff's business; the applicant is never told), and
// the confirmation email is queued. The link in it (minted when the mail leaves) opens the workspace.
//
// Applying twice with the same address makes a second case: nothing on the public side may reveal
// whether an address already has one.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Config } from "../../config.js";
import type { Database } from "../../db.js";
import type { TApplicationForm } from "../../domain/applicationFields.js";
import type { Language } from "../../i18n/languages.js";
import { enqueueEmail } from "../../mail/outbox.js";
import { flagPossibleDuplicates } from "../cases/flagPossibleDuplicates.js";

export async function startApplication(
  db: Database,
  options: {
    config: Config;
    application: TApplicationForm;
    /** The language of the page they applied from (the default language when absent): every email to them will be in it. */
    language?: Language;
    audit: AuditActor;
    now?: Date;
  },
): Promise<{ caseId: string }> {
  const now = options.now ?? new Date();
  const { application } = options;
  return db.$transaction(async (tx) => {
    const created = await tx.vettingCase.create({
      data: {
        state: "DRAFT",
        origin: "APPLICANT",
        fullName: application.fullName,
        email: application.email,
        matrixId: application.matrixId,
        phone: application.phone,
        statement: application.statement,
        language: options.language ?? options.config.languages[0] ?? "en",
        privacyNoticeVersion: options.config.privacy.noticeVersion,
        privacyConsentAt: now,
      },
      select: { id: true, number: true, language: true },
    });
    const subject = { type: "vetting_case", id: created.id };
    await recordAudit(tx, options.audit, "case.created", subject, {
      origin: "APPLICANT",
      privacyNoticeVersion: options.config.privacy.noticeVersion,
    });
    await flagPossibleDuplicates(tx, { caseId: created.id, audit: options.audit });
    await enqueueEmail(tx, {
      kind: "email_confirmation",
      recipient: application.email,
      // Nothing the applicant typed: the address is not theirs until they follow the link.
      payload: {},
      linkSubject: subject,
      language: created.language,
    });
    return { caseId: created.id };
  });
}
