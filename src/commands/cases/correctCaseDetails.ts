// Staff correct the person's details (a typo in the name, a new phone, Matrix ID or email address), with
// a required reason. Name, phone and Matrix ID change at once. A new email address is not used until the
// person confirms it (confirmCaseEmailChange.ts): it waits in pendingEmail, the new address gets a
// confirmation link, and the old address is told. A later correction voids the earlier confirmation
// links (unsent ones are cancelled, unused tokens deleted), so a link only ever confirms the address it
// was sent to.
//
// In one transaction under the case's lock: the case's columns, the correction row (before and after of
// each changed field, and the reason: personal data, blanked by erasure), its audit row (the correction's
// id and the names of the fields, never their values), the emails, and the duplicate check again.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Database } from "../../db.js";
import type { TApplicationDetails } from "../../domain/applicationFields.js";
import { ERASED_CASE_MESSAGE } from "../../domain/caseMessages.js";
import { formatCaseNumber } from "../../domain/caseNumber.js";
import { conflict } from "../../errors.js";
import { enqueueEmail } from "../../mail/outbox.js";
import { canCorrectCaseDetails, hasConflictOn } from "../../policies/cases.js";
import { type Actor, authorize } from "../../policies/staff.js";
import { lockCaseForCommand } from "../../queries/cases.js";
import { clearMatrixIdVerification } from "../matrixIdentity/clearMatrixIdVerification.js";
import { flagPossibleDuplicates } from "./flagPossibleDuplicates.js";

export const NOTHING_TO_CORRECT_MESSAGE = "Nothing was changed: the details are as they were.";

export type CorrectableField = "fullName" | "email" | "matrixId" | "phone";
export type TCorrectableDetails = Pick<TApplicationDetails, CorrectableField>;
export type DetailChanges = Partial<Record<CorrectableField, { before: string; after: string }>>;

export async function correctCaseDetails(
  db: Database,
  options: {
    caseId: string;
    actor: Actor;
    details: TCorrectableDetails;
    reason: string;
    audit: AuditActor;
  },
): Promise<{ correctionId: string; changedFields: CorrectableField[]; isEmailPending: boolean }> {
  return db.$transaction(async (tx) => {
    const { vettingCase, facts } = await lockCaseForCommand(tx, options.caseId, ERASED_CASE_MESSAGE);
    authorize(!hasConflictOn(options.actor, facts), "You have a conflict of interest on this case.");
    authorize(canCorrectCaseDetails(options.actor, facts));
    const { pendingEmail } = await tx.vettingCase.findUniqueOrThrow({
      where: { id: options.caseId },
      select: { pendingEmail: true },
    });
    const stored: Record<CorrectableField, string> = {
      fullName: vettingCase.fullName,
      // The address staff last entered counts as the one to compare with, confirmed or not.
      email: pendingEmail ?? vettingCase.email,
      matrixId: vettingCase.matrixId ?? "",
      phone: vettingCase.phone ?? "",
    };
    const wanted: Record<CorrectableField, string> = {
      fullName: options.details.fullName,
      email: options.details.email,
      matrixId: options.details.matrixId ?? "",
      phone: options.details.phone ?? "",
    };
    const changes: DetailChanges = {};
    for (const field of ["fullName", "email", "matrixId", "phone"] as const) {
      if (stored[field] !== wanted[field]) changes[field] = { before: stored[field], after: wanted[field] };
    }
    const changedFields = Object.keys(changes) as CorrectableField[];
    if (changedFields.length === 0) throw conflict(NOTHING_TO_CORRECT_MESSAGE);
    // Back to the confirmed address: nothing waits for confirmation any more.
    const newPendingEmail = wanted.email === vettingCase.email ? null : wanted.email;
    await tx.vettingCase.update({
      where: { id: options.caseId },
      data: {
        fullName: wanted.fullName,
        matrixId: wanted.matrixId || null,
        phone: wanted.phone || null,
        pendingEmail: newPendingEmail,
      },
      select: { id: true },
    });
    const correction = await tx.caseDetailCorrection.create({
      data: {
        caseId: options.caseId,
        changedById: options.actor.id,
        reason: options.reason,
        changes,
      },
      select: { id: true },
    });
    await recordAudit(
      tx,
      options.audit,
      "case.details_corrected",
      { type: "vetting_case", id: options.caseId },
      { correctionId: correction.id, changedFields, isEmailPending: newPendingEmail !== null },
    );
    if (changes.email) {
      // Earlier confirmation links must not confirm this address: cancel those not sent, void the sent.
      await tx.outboxMessage.updateMany({
        where: {
          kind: "case_email_change_confirmation",
          linkSubjectType: "vetting_case",
          linkSubjectId: options.caseId,
          status: "QUEUED",
        },
        data: { status: "CANCELLED" },
      });
      await tx.linkToken.deleteMany({
        where: {
          purpose: "case_email_change",
          subjectType: "vetting_case",
          subjectId: options.caseId,
          usedAt: null,
        },
      });
      const payload = { applicantName: wanted.fullName, caseNumber: formatCaseNumber(vettingCase.number) };
      if (newPendingEmail) {
        await enqueueEmail(tx, {
          kind: "case_email_change_confirmation",
          recipient: newPendingEmail,
          payload,
          linkSubject: { type: "vetting_case", id: options.caseId },
          language: vettingCase.language,
        });
        await enqueueEmail(tx, {
          kind: "case_email_changed_notice",
          recipient: vettingCase.email,
          payload,
          language: vettingCase.language,
        });
      }
    }
    if (changes.matrixId)
      await clearMatrixIdVerification(tx, { caseId: options.caseId, audit: options.audit });
    await flagPossibleDuplicates(tx, { caseId: options.caseId, audit: options.audit });
    return { correctionId: correction.id, changedFields, isEmailPending: newPendingEmail !== null };
  });
}
