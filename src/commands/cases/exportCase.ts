// A case's data and history as one JSON document, for the person's access request (or for the record).
// The export is itself audited before anything is read for it, so the audit row is there before any
// data leaves; the document's timeline includes that row.
//
// Evidence files are listed with their metadata (name, type, size, SHA-256, who uploaded them and when,
// the note), not their content.
//
// Matrix registration tokens are listed with their state and dates (who issued them, when created,
// revealed, revoked, when they expire), never the token string itself.
//
// References are listed in full: who was asked (the referee's address), by whom, the relationship given,
// and the referee's answer. The applicant's own pages never show the answer; an access request is
// answered by staff, who decide what of a third party's words to hand over.
//
// The emails listed are those sent to the person (linked to the case, or addressed to its email): kind,
// status and times only. Their bodies are rendered at delivery and never stored; their payloads are
// display data already in the case.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Database } from "../../db.js";
import { formatCaseNumber } from "../../domain/caseNumber.js";
import type { Prisma } from "../../generated/prisma/client.js";
import { readDuplicateMatches } from "./flagPossibleDuplicates.js";

export interface TCaseExport {
  exportedAt: string;
  exportedBy: { id: string; name: string };
  case: Record<string, unknown>;
  vettingRecords: Record<string, unknown>[];
  comments: Record<string, unknown>[];
  decisions: Record<string, unknown>[];
  /** The applicant's messages to the vetting team. */
  replies: Record<string, unknown>[];
  /** Closings without a decision, and reopenings. */
  closures: Record<string, unknown>[];
  /** Staff corrections of the person's details, before and after. */
  detailCorrections: Record<string, unknown>[];
  /** What is known about each evidence file (not its content: download the files from the case page). */
  evidenceFiles: Record<string, unknown>[];
  /** The Matrix registration tokens issued for the case (not the token strings). */
  registrationTokens: Record<string, unknown>[];
  /** The referees asked to vouch for the person, and their answers. */
  references: Record<string, unknown>[];
  timeline: Record<string, unknown>[];
  emails: Record<string, unknown>[];
}

const staffName = { select: { id: true, name: true } } as const;

