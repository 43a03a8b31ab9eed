// Reads of vetting cases for the staff pages: the queue (tabs, search, filters, sort, keyset pages),
// the case page (the case with its records, comments, decisions and timeline) and the staff lists the
// forms offer. Explicit selects only.
//
// The queue pages by keyset on the chosen order plus the id as a tiebreaker: a page is "the rows after
// the last one shown", so cases added or moved meanwhile never shift a page, and page 40 costs what
// page 1 does (no OFFSET).
import type { AuditAction } from "../audit.js";
import type { Database, Transaction } from "../db.js";
import { parseCaseNumber } from "../domain/caseNumber.js";
import type { CaseState } from "../domain/caseStates.js";
import { conflict, notFound } from "../errors.js";
import type { Prisma, Recommendation } from "../generated/prisma/client.js";
import type { CaseFacts } from "../policies/cases.js";
import { encodeTupleCursor, parseTupleCursor } from "./keyset.js";

export const CASE_QUEUE_TABS = [
  "all",
  "submitted",
  "in_review",
  "more_information",
  "decided",
  "assigned",
] as const;
export type TCaseQueueTab = (typeof CASE_QUEUE_TABS)[number];

export const CASE_QUEUE_SORTS = ["waiting", "newest", "name"] as const;
export type TCaseQueueSort = (typeof CASE_QUEUE_SORTS)[number];

export interface TCaseQueueFilter {
  /** Name, email or Matrix ID (case-insensitive substring), or a case number. */
  q?: string;
  state?: CaseState;
  /** A staff member's id, or "unassigned". */
  assignee?: string;
  /** Cases with at least one vetting record recommending this. */
  recommendation?: Recommendation;
  /** Cases with at least one vetting record of this score. */
  score?: number;
  /** First submission, inclusive lower bound. */
  submittedFrom?: Date;
  /** First submission, exclusive upper bound. */
  submittedUntil?: Date;
  isPossibleDuplicate?: boolean;
}

