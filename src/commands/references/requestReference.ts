// Asking a referee to vouch for the person: named by the applicant from their workspace, or asked by a
// staff member from the case page. One transaction: the case locked (so two requests at once cannot
// pass REFEREES_MAX together), the refusals checked, the reference row, the referee's email (its
// single-use link minted at delivery) and the audit row.
//
// Refused, with a reason the page says in the person's language:
//   own_address    the referee's address is the applicant's own
//   same_person    it is the address of another case the duplicate check ties to this person (same
//                  email, phone or Matrix ID): someone vouching for themselves under another case
//   already_asked  this address was asked on this case already
//   too_many       the applicant has named REFEREES_MAX referees (staff requests do not count: the
//                  limit keeps an applicant from mailing people through the portal, not the vetting team)
//   closed         the case is decided, withdrawn, closed or erased: nothing is waiting for an answer
// The audit row carries the reference's id and who asked, never the referee's address.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Config } from "../../config.js";
import type { Database, Transaction } from "../../db.js";
import { forbidden, notFound } from "../../errors.js";
import { enqueueEmail } from "../../mail/outbox.js";
import { canAskReferee, isOpenCase } from "../../policies/cases.js";
import type { Actor } from "../../policies/staff.js";
import { findCaseForCommand, lockCase } from "../../queries/cases.js";
import { findMatches } from "../cases/flagPossibleDuplicates.js";

export const REFERENCE_REFUSALS = [
  "own_address",
  "same_person",
  "already_asked",
  "too_many",
  "closed",
] as const;
export type ReferenceRefusal = (typeof REFERENCE_REFUSALS)[number];

export type ReferenceRequestOutcome =
  | { status: "requested"; referenceId: string; outboxMessageId: string }
  | { status: "refused"; reason: ReferenceRefusal };

export interface TReferenceRequest {
  /** Lower-cased by the form's schema. */
  refereeEmail: string;
  /** How the referee knows the person, as the one asking says. */
  relationship: string;
}

export async function requestReference(
  db: Database,
  options: {
    caseId: string;
    referee: TReferenceRequest;
    /** The staff member asking; null when the applicant names the referee. */
    staff: Actor | null;
    config: Pick<Config, "references">;
    audit: AuditActor;
    now?: Date;
  },
): Promise<ReferenceRequestOutcome> {
  return db.$transaction(async (tx) => {
    await lockCase(tx, options.caseId);
    const vettingCase = await findCaseForCommand(tx, options.caseId);
    if (!vettingCase) throw notFound();
    if (options.staff && !canAskReferee(options.staff, vettingCase.facts)) {
      // A closed case is a refusal the page explains; anything else is not this person's to do.
      if (!isOpenCase(vettingCase.facts)) return refused("closed");
      throw forbidden("You have a conflict of interest on this case, so you cannot ask referees for it.");
    }
    if (!isOpenCase(vettingCase.facts)) return refused("closed");
    const refusal = await refusalFor(tx, vettingCase, options);
    if (refusal) return refused(refusal);

    const reference = await tx.caseReference.create({
      data: {
        caseId: vettingCase.id,
        refereeEmail: options.referee.refereeEmail,
        relationship: options.referee.relationship,
        requestedById: options.staff?.id ?? null,
        ...(options.now ? { requestedAt: options.now } : {}),
      },
      select: { id: true },
    });
    const { outboxMessageId } = await enqueueEmail(tx, {
      kind: "reference_request",
      recipient: options.referee.refereeEmail,
      payload: { applicantName: vettingCase.fullName },
      linkSubject: { type: "case_reference", id: reference.id },
      language: vettingCase.language,
    });
    await recordAudit(
      tx,
      options.audit,
      "case.reference_requested",
      { type: "vetting_case", id: vettingCase.id },
      { referenceId: reference.id, requestedBy: options.staff ? "staff" : "applicant", outboxMessageId },
    );
    return { status: "requested", referenceId: reference.id, outboxMessageId };
  });
}

function refused(reason: ReferenceRefusal): ReferenceRequestOutcome {
  return { status: "refused", reason };
}

async function refusalFor(
  tx: Transaction,
  vettingCase: { id: string; email: string; phone: string | null; matrixId: string | null },
  options: { referee: TReferenceRequest; staff: Actor | null; config: Pick<Config, "references"> },
): Promise<ReferenceRefusal | null> {
  const address = options.referee.refereeEmail;
  if (address === vettingCase.email.trim().toLowerCase()) return "own_address";
  // The person's other cases, as the duplicate check finds them (erased cases never match).
  const samePerson = await findMatches(tx, vettingCase.id, vettingCase);
  if (samePerson.length > 0) {
    const otherAddresses = await tx.vettingCase.findMany({
      where: { id: { in: samePerson.map((match) => match.caseId) } },
      select: { email: true, pendingEmail: true },
    });
    const isSamePerson = otherAddresses.some(
      (other) => other.email.toLowerCase() === address || other.pendingEmail?.toLowerCase() === address,
    );
    if (isSamePerson) return "same_person";
  }
  const asked = await tx.caseReference.findMany({
    where: { caseId: vettingCase.id },
    select: { refereeEmail: true, requestedById: true },
  });
  if (asked.some((reference) => reference.refereeEmail === address)) return "already_asked";
  const namedByApplicant = asked.filter((reference) => reference.requestedById === null).length;
  if (!options.staff && namedByApplicant >= options.config.references.refereesMax) return "too_many";
  return null;
}
