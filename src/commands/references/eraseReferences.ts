// A case's references when its personal data is erased (eraseCase, on request or by a retention rule),
// in the erasure's transaction. What stays: that a referee was asked, by the applicant or by which staff
// member, when, and whether they vouched or declined (facts the decision may have rested on, like a
// vetting record's outcome). What goes: the referee's address or Matrix ID (and the bot's direct room
// with them), the relationship given, and everything the referee wrote; the links not yet used; the
// emails to referees (their address, and the person's name in the payload), cancelled when not yet
// sent. A direct message the bot sent stays on the homeserver: the portal cannot unsend it, and it
// says only the person's name and the community's.
import type { Transaction } from "../../db.js";

/** The outbox's recipient column is NOT NULL; the same reserved address eraseCase uses. */
const ERASED_RECIPIENT = "erased@invalid";

export async function eraseReferencesOf(
  tx: Transaction,
  caseId: string,
): Promise<{ blankedReferences: number; deletedLinkTokens: number; blankedEmails: number }> {
  const referenceIds = (await tx.caseReference.findMany({ where: { caseId }, select: { id: true } })).map(
    (reference) => reference.id,
  );
  if (referenceIds.length === 0) return { blankedReferences: 0, deletedLinkTokens: 0, blankedEmails: 0 };
  const blankedEmails = await tx.$executeRaw`
    UPDATE outbox_messages
       SET recipient = ${ERASED_RECIPIENT},
           payload = '{}'::jsonb,
           status = CASE WHEN status IN ('QUEUED', 'SENDING') THEN 'CANCELLED'::"OutboxStatus" ELSE status END,
           "lastError" = CASE WHEN "lastError" IS NULL THEN NULL
             ELSE 'The error text may have named the address and was removed with the personal data.' END,
           "updatedAt" = now()
     WHERE "linkSubjectType" = 'case_reference' AND "linkSubjectId" = ANY(${referenceIds}::text[])`;
  const { count: deletedLinkTokens } = await tx.linkToken.deleteMany({
    where: { subjectType: "case_reference", subjectId: { in: referenceIds } },
  });
  const { count: blankedReferences } = await tx.caseReference.updateMany({
    where: { caseId },
    data: {
      refereeEmail: null,
      refereeMatrixId: null,
      matrixRoomId: null,
      relationship: "",
      knownHow: null,
      knownFor: null,
      statement: null,
    },
  });
  return { blankedReferences, deletedLinkTokens, blankedEmails };
}
