// Erases the personal data of one case, in the caller's transaction: on the applicant's request (the
// staff erase page, audit "case.erased") or by the retention purge (jobs/purgeDecidedCases.ts, audit
// "case.purged"). What stays is what the portal needs to account for its decisions without knowing the
// person: the case number, state, origin, who created, vetted, assigned and decided it and when, the
// vetting outcome (identity verified, method, date, score, recommendation), the decision kinds and
// dates, and the privacy-notice version and time of consent (facts about the notice, not the person).
//
// What goes:
//   the case          fullName, email and statement → "" (the columns are NOT NULL; the pages show
//                     "Personal data erased" for any case with erasedAt, see presenters/cases.ts),
//                     matrixId and phone → null, duplicate flag and matches cleared, erasedAt set
//   vetting records   place and notes → ""
//   comments          body → ""
//   replies           the applicant's messages: body → ""
//   closures          the reason a case was closed → ""; the consent note of a submission on the
//                     person's behalf → null (the consent's kind and notice version stay)
//   Matrix ID proof   the verified mark (when, which ID), the requests to the bot (they hold the
//                     Matrix ID and the bot's room), their unused links
//   corrections       staff corrections of the details: before/after → {}, reason → ""; the address
//                     waiting for confirmation → null
//   decisions         reason → "" where there was one (null stays null: "no reason" stays a fact)
//   emails            every outbox row to the person (linked to the case, or addressed to the case's
//                     email and not about another case): recipient → "erased@invalid", payload → {},
//                     an error text naming the address removed; rows not yet sent (QUEUED, SENDING)
//                     are CANCELLED. A SENDING row's worker may still finish and write SENT: the relay
//                     had the message already.
//   link tokens       every token whose subject is the case (confirmation, sign-in, invitation links)
//                     or one of its registration tokens (the reveal links)
//   registration tokens  personName and personEmail → "", note → null. The token stays on the
//                     homeserver as it was (revoking is an admin's decision on the tokens page), and the
//                     row stays so the tokens page can still account for it; with no address left no
//                     new reveal link can be asked for. The approval and reveal-link emails are blanked
//                     with the case's other emails.
//   references        referees' addresses, the relationship given and what referees wrote → blank;
//                     their unused links deleted; their emails blanked (commands/references/
//                     eraseReferences.ts). That a referee was asked, and vouched or declined, stays
//   sessions          every applicant session of the case ends
//   duplicates        cases whose matches named this one are re-flagged without it
//   evidence files    every row deleted here, and the case's upload leases; the files themselves are
//                     removed by the caller after the commit (removeErasedEvidenceFiles), so that a
//                     rollback never leaves a row pointing at a deleted file. A file an upload in
//                     flight places after that has no row: the uploads sweep removes it.
// The audit log is append-only and keeps its rows: they hold the case id, states, field names and
// flags, never personal data. The case's own audit row says why it was erased.
import { endApplicantSessionsOf } from "../../applicantSessions.js";
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Transaction } from "../../db.js";
import { formatCaseNumber } from "../../domain/caseNumber.js";
import { conflict, notFound } from "../../errors.js";
import type { Logger } from "../../logger.js";
import type { EvidenceStore } from "../../storage/evidenceStore.js";
import { eraseMatrixIdProofs } from "../matrixIdentity/clearMatrixIdVerification.js";
import { eraseReferencesOf } from "../references/eraseReferences.js";
import { flagPossibleDuplicates } from "./flagPossibleDuplicates.js";

/** The outbox's recipient column is NOT NULL; a reserved domain (RFC 2606) that can never deliver. */
export const ERASED_RECIPIENT = "erased@invalid";
export const ALREADY_ERASED_MESSAGE =
  "The personal data of this case has already been erased. There is nothing more to erase.";

/**
 * Why: on request (staff), or by a retention rule: a decided or withdrawn case past CASE_RETENTION_DAYS,
 * a draft whose address was never confirmed, a draft never submitted (jobs/purgeAbandonedDrafts.ts).
 */
