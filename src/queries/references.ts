// Reads of a case's references. Two shapes on purpose: the applicant's (who they named, and whether
// each answered: never what was written, never who staff asked) and the staff's (everything).
import type { Database } from "../db.js";

/**
 * The applicant's own referees: address (or Matrix ID), relationship, whether answered, and whether the
 * bot's message could not be sent. Staff requests are not theirs.
 */
export function findApplicantReferences(db: Database, caseId: string) {
  return db.caseReference.findMany({
    where: { caseId, requestedById: null },
    orderBy: [{ requestedAt: "asc" }, { id: "asc" }],
    select: {
      id: true,
      refereeEmail: true,
      refereeMatrixId: true,
      relationship: true,
      answeredAt: true,
      matrixFailure: true,
    },
  });
}

export type ApplicantReferenceRow = Awaited<ReturnType<typeof findApplicantReferences>>[number];

/** Every reference of the case with its answer, for the staff case page. */
export function findCaseReferences(db: Database, caseId: string) {
  return db.caseReference.findMany({
    where: { caseId },
    orderBy: [{ requestedAt: "asc" }, { id: "asc" }],
    select: {
      id: true,
      refereeEmail: true,
      refereeMatrixId: true,
      relationship: true,
      matrixSentAt: true,
      matrixFailure: true,
      requestedBy: { select: { name: true } },
      requestedAt: true,
      status: true,
      answeredAt: true,
      knownHow: true,
      knownFor: true,
      statement: true,
      citingRecords: {
        orderBy: [{ createdAt: "asc" }, { id: "asc" }],
        select: { id: true, agent: { select: { name: true } } },
      },
    },
  });
}

export type CaseReferenceRow = Awaited<ReturnType<typeof findCaseReferences>>[number];
