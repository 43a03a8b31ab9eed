// Asking a referee to vouch for the person: named by the applicant from their workspace, or asked by a
// staff member from the case page, by email address or (when the portal's Matrix bot is configured) by
// Matrix ID. One transaction: the case locked (so two requests at once cannot pass REFEREES_MAX
// together), the refusals checked, the reference row, the referee's message and the audit row. The
// message is an outbox email for an address, or the send_reference_request_message job for a Matrix ID
// (the bot's direct message, jobs/sendReferenceRequestMessage.ts); either way its single-use link is
// minted at delivery.
//
// Refused, with a reason the page says in the person's language:
//   own_address    the referee's address (or Matrix ID) is the applicant's own
//   same_person    it is the address or Matrix ID of another case the duplicate check ties to this
//                  person (same email, phone or Matrix ID): someone vouching for themselves under
//                  another case
//   already_asked  this address (or Matrix ID) was asked on this case already
//   matrix_off     a Matrix ID was given but no bot is configured to send to it
//   too_many       the applicant has named REFEREES_MAX referees (staff requests do not count: the
//                  limit keeps an applicant from mailing people through the portal, not the vetting team;
//                  nor do Matrix IDs the bot could not reach)
//   closed         the case is decided, withdrawn, closed or erased: nothing is waiting for an answer
// The audit row carries the reference's id and who asked, never the referee's address.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Config } from "../../config.js";
import type { Database, Transaction } from "../../db.js";
import { forbidden, notFound } from "../../errors.js";
import { enqueueJob } from "../../jobs/queue.js";
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
  "matrix_off",
] as const;
/** How many times the bot's direct message is tried against a homeserver that does not answer. */
export const REFERENCE_MESSAGE_ATTEMPTS = 5;

export type ReferenceRefusal = (typeof REFERENCE_REFUSALS)[number];

export type ReferenceRequestOutcome =
  | { status: "requested"; referenceId: string; outboxMessageId: string | null }
  | { status: "refused"; reason: ReferenceRefusal };

/** Exactly one of the email address and the Matrix ID (the form's schema sees to it). */
export interface TReferenceRequest {
  /** Lower-cased by the form's schema. */
  refereeEmail: string | null;
  refereeMatrixId: string | null;
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
    config: Pick<Config, "references" | "matrixBot">;
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
        refereeMatrixId: options.referee.refereeMatrixId,
        relationship: options.referee.relationship,
        requestedById: options.staff?.id ?? null,
        ...(options.now ? { requestedAt: options.now } : {}),
      },
      select: { id: true },
    });
    let outboxMessageId: string | null = null;
    if (options.referee.refereeEmail !== null) {
      ({ outboxMessageId } = await enqueueEmail(tx, {
        kind: "reference_request",
        recipient: options.referee.refereeEmail,
        payload: { applicantName: vettingCase.fullName },
        linkSubject: { type: "case_reference", id: reference.id },
        language: vettingCase.language,
      }));
    } else {
      await enqueueJob(
        tx,
        "send_reference_request_message",
        { referenceId: reference.id },
        { jobKey: `reference_request_message:${reference.id}`, maxAttempts: REFERENCE_MESSAGE_ATTEMPTS },
      );
    }
    await recordAudit(
      tx,
      options.audit,
      "case.reference_requested",
      { type: "vetting_case", id: vettingCase.id },
      {
        referenceId: reference.id,
        requestedBy: options.staff ? "staff" : "applicant",
        channel: outboxMessageId ? "email" : "matrix",
        outboxMessageId,
      },
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
  options: {
    referee: TReferenceRequest;
    staff: Actor | null;
    config: Pick<Config, "references" | "matrixBot">;
  },
): Promise<ReferenceRefusal | null> {
  const { refereeEmail: address, refereeMatrixId } = options.referee;
  const matrixId = refereeMatrixId?.toLowerCase() ?? null;
  if (matrixId !== null && options.config.matrixBot === null) return "matrix_off";
  if (address !== null && address === vettingCase.email.trim().toLowerCase()) return "own_address";
  if (matrixId !== null && matrixId === vettingCase.matrixId?.toLowerCase()) return "own_address";
  // The person's other cases, as the duplicate check finds them (erased cases never match).
  const samePerson = await findMatches(tx, vettingCase.id, vettingCase);
  if (samePerson.length > 0) {
    const others = await tx.vettingCase.findMany({
      where: { id: { in: samePerson.map((match) => match.caseId) } },
      select: { email: true, pendingEmail: true, matrixId: true },
    });
    const isSamePerson = others.some((other) =>
      address !== null
        ? other.email.toLowerCase() === address || other.pendingEmail?.toLowerCase() === address
        : other.matrixId?.toLowerCase() === matrixId,
    );
    if (isSamePerson) return "same_person";
  }
  const asked = await tx.caseReference.findMany({
    where: { caseId: vettingCase.id },
    select: { refereeEmail: true, refereeMatrixId: true, requestedById: true, matrixFailure: true },
  });
  const isAsked = asked.some((reference) =>
    address !== null
      ? reference.refereeEmail === address
      : reference.refereeMatrixId?.toLowerCase() === matrixId,
  );
  if (isAsked) return "already_asked";
  // A referee the bot could not reach does not use up a place: the applicant is asked to name another.
  const namedByApplicant = asked.filter(
    (reference) => reference.requestedById === null && reference.matrixFailure === null,
  ).length;
  if (!options.staff && namedByApplicant >= options.config.references.refereesMax) return "too_many";
  return null;
}
