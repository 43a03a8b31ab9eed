// The staff queue's reads: one page of rows (tab, search, filters, sort, keyset), the tabs' counts and
// the people its assignee filter offers. Its vocabulary (tabs, sorts, filter, cursor) is queries/cases.ts.
//
// The queue is the page reviewers live in, and through Prisma its reads cost 2.7 ms of CPU per view
// (1.8 ms of it mapping the 50 rows with their assignees and latest records) against 0.4 ms for
// rendering the page: npm run bench, figure 2. Here they are three statements on Prisma's own pg pool
// (db.ts createDatabaseAndSqlPool). Every value the visitor chose is a bound parameter; the only text put
// into the SQL is this file's own (columns, states of a tab, orders).
import type pg from "pg";
import { parseCaseNumber } from "../../domain/caseNumber.js";
import { CASE_STATES, type CaseState, DECIDED_STATES, OPEN_STATES } from "../../domain/caseStates.js";
import { Recommendation, StaffStatus } from "../../generated/prisma/client.js";
import {
  encodeCaseQueueCursor,
  type TCaseQueueCursor,
  type TCaseQueueFilter,
  type TCaseQueueSort,
  type TCaseQueueTab,
} from "../cases.js";
import { column, rowShape } from "./rowCheck.js";

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
  if (filter.caseIds) conditions.push(`vetting_case.id = ANY(${values.add(filter.caseIds)}::uuid[])`);
  // The mark counts only for the Matrix ID it was made for (policies/matrixIdProof.ts isMatrixIdVerified).
  if (filter.isMatrixIdVerified)
    conditions.push(`(vetting_case."matrixIdVerifiedAt" IS NOT NULL
      AND vetting_case."matrixIdVerifiedId" = vetting_case."matrixId")`);
  const filtersByDetail =
    filter.assignee ||
    filter.recommendation ||
    filter.score ||
    filter.submittedFrom ||
    filter.submittedUntil ||
    filter.isPossibleDuplicate ||
    filter.isMatrixIdVerified;
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

export const caseQueueRow = rowShape<CaseQueueRow>("sql/caseQueue.page", {
  id: column.string,
  number: column.integer,
  state: column.oneOf(CASE_STATES),
  fullName: column.string,
  erasedAt: column.nullable(column.date),
  isPossibleDuplicate: column.boolean,
  createdAt: column.date,
  submittedAt: column.nullable(column.date),
  lastSubmittedAt: column.nullable(column.date),
  assigneeName: column.nullable(column.string),
  latestRecommendation: column.nullable(column.oneOf(Object.values(Recommendation))),
  latestScore: column.nullable(column.integer),
  isConflicted: column.boolean,
});

