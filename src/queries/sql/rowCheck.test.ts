// The fence around the reads written in SQL (rowCheck.ts): each statement's rows are checked against
// the columns it declares. The real statements pass against a seeded database; a row doctored as a
// schema change would leave it (a column renamed, gone, of another type, an undeclared enum value or
// column) fails, naming the statement, the column, what was expected and what came.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, test } from "node:test";
import type pg from "pg";
import { seedCases } from "../../../scripts/seed.js";
import { startApplicantSession } from "../../applicantSessions.js";
import { loadConfig } from "../../config.js";
import { createDatabaseAndSqlPool, type Database } from "../../db.js";
import { startSession } from "../../sessions.js";
import { createTestDatabase, type TestDatabase } from "../../test/postgres.js";
import { createStaffMember } from "../../test/staff.js";
import { type ApplicantCaseRow, applicantCaseRow, findApplicantCase } from "./applicantCase.js";
import { applicantSessionRow, findApplicantSessionByTokenHash } from "./applicantSession.js";
import {
  assigneeFilterRow,
  caseQueueRow,
  caseQueueTabCountRow,
  countCaseQueueTabs,
  findCaseQueuePage,
  findStaffForAssigneeFilter,
} from "./caseQueue.js";
import { column, type RowShape, rowShape, SqlRowError } from "./rowCheck.js";
import { findStaffSessionByTokenHash, staffSessionRow } from "./staffSession.js";

let database: TestDatabase;
let db: Database;
let sqlPool: pg.Pool;
const config = loadConfig({ NODE_ENV: "test" });
const hashOf = (token: string) => createHash("sha256").update(token, "utf8").digest("hex");

before(async () => {
  database = await createTestDatabase();
  await seedCases(database.url, { cases: 80 });
  ({ db, sqlPool } = createDatabaseAndSqlPool(database.url, {
    poolMax: 3,
    statementTimeoutMs: 10_000,
    connectionTimeoutMs: 5_000,
  }));
});
after(async () => {
  await db.$disconnect();
  await database.drop();
});

/** The rows each statement really returns, read once (every value as the driver gives it). */
async function realRows() {
  const member = await createStaffMember(db, config, { role: "VETTING_AGENT" });
  const staffSession = await db.$transaction((tx) =>
    startSession(tx, { config, staffUserId: member.id, isAuthenticated: true }),
  );
  // A case with decisions and a comment shown to the applicant, so the JSON columns hold items.
  const decided = await db.vettingCase.findFirstOrThrow({
    where: { decisions: { some: {} }, erasedAt: null },
    select: { id: true },
  });
  await db.caseComment.create({
    data: {
      caseId: decided.id,
      authorId: member.id,
      body: "Shown to the applicant.",
      isVisibleToApplicant: true,
    },
  });
  const applicantSession = await db.$transaction((tx) =>
    startApplicantSession(tx, { config, caseId: decided.id }),
  );
  const queue = await findCaseQueuePage(sqlPool, {
    tab: "all",
    filter: {},
    sort: "waiting",
    viewerId: member.id,
    after: null,
    pageSize: 50,
  });
  const applicantCase = await findApplicantCase(sqlPool, decided.id);
  assert.ok(applicantCase);
  return {
    staffSession: await findStaffSessionByTokenHash(sqlPool, hashOf(staffSession.token)),
    applicantSession: await findApplicantSessionByTokenHash(sqlPool, hashOf(applicantSession.token)),
    applicantCase,
    queue,
    people: await findStaffForAssigneeFilter(sqlPool),
    viewerId: member.id,
  };
}

describe("the real statements pass their checks", () => {
  test("every statement of queries/sql against a seeded database", async () => {
    const rows = await realRows();
    assert.equal(rows.staffSession?.role, "VETTING_AGENT");
    assert.ok(rows.applicantSession);
    assert.ok(rows.applicantCase.comments.length > 0 && rows.applicantCase.decisions.length > 0);
    assert.ok(rows.applicantCase.comments[0]?.createdAt instanceof Date, "JSON timestamps become Dates");
    // The nullable columns were checked with values in them, not only nulls.
    assert.equal(rows.queue.rows.length, 50);
    assert.ok(rows.queue.rows.some((row) => row.assigneeName !== null));
    assert.ok(rows.queue.rows.some((row) => row.latestRecommendation !== null && row.latestScore !== null));
    assert.ok(rows.people.length > 0);
    // Both forms of the tab counts: unfiltered (case_state_counts) and filtered (counted).
    const unfiltered = await countCaseQueueTabs(sqlPool, {}, rows.viewerId);
    assert.equal(unfiltered.all, 80);
    const filtered = await countCaseQueueTabs(sqlPool, { isPossibleDuplicate: false, q: "a" }, rows.viewerId);
    assert.ok(filtered.all > 0 && filtered.all <= 80);
  });
});

/** The error checkRows throws for these rows. */
function errorOf(shape: RowShape<unknown>, rows: unknown[]): string {
  try {
    shape.checkRows(rows);
  } catch (error) {
    assert.ok(error instanceof SqlRowError);
    return error.message;
  }
  assert.fail(`${shape.statement} accepted a doctored row`);
}

