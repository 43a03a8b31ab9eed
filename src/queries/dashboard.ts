// Reads for the staff home page: a person's assigned cases and what happened on them lately, and for
// admins the state of the whole queue (counts by state, cases waiting longest for a decision, recent
// decisions). Each list is small and bounded; the queue is where people go for more.
import type { Database } from "../db.js";
import { type CaseState, OPEN_STATES } from "../domain/caseStates.js";
import type { DecisionKind } from "../generated/prisma/client.js";

/** Cases that still wait for someone: neither decided nor withdrawn, and not erased. */

const caseSummarySelect = {
  id: true,
  number: true,
  state: true,
  fullName: true,
  erasedAt: true,
  createdAt: true,
  lastSubmittedAt: true,
} as const;

export interface CaseSummaryRow {
  id: string;
  number: number;
  state: CaseState;
  fullName: string;
  erasedAt: Date | null;
  createdAt: Date;
  lastSubmittedAt: Date | null;
}

/** Open cases assigned to this person, the one waiting longest first (never-submitted drafts last). */
export function findAssignedOpenCases(
  db: Database,
  staffUserId: string,
  limit = 20,
): Promise<CaseSummaryRow[]> {
  return db.vettingCase.findMany({
    where: { assignedToId: staffUserId, state: { in: [...OPEN_STATES] }, erasedAt: null },
    orderBy: [{ lastSubmittedAt: { sort: "asc", nulls: "last" } }, { createdAt: "asc" }, { number: "asc" }],
    take: limit,
    select: caseSummarySelect,
  });
}

export interface CaseActivityRow {
  id: bigint;
  occurredAt: Date;
  action: string;
  actorName: string | null;
  actorLabel: string;
  caseId: string;
  caseNumber: number;
  fullName: string;
  erasedAt: Date | null;
}

/** The latest case events on the cases assigned to this person (whatever their state now). */
export function findActivityOnAssignedCases(
  db: Database,
  staffUserId: string,
  limit = 20,
): Promise<CaseActivityRow[]> {
  // A join Prisma cannot express: audit rows name their subject by type and text id.
  return db.$queryRaw<CaseActivityRow[]>`
    SELECT event.id, event."occurredAt", event.action, actor.name AS "actorName", event."actorLabel",
           vetting_case.id AS "caseId", vetting_case.number AS "caseNumber", vetting_case."fullName",
           vetting_case."erasedAt"
      FROM audit_events event
      JOIN vetting_cases vetting_case
        ON event."subjectType" = 'vetting_case' AND event."subjectId" = vetting_case.id::text
      LEFT JOIN staff_users actor ON actor.id = event."actorId"
     WHERE vetting_case."assignedToId" = ${staffUserId}::uuid
       AND event.action LIKE 'case.%'
     ORDER BY event."occurredAt" DESC, event.id DESC
     LIMIT ${limit}`;
}

/** How many cases are in each state (every state listed, zero included). */
export async function countCasesByState(db: Database): Promise<Record<CaseState, number>> {
  const groups = await db.vettingCase.groupBy({ by: ["state"], _count: { _all: true } });
  const counts: Record<CaseState, number> = {
    DRAFT: 0,
    SUBMITTED: 0,
    IN_REVIEW: 0,
    MORE_INFORMATION_REQUESTED: 0,
    APPROVED: 0,
    REJECTED: 0,
    WITHDRAWN: 0,
    CLOSED: 0,
  };
  for (const group of groups) counts[group.state] = group._count._all;
  return counts;
}

/** Cases in review, the one (re)submitted longest ago first: the admins' to-decide list. */
export function findCasesWaitingLongestForDecision(
  db: Database,
  limit = 10,
): Promise<Array<CaseSummaryRow & { assignedTo: { name: string } | null }>> {
  return db.vettingCase.findMany({
    where: { state: "IN_REVIEW", erasedAt: null },
    orderBy: [{ lastSubmittedAt: { sort: "asc", nulls: "last" } }, { number: "asc" }],
    take: limit,
    select: { ...caseSummarySelect, assignedTo: { select: { name: true } } },
  });
}

export interface RecentDecisionRow {
  id: string;
  kind: DecisionKind;
  decidedAt: Date;
  decidedBy: { name: string };
  vettingCase: { id: string; number: number; fullName: string; erasedAt: Date | null };
}

export function findRecentDecisions(db: Database, limit = 10): Promise<RecentDecisionRow[]> {
  return db.caseDecision.findMany({
    orderBy: [{ decidedAt: "desc" }, { id: "asc" }],
    take: limit,
    select: {
      id: true,
      kind: true,
      decidedAt: true,
      decidedBy: { select: { name: true } },
      vettingCase: { select: { id: true, number: true, fullName: true, erasedAt: true } },
    },
  });
}