export type EraseReason = "applicant_request" | "retention" | "unconfirmed" | "abandoned_draft";

export interface ErasureSummary {
  cancelledEmails: number;
  blankedEmails: number;
  deletedLinkTokens: number;
  blankedRegistrationTokens: number;
  endedSessions: number;
  reflaggedCases: number;
  /** The storage keys of the evidence files whose rows were deleted: remove them after the commit. */
  evidenceStorageKeys: string[];
}

/**
 * Throws notFound() when there is no such case and conflict(ALREADY_ERASED_MESSAGE) when it was erased
 * before (the row is locked first, so two erasures of the same case run one after the other and the
 * second gets the conflict).
 */
export async function eraseCase(
  tx: Transaction,
  options: {
    caseId: string;
    audit: AuditActor;
    reason: EraseReason;
    now?: Date;
  },
): Promise<ErasureSummary> {
  const now = options.now ?? new Date();
  const [vettingCase] = await tx.$queryRaw<
    { id: string; number: number; email: string; erasedAt: Date | null }[]
  >`
    SELECT id, number, email, "erasedAt" FROM vetting_cases WHERE id = ${options.caseId}::uuid FOR UPDATE`;
  if (!vettingCase) throw notFound();
  if (vettingCase.erasedAt) throw conflict(ALREADY_ERASED_MESSAGE);
  const caseId = vettingCase.id;

  const registrationTokenIds = (
    await tx.registrationToken.findMany({ where: { caseId }, select: { id: true } })
  ).map((token) => token.id);
  const emails = await blankEmailsTo(tx, vettingCase, registrationTokenIds);
  const { count: deletedLinkTokens } = await tx.linkToken.deleteMany({
    where: {
      OR: [
        { subjectType: "vetting_case", subjectId: caseId },
        { subjectType: "registration_token", subjectId: { in: registrationTokenIds } },
      ],
    },
  });
  const { count: blankedRegistrationTokens } = await tx.registrationToken.updateMany({
    where: { caseId },
    data: { personName: "", personEmail: "", note: null },
  });
  await eraseReferencesOf(tx, caseId);
  const endedSessions = await endApplicantSessionsOf(tx, caseId);
  const evidenceStorageKeys = await deleteEvidenceFilesOf(tx, caseId);

  await tx.vettingRecord.updateMany({ where: { caseId }, data: { place: "", notes: "" } });
  await tx.caseComment.updateMany({ where: { caseId }, data: { body: "" } });
  // The original system's audit text about this case (kept beside the log by npm run import:original)
  // may name the person.
  await tx.$executeRaw`
    UPDATE imported_records SET details = NULL
     WHERE "sourceTable" = 'audit_log' AND details IS NOT NULL AND "targetId" IN (
       SELECT id::text FROM audit_events WHERE "subjectType" = 'vetting_case' AND "subjectId" = ${caseId})`;
  // A conflict's reason may say how the staff member knows the person.
  await tx.caseConflict.updateMany({ where: { caseId }, data: { reason: "" } });
  await tx.caseDecision.updateMany({ where: { caseId, reason: { not: null } }, data: { reason: "" } });
  // The applicant's messages and the reasons a case was closed are words about the person.
  await tx.caseReply.updateMany({ where: { caseId }, data: { body: "" } });
  await tx.caseClosure.updateMany({ where: { caseId }, data: { reason: "" } });
  await tx.caseDetailCorrection.updateMany({ where: { caseId }, data: { changes: {}, reason: "" } });
  await eraseMatrixIdProofs(tx, caseId);
  await tx.vettingCase.update({
    where: { id: caseId },
    data: {
      fullName: "",
      email: "",
      matrixId: null,
      phone: null,
      statement: "",
      privacyConsentNote: null,
      pendingEmail: null,
      isPossibleDuplicate: false,
      duplicateMatches: [],
      erasedAt: now,
    },
  });

  // Cases flagged as possible duplicates of this one drop it (this case no longer matches anything).
  const matchedBy = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM vetting_cases
     WHERE "erasedAt" IS NULL AND "duplicateMatches" @> jsonb_build_array(jsonb_build_object('caseId', ${caseId}::text))`;
  for (const other of matchedBy) await flagPossibleDuplicates(tx, { caseId: other.id, audit: options.audit });

  await recordAudit(
    tx,
    options.audit,
    options.reason === "applicant_request" ? "case.erased" : "case.purged",
    { type: "vetting_case", id: caseId },
    { reason: options.reason },
  );
  return {
    ...emails,
    deletedLinkTokens,
    blankedRegistrationTokens,
    endedSessions,
    reflaggedCases: matchedBy.length,
    evidenceStorageKeys,
  };
}

/**
 * The outbox rows to the person: linked to the case or to one of its registration tokens, or sent to
 * the case's address without being about another case (no other case's link, no other case's number),
 * so that a second case with the same address keeps its own record until it is erased itself.
 */
async function blankEmailsTo(
  tx: Transaction,
  vettingCase: { id: string; number: number; email: string },
  registrationTokenIds: string[],
): Promise<{ cancelledEmails: number; blankedEmails: number }> {
  const email = vettingCase.email.trim().toLowerCase();
  const caseNumber = formatCaseNumber(vettingCase.number);
  const rows = await tx.$queryRaw<{ wasUnsent: boolean }[]>`
    WITH target AS (
      SELECT id, status IN ('QUEUED', 'SENDING') AS "wasUnsent" FROM outbox_messages
       WHERE ("linkSubjectType" = 'vetting_case' AND "linkSubjectId" = ${vettingCase.id})
          OR ("linkSubjectType" = 'registration_token' AND "linkSubjectId" = ANY(${registrationTokenIds}::text[]))
          OR (${email} <> ''
              AND lower(recipient) = ${email}
              AND ("linkSubjectId" IS NULL OR ("linkSubjectType" = 'vetting_case' AND "linkSubjectId" = ${vettingCase.id}))
              AND (payload->>'caseNumber' IS NULL OR payload->>'caseNumber' = ${caseNumber}))
       FOR UPDATE
    )
    UPDATE outbox_messages AS message
       SET recipient = ${ERASED_RECIPIENT},
           payload = '{}'::jsonb,
           status = CASE WHEN target."wasUnsent" THEN 'CANCELLED'::"OutboxStatus" ELSE message.status END,
           "lastError" = CASE
             WHEN ${email} <> '' AND strpos(lower(message."lastError"), ${email}) > 0
               THEN 'The error text named the address and was removed with the personal data.'
             ELSE message."lastError" END,
           "updatedAt" = now()
      FROM target
     WHERE message.id = target.id
 RETURNING target."wasUnsent"`;
  return {
    cancelledEmails: rows.filter((row) => row.wasUnsent).length,
    blankedEmails: rows.length,
  };
}

/**
 * Deletes the case's evidence rows and upload leases in the erasure's transaction; returns the storage
 * keys whose files the caller removes once it has committed.
 */
async function deleteEvidenceFilesOf(tx: Transaction, caseId: string): Promise<string[]> {
  const files = await tx.evidenceFile.findMany({ where: { caseId }, select: { storageKey: true } });
  await tx.evidenceFile.deleteMany({ where: { caseId } });
  await tx.uploadLease.deleteMany({ where: { caseId } });
  return files.map((file) => file.storageKey);
}

/**
 * After an erasure committed: removes the files of its deleted evidence rows. A file that cannot be
 * removed is logged (it has no row any more; the uploads sweep removes it).
 */
export async function removeErasedEvidenceFiles(
  store: Pick<EvidenceStore, "remove">,
  storageKeys: readonly string[],
  logger: Logger,
): Promise<void> {
  for (const storageKey of storageKeys) {
    try {
      await store.remove(storageKey);
    } catch (error) {
      logger.error(
        { category: "evidence", err: error, storageKey },
        "an erased case's evidence file could not be removed; the uploads sweep will remove it",
      );
    }
  }
}
