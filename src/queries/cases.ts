// Reads of vetting cases for the staff pages: the queue (tabs, search, filters, sort, keyset pages),
// the case page (the case with its records, comments, decisions and timeline) and the staff lists the
// forms offer. Explicit selects only.
//
// The queue pages by keyset on the chosen order plus the id as a tiebreaker: a page is "the rows after
// the last one shown", so cases added or moved meanwhile never shift a page, and page 40 costs what
// page 1 does (no OFFSET).
import type { AuditAction } from "../audit.js";
import { type Database, sqlPoolOf, type Transaction } from "../db.js";
import { parseCaseNumber } from "../domain/caseNumber.js";
import { type CaseState, DECIDED_STATES, OPEN_STATES } from "../domain/caseStates.js";
import { conflict, notFound } from "../errors.js";
import type { Prisma, Recommendation, StaffStatus } from "../generated/prisma/client.js";
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

// ---------- the queue, in SQL ----------
//
// The queue is the page reviewers live in, and through Prisma its reads cost 2.7 ms of CPU per view
// (1.8 ms of it mapping the 50 rows with their assignees and latest records) against 0.4 ms for
// rendering the page: npm run bench, figure 2. Here they are three statements through Prisma's own pg
// pool (db.ts sqlPoolOf). Every value the visitor chose is a bound parameter; the only text put into the
// SQL is this file's own (columns, states of a tab, orders).