/** Where the next page starts: the sort it belongs to, the last row's sort value and id. */
export interface TCaseQueueCursor {
  sort: TCaseQueueSort;
  /** ISO timestamp (waiting, newest), a name (name), or null (waiting: not yet submitted). */
  key: string | null;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function encodeCaseQueueCursor(cursor: TCaseQueueCursor): string {
  return encodeTupleCursor([cursor.sort, cursor.key, cursor.id]);
}

/** The cursor, or null when the text is not a cursor of this sort order (edited, or from another sort). */
export function parseCaseQueueCursor(text: string, sort: TCaseQueueSort): TCaseQueueCursor | null {
  const values = parseTupleCursor(text, 3);
  if (!values) return null;
  const [cursorSort, key = null, id] = values;
  if (cursorSort !== sort || !id || !UUID.test(id)) return null;
  if (sort === "name" && key === null) return null;
  if (sort === "newest" && (key === null || !ISO_TIMESTAMP.test(key))) return null;
  if (sort === "waiting" && key !== null && !ISO_TIMESTAMP.test(key)) return null;
  return { sort, key, id };
}

/** The search and filters (everything but the tab), as a where clause. */
function filterWhere(filter: TCaseQueueFilter): Prisma.VettingCaseWhereInput[] {
  const where: Prisma.VettingCaseWhereInput[] = [];
  const q = filter.q?.trim();
  if (q) {
    const number = parseCaseNumber(q);
    where.push({
      OR: [
        // Erased cases keep placeholders in these columns; they must not match a search for a person.
        { erasedAt: null, fullName: { contains: q, mode: "insensitive" } },
        { erasedAt: null, email: { contains: q, mode: "insensitive" } },
        { erasedAt: null, matrixId: { contains: q, mode: "insensitive" } },
        ...(number !== null ? [{ number }] : []),
      ],
    });
  }
  if (filter.state) where.push({ state: filter.state });
  if (filter.assignee === "unassigned") where.push({ assignedToId: null });
  else if (filter.assignee) where.push({ assignedToId: filter.assignee });
  // Two filters, each about any of the case's records (one agent may recommend, another score).
  if (filter.recommendation)
    where.push({ vettingRecords: { some: { recommendation: filter.recommendation } } });
  if (filter.score) where.push({ vettingRecords: { some: { score: filter.score } } });
  if (filter.submittedFrom || filter.submittedUntil) {
    where.push({
      submittedAt: {
        ...(filter.submittedFrom ? { gte: filter.submittedFrom } : {}),
        ...(filter.submittedUntil ? { lt: filter.submittedUntil } : {}),
      },
    });
  }
  if (filter.isPossibleDuplicate) where.push({ isPossibleDuplicate: true });
  return where;
}

/** The cases a tab shows. "Assigned to me" is the viewer's open cases. */
function tabWhere(tab: TCaseQueueTab, viewerId: string): Prisma.VettingCaseWhereInput {
  switch (tab) {
    case "all":
      return {};
    case "submitted":
      return { state: "SUBMITTED" };
    case "in_review":
      return { state: "IN_REVIEW" };
    case "more_information":
      return { state: "MORE_INFORMATION_REQUESTED" };
    case "decided":
      return { state: { in: ["APPROVED", "REJECTED"] } };
    case "assigned":
      return {
        assignedToId: viewerId,
        erasedAt: null,
        state: { in: ["DRAFT", "SUBMITTED", "IN_REVIEW", "MORE_INFORMATION_REQUESTED"] },
      };
  }
}

function orderFor(sort: TCaseQueueSort): Prisma.VettingCaseOrderByWithRelationInput[] {
  switch (sort) {
    case "waiting":
      // Not yet submitted (drafts) have waited for nobody: they come last.
      return [{ lastSubmittedAt: { sort: "asc", nulls: "last" } }, { id: "asc" }];
    case "newest":
      return [{ createdAt: "desc" }, { id: "desc" }];
    case "name":
      return [{ fullName: "asc" }, { id: "asc" }];
  }
}

/** The rows strictly after the cursor in the sort's order. */
function afterWhere(cursor: TCaseQueueCursor): Prisma.VettingCaseWhereInput {
  switch (cursor.sort) {
    case "waiting": {
      if (cursor.key === null) return { lastSubmittedAt: null, id: { gt: cursor.id } };
      const key = new Date(cursor.key);
      return {
        OR: [
          { lastSubmittedAt: { gt: key } },
          { lastSubmittedAt: key, id: { gt: cursor.id } },
          { lastSubmittedAt: null },
        ],
      };
    }
    case "newest": {
      const key = new Date(cursor.key ?? 0);
      return { OR: [{ createdAt: { lt: key } }, { createdAt: key, id: { lt: cursor.id } }] };
    }
    case "name": {
      const key = cursor.key ?? "";
      return { OR: [{ fullName: { gt: key } }, { fullName: key, id: { gt: cursor.id } }] };
    }
  }
}

export const caseQueueSelect = {
  id: true,
  number: true,
  state: true,
  fullName: true,
  erasedAt: true,
  isPossibleDuplicate: true,
  createdAt: true,
  submittedAt: true,
  lastSubmittedAt: true,
  assignedTo: { select: { id: true, name: true } },
  vettingRecords: {
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: 1,
    select: { recommendation: true, score: true },
  },
} satisfies Prisma.VettingCaseSelect;

export type CaseQueueRow = Prisma.VettingCaseGetPayload<{ select: typeof caseQueueSelect }>;

function cursorOf(row: CaseQueueRow, sort: TCaseQueueSort): TCaseQueueCursor {
  switch (sort) {
    case "waiting":
      return { sort, key: row.lastSubmittedAt?.toISOString() ?? null, id: row.id };
    case "newest":
      return { sort, key: row.createdAt.toISOString(), id: row.id };
    case "name":
      return { sort, key: row.fullName, id: row.id };
  }
}

/** One page of the queue and the cursor of the next page, when there is one. */
export async function findCaseQueuePage(
  db: Database,
  options: {
    tab: TCaseQueueTab;
    filter: TCaseQueueFilter;
    sort: TCaseQueueSort;
    viewerId: string;
    after: TCaseQueueCursor | null;
    pageSize: number;
  },
): Promise<{ rows: CaseQueueRow[]; next: string | null }> {
  const rows = await db.vettingCase.findMany({
    where: {
      AND: [
        tabWhere(options.tab, options.viewerId),
        ...filterWhere(options.filter),
        ...(options.after ? [afterWhere(options.after)] : []),
      ],
    },
    orderBy: orderFor(options.sort),
    take: options.pageSize + 1,
    select: caseQueueSelect,
  });
  // The extra row only says there is more; the cursor is the last row shown.
  const hasMore = rows.length > options.pageSize;
  const page = hasMore ? rows.slice(0, options.pageSize) : rows;
  const last = page.at(-1);
  return { rows: page, next: hasMore && last ? encodeCaseQueueCursor(cursorOf(last, options.sort)) : null };
}

/** How many cases each tab holds under the same search and filters. */
export async function countCaseQueueTabs(
  db: Database,
  filter: TCaseQueueFilter,
  viewerId: string,
): Promise<Record<TCaseQueueTab, number>> {
  const base = filterWhere(filter);
  // Unfiltered (the page reviewers live in), the counts per state are kept by triggers in
  // case_state_counts: one small read instead of counting every case on every page view.
  const countByState =
    base.length === 0
      ? db.caseStateCount
          .findMany({ select: { state: true, count: true } })
          .then((rows) => rows.map((row) => ({ state: row.state, _count: { _all: row.count } })))
      : db.vettingCase.groupBy({ by: ["state"], where: { AND: base }, _count: { _all: true } });
  const [byState, assigned] = await Promise.all([
    countByState,
    db.vettingCase.count({ where: { AND: [...base, tabWhere("assigned", viewerId)] } }),
  ]);
  const count = (states: CaseState[]) =>
    byState
      .filter((group) => states.includes(group.state))
      .reduce((sum, group) => sum + group._count._all, 0);
  return {
    all: byState.reduce((sum, group) => sum + group._count._all, 0),
    submitted: count(["SUBMITTED"]),
    in_review: count(["IN_REVIEW"]),
    more_information: count(["MORE_INFORMATION_REQUESTED"]),
    decided: count(["APPROVED", "REJECTED"]),
    assigned,
  };
}

/** The people the queue's "assigned agent" filter offers: anyone who has (had) a working account. */
export function findStaffForAssigneeFilter(
  db: Database,
): Promise<{ id: string; name: string; status: "INVITED" | "PENDING_APPROVAL" | "ACTIVE" | "DISABLED" }[]> {
  return db.staffUser.findMany({
    where: { status: { in: ["ACTIVE", "DISABLED"] } },
    orderBy: [{ name: "asc" }, { email: "asc" }],
    select: { id: true, name: true, status: true },
  });
}

/** Who a case may be assigned to: active staff, by name. */
export function findAssignableStaff(db: Database): Promise<{ id: string; name: string }[]> {
  return db.staffUser.findMany({
    where: { status: "ACTIVE" },
    orderBy: [{ name: "asc" }, { email: "asc" }],
    select: { id: true, name: true },
  });
}

export const casePageSelect = {
  id: true,
  number: true,
  state: true,
  origin: true,
  fullName: true,
  email: true,
  matrixId: true,
  phone: true,
  statement: true,
  privacyNoticeVersion: true,
  privacyConsentAt: true,
  emailConfirmedAt: true,
  createdById: true,
  createdBy: { select: { name: true } },
  assignedToId: true,
  assignedTo: { select: { name: true } },
  isPossibleDuplicate: true,
  duplicateMatches: true,
  createdAt: true,
  submittedAt: true,
  lastSubmittedAt: true,
  decidedAt: true,
  withdrawnAt: true,
  erasedAt: true,
  vettingRecords: {
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    select: {
      id: true,
      agentId: true,
      agent: { select: { name: true } },
      identityVerified: true,
      method: true,
      verifiedOn: true,
      place: true,
      notes: true,
      score: true,
      recommendation: true,
      createdAt: true,
    },
  },
  comments: {
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    select: {
      id: true,
      author: { select: { name: true } },
      body: true,
      isVisibleToApplicant: true,
      createdAt: true,
    },
  },
  decisions: {
    orderBy: [{ decidedAt: "asc" }, { id: "asc" }],
    select: {
      id: true,
      kind: true,
      decidedBy: { select: { name: true } },
      reason: true,
      isReasonSharedWithApplicant: true,
      decidedAt: true,
    },
  },
} satisfies Prisma.VettingCaseSelect;

export type CasePageRow = Prisma.VettingCaseGetPayload<{ select: typeof casePageSelect }>;

export function findCaseForPage(db: Database, caseId: string): Promise<CasePageRow | null> {
  return db.vettingCase.findUnique({ where: { id: caseId }, select: casePageSelect });
}

/** What the policies need to know about a case. */
export function caseFactsOf(row: {
  state: CaseState;
  createdById: string | null;
  erasedAt: Date | null;
  vettingRecords: readonly { agentId: string }[];
}): CaseFacts {
  return {
    state: row.state,
    createdById: row.createdById,
    vettingAgentIds: row.vettingRecords.map((record) => record.agentId),
    erasedAt: row.erasedAt,
  };
}

export const caseTimelineSelect = {
  id: true,
  occurredAt: true,
  actorId: true,
  actorLabel: true,
  actor: { select: { name: true } },
  action: true,
  details: true,
} satisfies Prisma.AuditEventSelect;

export type CaseTimelineRow = Prisma.AuditEventGetPayload<{ select: typeof caseTimelineSelect }>;

/**
 * Reads of a case's evidence are audited too, but they are not events in the case's life: the audit
 * log has them, the timeline leaves them out.
 */
const NOT_IN_TIMELINE: AuditAction[] = ["evidence.viewed", "evidence.downloaded"];

/** The case's audit events, oldest first: its timeline. */
export function findCaseTimeline(db: Database, caseId: string): Promise<CaseTimelineRow[]> {
  return db.auditEvent.findMany({
    where: { subjectType: "vetting_case", subjectId: caseId, action: { notIn: NOT_IN_TIMELINE } },
    orderBy: [{ occurredAt: "asc" }, { id: "asc" }],
    select: caseTimelineSelect,
  });
}

/** Names of the staff members a timeline mentions by id (assignees). */
export async function findStaffNames(db: Database, ids: readonly string[]): Promise<Map<string, string>> {
  const valid = [...new Set(ids)].filter((id) => UUID.test(id));
  if (valid.length === 0) return new Map();
  const rows = await db.staffUser.findMany({
    where: { id: { in: valid } },
    select: { id: true, name: true },
  });
  return new Map(rows.map((row) => [row.id, row.name]));
}

/**
 * Locks the case's row until the transaction ends, so a command's checks (state, four eyes) and its
 * writes see one version of the case: a decision being written meanwhile waits, or is waited for.
 */
export async function lockCase(tx: Transaction, caseId: string): Promise<void> {
  await tx.$queryRaw`SELECT id FROM vetting_cases WHERE id = ${caseId}::uuid FOR UPDATE`;
}

export const caseFactsSelect = {
  id: true,
  number: true,
  state: true,
  fullName: true,
  email: true,
  createdById: true,
  assignedToId: true,
  erasedAt: true,
  vettingRecords: { select: { agentId: true } },
} satisfies Prisma.VettingCaseSelect;

/** The case as a command needs it: its facts for the policies, and the person's name and address. */
export function findCaseForCommand(db: Database | Transaction, caseId: string) {
  return db.vettingCase.findUnique({ where: { id: caseId }, select: caseFactsSelect });
}

/**
 * The case a command changes, locked until its transaction ends (lockCase), with its facts for the
 * policies: 404 when there is no such case, a conflict saying `erasedMessage` when it was erased.
 */
export async function lockCaseForCommand(tx: Transaction, caseId: string, erasedMessage: string) {
  await lockCase(tx, caseId);
  const vettingCase = await findCaseForCommand(tx, caseId);
  if (!vettingCase) throw notFound();
  if (vettingCase.erasedAt) throw conflict(erasedMessage);
  return { vettingCase, facts: caseFactsOf(vettingCase) };
}
