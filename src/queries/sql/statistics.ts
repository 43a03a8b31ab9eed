// The admins' statistics page (routes/staff/statistics.ts): applications per week by outcome, the time
// from submission to decision, and the open cases each staff member holds. Computed in Postgres
// (date_trunc, percentile_cont, count), so a page costs three small statements whatever the number of
// cases; docs/performance.md has their timings on 100 000 seeded cases.
//
// The sets of states come from domain/caseStates.ts: a state added there (and to OPEN_STATES or
// DECIDED_STATES) appears here without a change. The only text put into the SQL is this module's own;
// the period's bounds are bound parameters.
import type pg from "pg";
import { CASE_STATES, type CaseState, DECIDED_STATES, OPEN_STATES } from "../../domain/caseStates.js";
import { column, rowShape } from "./rowCheck.js";

/** A set of states from domain/caseStates.ts as an SQL list: the module's own constants, never input. */
const sqlStates = (states: readonly CaseState[]) => `(${states.map((state) => `'${state}'`).join(", ")})`;

/** What became of an application: still open, or the state it ended in (decided, withdrawn, …). */
export const OPEN_OUTCOME = "OPEN";
export const OUTCOMES = [
  OPEN_OUTCOME,
  ...CASE_STATES.filter((state) => !(OPEN_STATES as readonly CaseState[]).includes(state)),
] as const;
export type Outcome = typeof OPEN_OUTCOME | Exclude<CaseState, (typeof OPEN_STATES)[number]>;

/** The period: from `from` (inclusive) until `until` (exclusive), in UTC. */
export interface StatisticsPeriod {
  from: Date;
  until: Date;
}

export interface WeeklyOutcomeRow {
  /** The Monday the ISO week starts on (UTC), as 2026-03-30. */
  week: string;
  outcome: Outcome;
  count: number;
}

const weeklyOutcomeRow = rowShape<WeeklyOutcomeRow>("sql/statistics.weeklyOutcomes", {
  week: column.string,
  outcome: column.oneOf(OUTCOMES as readonly Outcome[]),
  count: column.integer,
});

/**
 * Applications submitted in the period (by their first submission), per ISO week of submission and by
 * what became of them. Only weeks with at least one application are returned.
 */
export async function findWeeklyOutcomes(
  sqlPool: pg.Pool,
  period: StatisticsPeriod,
): Promise<WeeklyOutcomeRow[]> {
  const { rows } = await sqlPool.query(
    `SELECT to_char(date_trunc('week', vetting_case."submittedAt" AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS week,
            CASE WHEN vetting_case.state IN ${sqlStates(OPEN_STATES)} THEN '${OPEN_OUTCOME}'
                 ELSE vetting_case.state::text END AS outcome,
            count(*)::int AS count
     FROM vetting_cases AS vetting_case
     WHERE vetting_case."submittedAt" >= $1 AND vetting_case."submittedAt" < $2
     GROUP BY 1, 2
     ORDER BY 1, 2`,
    [period.from, period.until],
  );
  return weeklyOutcomeRow.checkRows(rows);
}

export interface DecisionTimeRow {
  /** null: every decided state together; otherwise one of DECIDED_STATES. */
  state: CaseState | null;
  decided: number;
  /** Whole seconds from the first submission to the decision (percentile_cont, interpolated). */
  medianSeconds: number;
  percentile90Seconds: number;
}

const decisionTimeRow = rowShape<DecisionTimeRow>("sql/statistics.decisionTimes", {
  state: column.nullable(column.oneOf(CASE_STATES)),
  decided: column.integer,
  medianSeconds: column.integer,
  percentile90Seconds: column.integer,
});

/**
 * Cases decided in the period (by when they were decided): how many, and the median and 90th
 * percentile of the time from their first submission to the decision, over all decided states
 * (state null) and per state. A state with no decision in the period has no row.
 */
export async function findDecisionTimes(
  sqlPool: pg.Pool,
  period: StatisticsPeriod,
): Promise<DecisionTimeRow[]> {
  const { rows } = await sqlPool.query(
    `WITH decided AS (
       SELECT vetting_case.state,
              extract(epoch FROM vetting_case."decidedAt" - vetting_case."submittedAt") AS seconds
       FROM vetting_cases AS vetting_case
       WHERE vetting_case."decidedAt" >= $1 AND vetting_case."decidedAt" < $2
         AND vetting_case.state IN ${sqlStates(DECIDED_STATES)}
         AND vetting_case."submittedAt" IS NOT NULL
     )
     SELECT state, count(*)::int AS decided,
            round(percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds))::int AS "medianSeconds",
            round(percentile_cont(0.9) WITHIN GROUP (ORDER BY seconds))::int AS "percentile90Seconds"
     FROM decided
     GROUP BY GROUPING SETS ((), (state))
     HAVING count(*) > 0
     ORDER BY state NULLS FIRST`,
    [period.from, period.until],
  );
  return decisionTimeRow.checkRows(rows);
}

export interface OpenCasesPerStaffRow {
  /** null: the open cases nobody is assigned. */
  staffUserId: string | null;
  name: string | null;
  openCases: number;
}

const openCasesPerStaffRow = rowShape<OpenCasesPerStaffRow>("sql/statistics.openCasesPerStaff", {
  staffUserId: column.nullable(column.string),
  name: column.nullable(column.string),
  openCases: column.integer,
});

/**
 * The open cases (not erased) each active staff member is assigned now, those with none included, and
 * the unassigned ones as a row of their own (staffUserId null), most first. Not limited to the period:
 * it is the workload of today.
 */
export async function findOpenCasesPerStaff(sqlPool: pg.Pool): Promise<OpenCasesPerStaffRow[]> {
  const { rows } = await sqlPool.query(
    `WITH open_case AS (
       SELECT vetting_case."assignedToId" FROM vetting_cases AS vetting_case
       WHERE vetting_case.state IN ${sqlStates(OPEN_STATES)} AND vetting_case."erasedAt" IS NULL
     ),
     per_assignee AS (
       SELECT open_case."assignedToId", count(*)::int AS count FROM open_case GROUP BY 1
     )
     SELECT person.id AS "staffUserId", person.name, coalesce(per_assignee.count, 0) AS "openCases"
     FROM staff_users AS person
     LEFT JOIN per_assignee ON per_assignee."assignedToId" = person.id
     WHERE person.status = 'ACTIVE' OR per_assignee.count IS NOT NULL
     UNION ALL
     SELECT NULL, NULL, count(*)::int FROM open_case WHERE open_case."assignedToId" IS NULL
     ORDER BY 3 DESC, 2 ASC NULLS LAST`,
  );
  return openCasesPerStaffRow.checkRows(rows);
}