/** The values of one statement, numbered as they are added ($1, $2, …). */
class SqlValues {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** A search term matched literally inside the text: LIKE's wildcards and its escape character escaped. */
function containsPattern(term: string): string {
  return `%${term.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

/** A set of states from domain/caseStates.ts as an SQL list: the module's own constants, never input. */
const sqlStates = (states: readonly CaseState[]) => `(${states.map((state) => `'${state}'`).join(", ")})`;
const OPEN_STATES_SQL = sqlStates(OPEN_STATES);

/** The viewer has a standing conflict of interest on vetting_case (the parameter is the viewer's id). */
const conflictedSql = (viewer: string) => `EXISTS (SELECT 1 FROM case_conflicts AS standing
  WHERE standing."caseId" = vetting_case.id AND standing."staffUserId" = ${viewer}
  AND standing."withdrawnAt" IS NULL)`;

/**
 * The search and filters (everything but the tab), as SQL conditions on vetting_case. A case the viewer
 * has a conflict of interest on shows only its number, name and state: it is found by those, never by
 * what the viewer may not see (email, Matrix ID, assignee, records, dates, the duplicate flag), or a
 * filter would tell them what the row hides.
 */
function filterConditions(filter: TCaseQueueFilter, values: SqlValues, viewerId: string): string[] {
  const conditions: string[] = [];
  let viewer: string | undefined;
  const notConflicted = () => {
    viewer ??= values.add(viewerId);
    return `NOT ${conflictedSql(viewer)}`;
  };
  const q = filter.q?.trim();
  if (q) {
    const pattern = values.add(containsPattern(q));
    const number = parseCaseNumber(q);
    // Erased cases keep placeholders in these columns; they must not match a search for a person.
    const byPerson = `(vetting_case."erasedAt" IS NULL AND (vetting_case."fullName" ILIKE ${pattern}
      OR (${notConflicted()} AND (vetting_case.email ILIKE ${pattern} OR vetting_case."matrixId" ILIKE ${pattern}))))`;
    conditions.push(
      number !== null ? `(${byPerson} OR vetting_case.number = ${values.add(number)})` : byPerson,
    );
  }
  if (filter.state) conditions.push(`vetting_case.state = ${values.add(filter.state)}`);
  if (filter.assignee === "unassigned") conditions.push(`vetting_case."assignedToId" IS NULL`);
  else if (filter.assignee) conditions.push(`vetting_case."assignedToId" = ${values.add(filter.assignee)}`);
  // Two filters, each about any of the case's records (one agent may recommend, another score).
  if (filter.recommendation)
    conditions.push(`EXISTS (SELECT 1 FROM vetting_records AS record WHERE record."caseId" = vetting_case.id
      AND record.recommendation = ${values.add(filter.recommendation)})`);
  if (filter.score)
    conditions.push(`EXISTS (SELECT 1 FROM vetting_records AS record WHERE record."caseId" = vetting_case.id
      AND record.score = ${values.add(filter.score)})`);
  if (filter.submittedFrom)
    conditions.push(`vetting_case."submittedAt" >= ${values.add(filter.submittedFrom)}`);
  if (filter.submittedUntil)
    conditions.push(`vetting_case."submittedAt" < ${values.add(filter.submittedUntil)}`);
  if (filter.isPossibleDuplicate) conditions.push(`vetting_case."isPossibleDuplicate"`);
  const filtersByDetail =
    filter.assignee ||
    filter.recommendation ||
    filter.score ||
    filter.submittedFrom ||
    filter.submittedUntil ||
    filter.isPossibleDuplicate;
  if (filtersByDetail) conditions.push(notConflicted());
  return conditions;
}

/** The cases a tab shows. "Assigned to me" is the viewer's open cases. */
function tabCondition(tab: TCaseQueueTab, viewerId: string, values: SqlValues): string | null {
  switch (tab) {
    case "all":
      return null;
    case "submitted":
      return `vetting_case.state = 'SUBMITTED'`;
    case "in_review":
      return `vetting_case.state = 'IN_REVIEW'`;
    case "more_information":
      return `vetting_case.state = 'MORE_INFORMATION_REQUESTED'`;
    case "decided":
      return `vetting_case.state IN ${sqlStates(DECIDED_STATES)}`;
    case "assigned":
      return `(vetting_case."assignedToId" = ${values.add(viewerId)} AND vetting_case."erasedAt" IS NULL
        AND vetting_case.state IN ${OPEN_STATES_SQL})`;
  }
}

function orderFor(sort: TCaseQueueSort): string {
  switch (sort) {
    case "waiting":
      // Not yet submitted (drafts) have waited for nobody: they come last.
      return `vetting_case."lastSubmittedAt" ASC NULLS LAST, vetting_case.id ASC`;
    case "newest":
      return `vetting_case."createdAt" DESC, vetting_case.id DESC`;
    case "name":
      return `vetting_case."fullName" ASC, vetting_case.id ASC`;
  }
}

/** The rows strictly after the cursor in the sort's order. */
function afterCondition(cursor: TCaseQueueCursor, values: SqlValues): string {
  const id = values.add(cursor.id);
  switch (cursor.sort) {
    case "waiting": {
      if (cursor.key === null) return `(vetting_case."lastSubmittedAt" IS NULL AND vetting_case.id > ${id})`;
      const key = values.add(new Date(cursor.key));
      return `(vetting_case."lastSubmittedAt" > ${key}
        OR (vetting_case."lastSubmittedAt" = ${key} AND vetting_case.id > ${id})
        OR vetting_case."lastSubmittedAt" IS NULL)`;
    }
    case "newest": {
      const key = values.add(new Date(cursor.key ?? 0));
      return `(vetting_case."createdAt" < ${key} OR (vetting_case."createdAt" = ${key} AND vetting_case.id < ${id}))`;
    }
    case "name": {
      const key = values.add(cursor.key ?? "");
      return `(vetting_case."fullName" > ${key} OR (vetting_case."fullName" = ${key} AND vetting_case.id > ${id}))`;
    }
  }
}

const whereClause = (conditions: (string | null)[]) => {
  const present = conditions.filter((condition): condition is string => condition !== null);
  return present.length > 0 ? `WHERE ${present.join(" AND ")}` : "";
};

/** A row of the queue: the case, its assignee's name and its latest vetting record's verdict. */
export interface CaseQueueRow {
  id: string;
  number: number;
  state: CaseState;
  fullName: string;
  erasedAt: Date | null;
  isPossibleDuplicate: boolean;
  createdAt: Date;
  submittedAt: Date | null;
  lastSubmittedAt: Date | null;
  assigneeName: string | null;
  latestRecommendation: Recommendation | null;
  latestScore: number | null;
  /** The viewer has a conflict of interest on the case: the row shows its number, name and state only. */
  isConflicted: boolean;
}

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
  const values = new SqlValues();
  const where = whereClause([
    tabCondition(options.tab, options.viewerId, values),
    ...filterConditions(options.filter, values, options.viewerId),
    options.after ? afterCondition(options.after, values) : null,
  ]);
  const viewer = values.add(options.viewerId);
  const { rows } = await sqlPoolOf(db).query<CaseQueueRow>(
    `SELECT vetting_case.id, vetting_case.number, vetting_case.state, vetting_case."fullName",
            vetting_case."erasedAt", vetting_case."isPossibleDuplicate", vetting_case."createdAt",
            vetting_case."submittedAt", vetting_case."lastSubmittedAt",
            assignee.name AS "assigneeName",
            latest.recommendation AS "latestRecommendation", latest.score AS "latestScore",
            ${conflictedSql(viewer)} AS "isConflicted"
     FROM vetting_cases AS vetting_case
     LEFT JOIN staff_users AS assignee ON assignee.id = vetting_case."assignedToId"
     LEFT JOIN LATERAL (
       SELECT record.recommendation, record.score FROM vetting_records AS record
       WHERE record."caseId" = vetting_case.id
       ORDER BY record."createdAt" DESC, record.id DESC
       LIMIT 1
     ) AS latest ON true
     ${where}
     ORDER BY ${orderFor(options.sort)}
     LIMIT ${values.add(options.pageSize + 1)}`,
    values.values,
  );
  // The extra row only says there is more; the cursor is the last row shown.
  const hasMore = rows.length > options.pageSize;
  const page = hasMore ? rows.slice(0, options.pageSize) : rows;
  const last = page.at(-1);
  return { rows: page, next: hasMore && last ? encodeCaseQueueCursor(cursorOf(last, options.sort)) : null };
}

/** How many cases each tab holds under the same search and filters. One statement. */
export async function countCaseQueueTabs(
  db: Database,
  filter: TCaseQueueFilter,
  viewerId: string,
): Promise<Record<TCaseQueueTab, number>> {
  const values = new SqlValues();
  const filters = filterConditions(filter, values, viewerId);
  const assigned = tabCondition("assigned", viewerId, values);
  // Unfiltered (the page reviewers live in), the counts per state are kept by triggers in
  // case_state_counts: one small read instead of counting every case on every page view.
  const text =
    filters.length === 0
      ? `SELECT counts.state, counts.count,
                CASE WHEN counts.state IN ${OPEN_STATES_SQL} THEN (
                  SELECT count(*)::int FROM vetting_cases AS vetting_case
                  WHERE ${assigned} AND vetting_case.state = counts.state
                ) ELSE 0 END AS assigned
         FROM case_state_counts AS counts`
      : `SELECT vetting_case.state, count(*)::int AS count,
                (count(*) FILTER (WHERE ${assigned}))::int AS assigned
         FROM vetting_cases AS vetting_case
         ${whereClause(filters)}
         GROUP BY vetting_case.state`;
  const { rows } = await sqlPoolOf(db).query<{ state: CaseState; count: number; assigned: number }>(
    text,
    values.values,
  );
  const count = (states: readonly CaseState[]) =>
    rows.filter((row) => states.includes(row.state)).reduce((sum, row) => sum + row.count, 0);
  return {
    all: rows.reduce((sum, row) => sum + row.count, 0),
    submitted: count(["SUBMITTED"]),
    in_review: count(["IN_REVIEW"]),
    more_information: count(["MORE_INFORMATION_REQUESTED"]),
    decided: count(DECIDED_STATES),
    assigned: rows.reduce((sum, row) => sum + row.assigned, 0),
  };
}

/** The people the queue's "assigned agent" filter offers: anyone who has (had) a working account. */
export async function findStaffForAssigneeFilter(
  db: Database,
): Promise<{ id: string; name: string; status: "INVITED" | "PENDING_APPROVAL" | "ACTIVE" | "DISABLED" }[]> {
  const { rows } = await sqlPoolOf(db).query<{ id: string; name: string; status: StaffStatus }>({
    name: "staff-for-assignee-filter",
    text: `SELECT id, name, status FROM staff_users WHERE status IN ('ACTIVE', 'DISABLED')
           ORDER BY name ASC, email ASC`,
  });
  return rows;
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
  evidenceFiles: { where: { uploaderKind: "STAFF" }, select: { uploadedById: true } },
  conflicts: {
    orderBy: [{ declaredAt: "asc" }, { id: "asc" }],
    select: {
      id: true,
      staffUserId: true,
      staffUser: { select: { name: true } },
      reason: true,
      declaredById: true,
      declaredBy: { select: { name: true } },
      declaredAt: true,
      withdrawnAt: true,
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

/** The rows a case's facts are read from (casePageSelect and caseFactsSelect both hold them). */
interface CaseFactsSource {
  state: CaseState;
  createdById: string | null;
  erasedAt: Date | null;
  vettingRecords: readonly { agentId: string; identityVerified: boolean }[];
  evidenceFiles: readonly { uploadedById: string | null }[];
  conflicts: readonly { staffUserId: string; withdrawnAt: Date | null }[];
}

/**
 * What the policies need to know about a case. `applicantMatches` comes from findStaffMatchingApplicant
 * (a second read: it compares the case with staff accounts, which no select of the case reaches).
 */
export function caseFactsOf(
  row: CaseFactsSource,
  applicantMatches: CaseFacts["applicantMatches"],
): CaseFacts {
  return {
    state: row.state,
    createdById: row.createdById,
    vettingRecords: row.vettingRecords.map(({ agentId, identityVerified }) => ({
      agentId,
      identityVerified,
    })),
    staffUploaderIds: [
      ...new Set(row.evidenceFiles.flatMap((file) => (file.uploadedById ? [file.uploadedById] : []))),
    ],
    conflictedStaffIds: row.conflicts
      .filter((standing) => standing.withdrawnAt === null)
      .map((standing) => standing.staffUserId),
    applicantMatches,
    erasedAt: row.erasedAt,
  };
}

/**
 * Staff whose own email, phone or Matrix ID is the applicant's, compared as the duplicate check compares
 * cases (commands/flagPossibleDuplicates.ts: email lower-cased, phone in E.164, Matrix ID as stored).
 * An erased case has nothing left to compare.
 */
export async function findStaffMatchingApplicant(
  db: Database | Transaction,
  applicant: { email: string; phone: string | null; matrixId: string | null; erasedAt: Date | null },
): Promise<CaseFacts["applicantMatches"]> {
  if (applicant.erasedAt) return [];
  const email = applicant.email.trim().toLowerCase();
  const phone = applicant.phone?.trim() || null;
  const matrixId = applicant.matrixId?.trim() || null;
  const conditions: Prisma.StaffUserWhereInput[] = [];
  if (email) conditions.push({ email });
  if (phone) conditions.push({ phone });
  if (matrixId) conditions.push({ matrixId });
  if (conditions.length === 0) return [];
  const staff = await db.staffUser.findMany({
    where: { OR: conditions },
    select: { id: true, email: true, phone: true, matrixId: true },
  });
  return staff.map((person) => ({
    staffUserId: person.id,
    matchedOn: [
      ...(email && person.email === email ? (["email"] as const) : []),
      ...(phone && person.phone === phone ? (["phone"] as const) : []),
      ...(matrixId && person.matrixId === matrixId ? (["matrixId"] as const) : []),
    ],
  }));
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
  phone: true,
  matrixId: true,
  createdById: true,
  assignedToId: true,
  erasedAt: true,
  vettingRecords: { select: { agentId: true, identityVerified: true } },
  evidenceFiles: { where: { uploaderKind: "STAFF" }, select: { uploadedById: true } },
  conflicts: { where: { withdrawnAt: null }, select: { staffUserId: true, withdrawnAt: true } },
} satisfies Prisma.VettingCaseSelect;

/**
 * The case as a command needs it: the person's name and address, and its facts for the policies
 * (`facts`), or null when there is no such case.
 */
export async function findCaseForCommand(db: Database | Transaction, caseId: string) {
  const vettingCase = await db.vettingCase.findUnique({ where: { id: caseId }, select: caseFactsSelect });
  if (!vettingCase) return null;
  const facts = caseFactsOf(vettingCase, await findStaffMatchingApplicant(db, vettingCase));
  return { ...vettingCase, facts };
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
  return { vettingCase, facts: vettingCase.facts };
}