/** Renamed (its old name gone), retyped, and an undeclared column added: each reported by name. */
function assertDoctoringReported(
  shape: RowShape<unknown>,
  realRow: Record<string, unknown>,
  doctored: { column: string; expected: string; wrongValue: unknown; found: string },
) {
  const { column: name, expected, wrongValue, found } = doctored;
  assert.doesNotThrow(() => shape.checkRows([realRow]));
  const { [name]: value, ...withoutColumn } = realRow;
  assert.equal(
    errorOf(shape, [realRow, { ...withoutColumn, [`${name}Renamed`]: value }]),
    `${shape.statement}: column ${name}: expected ${expected}, got nothing (no such column)`,
  );
  assert.equal(
    errorOf(shape, [{ ...realRow, [name]: wrongValue }]),
    `${shape.statement}: column ${name}: expected ${expected}, got ${found}`,
  );
  assert.equal(
    errorOf(shape, [{ ...realRow, addedByAMigration: 1 }]),
    `${shape.statement}: column addedByAMigration: expected no such column (not declared), got number`,
  );
}

describe("a row that does not fit its statement's columns is reported by statement and column", () => {
  let rows: Awaited<ReturnType<typeof realRows>>;
  before(async () => {
    rows = await realRows();
  });

  test("sql/staffSession.byTokenHash", () => {
    assertDoctoringReported(
      staffSessionRow,
      { ...rows.staffSession },
      {
        column: "totpEnabledAt",
        expected: "Date or null",
        wrongValue: "2026-01-01T00:00:00.000Z",
        found: "string",
      },
    );
    assert.equal(
      errorOf(staffSessionRow, [{ ...rows.staffSession, role: "AUDITOR" }]),
      "sql/staffSession.byTokenHash: column role: expected one of VETTING_AGENT, INVITING_ADMIN, SERVER_ADMIN, SUPERADMIN, got another string",
    );
  });

  test("sql/applicantSession.byTokenHash", () => {
    assertDoctoringReported(
      applicantSessionRow,
      { ...rows.applicantSession },
      {
        column: "lastSeenAt",
        expected: "Date",
        wrongValue: null,
        found: "null",
      },
    );
  });

  test("sql/applicantCase.byId, inside its JSON columns too", () => {
    // As the statement returns it: JSON carries the timestamps as text.
    const stored = (row: ApplicantCaseRow) => ({
      ...row,
      comments: row.comments.map((comment) => ({ ...comment, createdAt: comment.createdAt.toISOString() })),
      decisions: row.decisions.map((decision) => ({
        ...decision,
        decidedAt: decision.decidedAt.toISOString(),
      })),
    });
    const realRow = stored(rows.applicantCase);
    assertDoctoringReported(applicantCaseRow, realRow, {
      column: "applicantEvidenceFileCount",
      expected: "integer",
      // count(*) without ::int is a bigint, which pg hands over as text.
      wrongValue: "3",
      found: "string",
    });
    const [firstDecision, ...otherDecisions] = realRow.decisions;
    assert.equal(
      errorOf(applicantCaseRow, [
        {
          ...realRow,
          decisions: [...otherDecisions, { ...firstDecision, isReasonSharedWithApplicant: "t" }],
        },
      ]),
      `sql/applicantCase.byId: column decisions[${otherDecisions.length}].isReasonSharedWithApplicant: expected boolean, got string`,
    );
    assert.equal(
      errorOf(applicantCaseRow, [{ ...realRow, comments: "[]" }]),
      "sql/applicantCase.byId: column comments: expected array, got string",
    );
  });

  test("sql/caseQueue.page", () => {
    assertDoctoringReported(
      caseQueueRow,
      { ...rows.queue.rows[0] },
      {
        column: "assigneeName",
        expected: "string or null",
        wrongValue: 42,
        found: "number",
      },
    );
  });

  test("sql/caseQueue.tabCounts", async () => {
    const { rows: counted } = await sqlPool.query(
      `SELECT state, count, 0 AS assigned FROM case_state_counts LIMIT 1`,
    );
    assertDoctoringReported(caseQueueTabCountRow, counted[0], {
      column: "count",
      expected: "integer",
      wrongValue: 1.5,
      found: "number",
    });
  });

  test("sql/caseQueue.assigneeFilter", () => {
    assertDoctoringReported(
      assigneeFilterRow,
      { ...rows.people[0] },
      {
        column: "status",
        expected: "one of INVITED, PENDING_APPROVAL, ACTIVE, DISABLED",
        // An enum value added by a migration and not yet here.
        wrongValue: "SUSPENDED",
        found: "another string",
      },
    );
  });
});

test("rows that fit come back as they were given, not copied", () => {
  const shape = rowShape<{ id: string; note: string | null }>("sql/example.statement", {
    id: column.string,
    note: column.nullable(column.string),
  });
  const rows = [
    { id: "a", note: null },
    { id: "b", note: "text" },
  ];
  assert.equal(shape.checkRows(rows), rows, "the same array, not a copy");
  assert.equal(
    errorOf(shape, [{ id: "a" }]),
    "sql/example.statement: column note: expected string or null, got nothing (no such column)",
  );
});