/** Null when there is no such case (nothing is audited then). */
export async function exportCase(
  db: Database,
  options: { caseId: string; exportedBy: { id: string; name: string }; audit: AuditActor; now?: Date },
): Promise<{ number: string; document: TCaseExport } | null> {
  const now = options.now ?? new Date();
  const subject = { type: "vetting_case", id: options.caseId };
  const isAudited = await db.$transaction(async (tx) => {
    const exists = (await tx.vettingCase.count({ where: { id: options.caseId } })) === 1;
    if (exists) await recordAudit(tx, options.audit, "case.exported", subject);
    return exists;
  });
  if (!isAudited) return null;
  // Read outside the audit's transaction: Prisma runs a nested read's parts side by side, which one
  // transaction's single connection would have to queue.
  const vettingCase = await db.vettingCase.findUnique({
    where: { id: options.caseId },
    include: {
      createdBy: staffName,
      assignedTo: staffName,
      vettingRecords: { include: { agent: staffName }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] },
      comments: { include: { author: staffName }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] },
      decisions: { include: { decidedBy: staffName }, orderBy: [{ decidedAt: "asc" }, { id: "asc" }] },
      submittedBy: staffName,
      replies: { orderBy: [{ createdAt: "asc" }, { id: "asc" }] },
      closures: {
        include: { closedBy: staffName, reopenedBy: staffName },
        orderBy: [{ closedAt: "asc" }, { id: "asc" }],
      },
      detailCorrections: {
        include: { changedBy: staffName },
        orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      },
      evidenceFiles: {
        select: {
          id: true,
          displayName: true,
          mediaType: true,
          sizeBytes: true,
          sha256: true,
          note: true,
          uploaderKind: true,
          uploadedBy: staffName,
          createdAt: true,
        },
        orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      },
      references: {
        select: {
          id: true,
          refereeEmail: true,
          refereeMatrixId: true,
          relationship: true,
          requestedBy: staffName,
          requestedAt: true,
          status: true,
          answeredAt: true,
          knownHow: true,
          knownFor: true,
          statement: true,
        },
        orderBy: [{ requestedAt: "asc" }, { id: "asc" }],
      },
      registrationTokens: {
        select: {
          id: true,
          state: true,
          createdBy: staffName,
          createdAt: true,
          createdOnHomeserverAt: true,
          expiresAt: true,
          revealCount: true,
          revealedAt: true,
          revokedAt: true,
        },
        orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      },
    },
  });
  if (!vettingCase) return null;

  const auditEvents = await db.auditEvent.findMany({
    where: { subjectType: subject.type, subjectId: subject.id },
    select: {
      id: true,
      occurredAt: true,
      action: true,
      actorLabel: true,
      actor: staffName,
      details: true,
    },
    orderBy: { id: "asc" },
  });
  const emailConditions: Prisma.OutboxMessageWhereInput[] = [
    { linkSubjectType: subject.type, linkSubjectId: subject.id },
  ];
  if (vettingCase.email)
    emailConditions.push({ recipient: { equals: vettingCase.email, mode: "insensitive" } });
  const emails = await db.outboxMessage.findMany({
    where: { OR: emailConditions },
    select: { id: true, kind: true, status: true, createdAt: true, sentAt: true },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
  });

  const number = formatCaseNumber(vettingCase.number);
  const document: TCaseExport = {
    exportedAt: now.toISOString(),
    exportedBy: options.exportedBy,
    case: {
      id: vettingCase.id,
      number,
      state: vettingCase.state,
      origin: vettingCase.origin,
      fullName: vettingCase.fullName,
      email: vettingCase.email,
      matrixId: vettingCase.matrixId,
      phone: vettingCase.phone,
      statement: vettingCase.statement,
      privacyNoticeVersion: vettingCase.privacyNoticeVersion,
      // The language of the notice's text the person accepted (null: not recorded at the time).
      privacyNoticeLanguage: vettingCase.privacyNoticeLanguage,
      privacyConsentAt: iso(vettingCase.privacyConsentAt),
      emailConfirmedAt: iso(vettingCase.emailConfirmedAt),
      pendingEmail: vettingCase.pendingEmail,
      privacyConsentKind: vettingCase.privacyConsentKind,
      privacyConsentNote: vettingCase.privacyConsentNote,
      submittedBy: vettingCase.submittedBy,
      closedAt: iso(vettingCase.closedAt),
      createdBy: vettingCase.createdBy,
      assignedTo: vettingCase.assignedTo,
      isPossibleDuplicate: vettingCase.isPossibleDuplicate,
      duplicateMatches: readDuplicateMatches(vettingCase.duplicateMatches).map((match) => ({
        caseId: match.caseId,
        number: formatCaseNumber(match.number),
        matchedOn: match.matchedOn,
      })),
      createdAt: iso(vettingCase.createdAt),
      updatedAt: iso(vettingCase.updatedAt),
      submittedAt: iso(vettingCase.submittedAt),
      lastSubmittedAt: iso(vettingCase.lastSubmittedAt),
      decidedAt: iso(vettingCase.decidedAt),
      withdrawnAt: iso(vettingCase.withdrawnAt),
      erasedAt: iso(vettingCase.erasedAt),
    },
    vettingRecords: vettingCase.vettingRecords.map((record) => ({
      id: record.id,
      agent: record.agent,
      identityVerified: record.identityVerified,
      method: record.method,
      verifiedOn: record.verifiedOn.toISOString().slice(0, 10),
      place: record.place,
      notes: record.notes,
      score: record.score,
      recommendation: record.recommendation,
      citedReferenceId: record.citedReferenceId,
      createdAt: iso(record.createdAt),
    })),
    comments: vettingCase.comments.map((comment) => ({
      id: comment.id,
      author: comment.author,
      body: comment.body,
      isVisibleToApplicant: comment.isVisibleToApplicant,
      createdAt: iso(comment.createdAt),
    })),
    decisions: vettingCase.decisions.map((decision) => ({
      id: decision.id,
      kind: decision.kind,
      decidedBy: decision.decidedBy,
      reason: decision.reason,
      isReasonSharedWithApplicant: decision.isReasonSharedWithApplicant,
      decidedAt: iso(decision.decidedAt),
    })),
    replies: vettingCase.replies.map((reply) => ({
      id: reply.id,
      body: reply.body,
      answersDecisionId: reply.answersDecisionId,
      createdAt: iso(reply.createdAt),
    })),
    closures: vettingCase.closures.map((closure) => ({
      id: closure.id,
      kind: closure.kind,
      duplicateOfCaseId: closure.duplicateOfCaseId,
      reason: closure.reason,
      closedBy: closure.closedBy,
      closedAt: iso(closure.closedAt),
      reopenedBy: closure.reopenedBy,
      reopenedAt: iso(closure.reopenedAt),
    })),
    detailCorrections: vettingCase.detailCorrections.map((correction) => ({
      id: correction.id,
      changedBy: correction.changedBy,
      reason: correction.reason,
      changes: correction.changes,
      createdAt: iso(correction.createdAt),
    })),
    evidenceFiles: vettingCase.evidenceFiles.map((file) => ({
      id: file.id,
      displayName: file.displayName,
      mediaType: file.mediaType,
      sizeBytes: file.sizeBytes,
      sha256: file.sha256,
      uploadedAt: iso(file.createdAt),
      uploaderKind: file.uploaderKind,
      uploadedBy: file.uploadedBy,
      note: file.note,
    })),
    references: vettingCase.references.map((reference) => ({
      id: reference.id,
      refereeEmail: reference.refereeEmail,
      refereeMatrixId: reference.refereeMatrixId,
      relationship: reference.relationship,
      requestedBy: reference.requestedBy ?? "applicant",
      requestedAt: iso(reference.requestedAt),
      status: reference.status,
      answeredAt: iso(reference.answeredAt),
      knownHow: reference.knownHow,
      knownFor: reference.knownFor,
      statement: reference.statement,
    })),
    registrationTokens: vettingCase.registrationTokens.map((token) => ({
      id: token.id,
      state: token.state,
      issuedBy: token.createdBy,
      issuedAt: iso(token.createdAt),
      createdOnHomeserverAt: iso(token.createdOnHomeserverAt),
      expiresAt: iso(token.expiresAt),
      revealCount: token.revealCount,
      lastRevealedAt: iso(token.revealedAt),
      revokedAt: iso(token.revokedAt),
    })),
    timeline: auditEvents.map((event) => ({
      id: event.id.toString(),
      occurredAt: iso(event.occurredAt),
      action: event.action,
      actor: event.actor ?? { label: event.actorLabel },
      details: event.details,
    })),
    emails: emails.map((email) => ({
      id: email.id,
      kind: email.kind,
      status: email.status,
      createdAt: iso(email.createdAt),
      sentAt: iso(email.sentAt),
    })),
  };
  return { number, document };
}

function iso(value: Date | null): string | null {
  return value ? value.toISOString() : null;
}