function cursorOf(
  row: Pick<CaseQueueRow, "id" | "lastSubmittedAt" | "createdAt" | "fullName">,
  sort: TCaseQueueSort,
): TCaseQueueCursor {
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
  sqlPool: pg.Pool,
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
  const result = await sqlPool.query(
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
  const rows = caseQueueRow.checkRows(result.rows);
  // The extra row only says there is more; the cursor is the last row shown.
  const hasMore = rows.length > options.pageSize;
  const page = hasMore ? rows.slice(0, options.pageSize) : rows;
  const last = page.at(-1);
  return { rows: page, next: hasMore && last ? encodeCaseQueueCursor(cursorOf(last, options.sort)) : null };
}

/** Cases per state (the unfiltered statement and the filtered one alike), and how many the viewer holds. */
interface CaseQueueTabCountRow {
  state: CaseState;
  count: number;
  assigned: number;
}

export const caseQueueTabCountRow = rowShape<CaseQueueTabCountRow>("sql/caseQueue.tabCounts", {
  state: column.oneOf(CASE_STATES),
  count: column.integer,
  assigned: column.integer,
});

/** How many cases each tab holds under the same search and filters. One statement. */
export async function countCaseQueueTabs(
  sqlPool: pg.Pool,
  filter: TCaseQueueFilter,
  viewerId: string,
): Promise<Record<TCaseQueueTab, number>> {
  const values = new SqlValues();
  const filters = filterConditions(filter, values, viewerId);
  const assigned = tabCondition("assigned", viewerId, values);
  // Unfiltered (the page reviewers live in), the counts per state are kept by triggers in
  // case_state_counts: one small read instead of counting every case on every page view. A state has a
  // few rows (shards, so that concurrent writers never wait for one another), summed here.
  const text =
    filters.length === 0
      ? `SELECT counts.state, counts.count,
                CASE WHEN counts.state IN ${OPEN_STATES_SQL} THEN (
                  SELECT count(*)::int FROM vetting_cases AS vetting_case
                  WHERE ${assigned} AND vetting_case.state = counts.state
                ) ELSE 0 END AS assigned
         FROM (SELECT state, sum(count)::int AS count FROM case_state_counts GROUP BY state) AS counts`
      : `SELECT vetting_case.state, count(*)::int AS count,
                (count(*) FILTER (WHERE ${assigned}))::int AS assigned
         FROM vetting_cases AS vetting_case
         ${whereClause(filters)}
         GROUP BY vetting_case.state`;
  const rows = caseQueueTabCountRow.checkRows((await sqlPool.query(text, values.values)).rows);
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

interface AssigneeFilterRow {
  id: string;
  name: string;
  status: StaffStatus;
}

export const assigneeFilterRow = rowShape<AssigneeFilterRow>("sql/caseQueue.assigneeFilter", {
  id: column.string,
  name: column.string,
  status: column.oneOf(Object.values(StaffStatus)),
});

/** The people the queue's "assigned agent" filter offers: anyone who has (had) a working account. */
export async function findStaffForAssigneeFilter(sqlPool: pg.Pool): Promise<AssigneeFilterRow[]> {
  const { rows } = await sqlPool.query({
    name: "staff-for-assignee-filter",
    text: `SELECT id, name, status FROM staff_users WHERE status IN ('ACTIVE', 'DISABLED')
           ORDER BY name ASC, email ASC`,
  });
  return assigneeFilterRow.checkRows(rows);
}

/** The rows strictly before the cursor in the sort's order (afterCondition mirrored). */
function beforeCondition(cursor: TCaseQueueCursor, values: SqlValues): string {
  const id = values.add(cursor.id);
  switch (cursor.sort) {
    case "waiting": {
      // Not yet submitted come last, so every submitted case is before one that is not.
      if (cursor.key === null)
        return `(vetting_case."lastSubmittedAt" IS NOT NULL
          OR (vetting_case."lastSubmittedAt" IS NULL AND vetting_case.id < ${id}))`;
      const key = values.add(new Date(cursor.key));
      return `(vetting_case."lastSubmittedAt" < ${key}
        OR (vetting_case."lastSubmittedAt" = ${key} AND vetting_case.id < ${id}))`;
    }
    case "newest": {
      const key = values.add(new Date(cursor.key ?? 0));
      return `(vetting_case."createdAt" > ${key} OR (vetting_case."createdAt" = ${key} AND vetting_case.id > ${id}))`;
    }
    case "name": {
      const key = values.add(cursor.key ?? "");
      return `(vetting_case."fullName" < ${key} OR (vetting_case."fullName" = ${key} AND vetting_case.id < ${id}))`;
    }
  }
}

/** orderFor read backwards: the nearest row before the cursor comes first. */
function reverseOrderFor(sort: TCaseQueueSort): string {
  switch (sort) {
    case "waiting":
      return `vetting_case."lastSubmittedAt" DESC NULLS FIRST, vetting_case.id DESC`;
    case "newest":
      return `vetting_case."createdAt" ASC, vetting_case.id ASC`;
    case "name":
      return `vetting_case."fullName" DESC, vetting_case.id DESC`;
  }
}

interface CaseQueueNeighbourRow {
  id: string;
  number: number;
}

export const caseQueueNeighbourRow = rowShape<CaseQueueNeighbourRow>("sql/caseQueue.neighbour", {
  id: column.string,
  number: column.integer,
});

interface CaseQueuePositionRow {
  id: string;
  fullName: string;
  createdAt: Date;
  lastSubmittedAt: Date | null;
}

export const caseQueuePositionRow = rowShape<CaseQueuePositionRow>("sql/caseQueue.position", {
  id: column.string,
  fullName: column.string,
  createdAt: column.date,
  lastSubmittedAt: column.nullable(column.date),
});

/**
 * The cases just before and just after this one in a queue view (its tab, search, filters and order),
 * for the case page's "previous" and "next": a keyset read each way from the case's own sort key, so
 * the answer is the queue's, page boundaries or not. Null when there is no such case.
 */
export async function findCaseQueueNeighbours(
  sqlPool: pg.Pool,
  options: {
    tab: TCaseQueueTab;
    filter: TCaseQueueFilter;
    sort: TCaseQueueSort;
    viewerId: string;
    caseId: string;
  },
): Promise<{ previous: CaseQueueNeighbourRow | null; next: CaseQueueNeighbourRow | null } | null> {
  const position = await sqlPool.query(
    `SELECT id, "fullName", "createdAt", "lastSubmittedAt" FROM vetting_cases WHERE id = $1`,
    [options.caseId],
  );
  const [current] = caseQueuePositionRow.checkRows(position.rows);
  if (!current) return null;
  const cursor = cursorOf(current, options.sort);
  const neighbour = async (direction: "previous" | "next") => {
    const values = new SqlValues();
    const where = whereClause([
      tabCondition(options.tab, options.viewerId, values),
      ...filterConditions(options.filter, values, options.viewerId),
      direction === "next" ? afterCondition(cursor, values) : beforeCondition(cursor, values),
    ]);
    const order = direction === "next" ? orderFor(options.sort) : reverseOrderFor(options.sort);
    const result = await sqlPool.query(
      `SELECT vetting_case.id, vetting_case.number FROM vetting_cases AS vetting_case
       ${where} ORDER BY ${order} LIMIT 1`,
      values.values,
    );
    return caseQueueNeighbourRow.checkRows(result.rows)[0] ?? null;
  };
  const [previous, next] = await Promise.all([neighbour("previous"), neighbour("next")]);
  return { previous, next };
}
