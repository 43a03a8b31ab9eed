// A referee's answer, through the single-use link emailed to them (no account, no session):
//   inspectReferenceLink  GET: whether the link works, and the little the page may say (the person's
//                         name and the case's language); changes nothing, so mail scanners that fetch
//                         links consume nothing
//   answerReference       POST: consumes the link and records the answer on the reference, with the
//                         case's audit row, in one transaction; of two answers sent at once one wins
// A link whose case was erased, or whose reference was answered already, no longer works: the referee
// learns nothing more about the case than the page said.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Database, Transaction } from "../../db.js";
import { consumeLinkToken, inspectLinkToken, type LinkTokenState } from "../../tokens.js";

export type ReferenceLinkProblem = "unknown" | "expired" | "used";

export type TReferenceAnswer =
  | { answer: "vouch"; knownHow: string; knownFor: string; statement: string }
  | { answer: "decline"; statement: string };

export type ReferenceLinkState =
  | { status: "valid"; applicantName: string; language: string; expiresAt: Date }
  | { status: "unusable"; problem: ReferenceLinkProblem; language: string | null };

export async function inspectReferenceLink(
  db: Database,
  token: string,
  now = new Date(),
): Promise<ReferenceLinkState> {
  const link = await inspectLinkToken(db, "reference_request", token, now);
  return describeLink(db, link);
}

export async function answerReference(
  db: Database,
  options: { token: string; answer: TReferenceAnswer; audit: AuditActor; now?: Date },
): Promise<ReferenceLinkState> {
  const now = options.now ?? new Date();
  return db.$transaction(async (tx) => {
    const link = await consumeLinkToken(tx, "reference_request", options.token, now);
    const state = await describeLink(tx, link);
    if (state.status !== "valid" || link.status !== "valid" || !link.subject) return state;
    const answer = options.answer;
    // Conditional: only a reference still waiting takes an answer (a second link, sent again after a
    // failed delivery, cannot overwrite the first answer).
    const { count } = await tx.caseReference.updateMany({
      where: { id: link.subject.id, status: "REQUESTED" },
      data:
        answer.answer === "vouch"
          ? {
              status: "VOUCHED",
              answeredAt: now,
              knownHow: answer.knownHow,
              knownFor: answer.knownFor,
              statement: answer.statement || null,
            }
          : { status: "DECLINED", answeredAt: now, statement: answer.statement || null },
    });
    if (count === 0) return { status: "unusable", problem: "used", language: state.language };
    const reference = await tx.caseReference.findUniqueOrThrow({
      where: { id: link.subject.id },
      select: { caseId: true },
    });
    await recordAudit(
      tx,
      options.audit,
      "case.reference_answered",
      { type: "vetting_case", id: reference.caseId },
      { referenceId: link.subject.id, answer: answer.answer === "vouch" ? "vouched" : "declined" },
    );
    return state;
  });
}

/** The reference behind a link, as much as its page may show; a reference answered or erased is unusable. */
async function describeLink(db: Database | Transaction, link: LinkTokenState): Promise<ReferenceLinkState> {
  const subject = link.status === "valid" ? link.subject : null;
  if (link.status !== "valid" || !subject || subject.type !== "case_reference") {
    return { status: "unusable", problem: link.status === "valid" ? "unknown" : link.status, language: null };
  }
  const reference = await db.caseReference.findUnique({
    where: { id: subject.id },
    select: { status: true, vettingCase: { select: { fullName: true, language: true, erasedAt: true } } },
  });
  if (!reference || reference.vettingCase.erasedAt) {
    return { status: "unusable", problem: "unknown", language: null };
  }
  const language = reference.vettingCase.language;
  if (reference.status !== "REQUESTED") return { status: "unusable", problem: "used", language };
  return {
    status: "valid",
    applicantName: reference.vettingCase.fullName,
    language,
    expiresAt: link.expiresAt,
  };
}
