// The statistics page against numbers worked out by hand from cases with known timestamps.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Prisma } from "../../generated/prisma/client.js";
import { startTestApp, type TestApp } from "../../test/app.js";
import { createStaffMember, signedInCookie } from "../../test/staff.js";

let testApp: TestApp;
let adminCookie: string;
let agentCookie: string;

/** The period the tests ask for: two ISO weeks, starting Monday 2 March 2026. */
const PERIOD = "from=2026-03-02&to=2026-03-15";

before(async () => {
  testApp = await startTestApp();
  const admin = await createStaffMember(testApp.db, testApp.config, {
    role: "INVITING_ADMIN",
    name: "Ines Admin",
  });
  adminCookie = await signedInCookie(testApp.db, testApp.config, admin.id);
  // Names a spreadsheet would take for formulas: the CSV must make them text.
  const eve = await createStaffMember(testApp.db, testApp.config, {
    role: "VETTING_AGENT",
    name: "=Eve Formula",
  });
  const frank = await createStaffMember(testApp.db, testApp.config, {
    role: "VETTING_AGENT",
    name: "+Frank Plus",
  });
  agentCookie = await signedInCookie(testApp.db, testApp.config, eve.id);

  const at = (iso: string) => new Date(iso);
  const cases: Prisma.VettingCaseCreateManyInput[] = (
    [
      // Week of 2 March: two approved (24 h and 48 h), one rejected (144 h, decided the next week).
      { state: "APPROVED", submittedAt: at("2026-03-02T10:00:00Z"), decidedAt: at("2026-03-03T10:00:00Z") },
      { state: "APPROVED", submittedAt: at("2026-03-03T00:00:00Z"), decidedAt: at("2026-03-05T00:00:00Z") },
      { state: "REJECTED", submittedAt: at("2026-03-04T00:00:00Z"), decidedAt: at("2026-03-10T00:00:00Z") },
      // Week of 9 March: two still open (one on the period's last second), one withdrawn, one closed.
      { state: "IN_REVIEW", submittedAt: at("2026-03-09T12:00:00Z"), assignedToId: eve.id },
      {
        state: "WITHDRAWN",
        submittedAt: at("2026-03-10T00:00:00Z"),
        withdrawnAt: at("2026-03-11T00:00:00Z"),
      },
      { state: "SUBMITTED", submittedAt: at("2026-03-15T23:59:59Z"), assignedToId: frank.id },
      { state: "CLOSED", submittedAt: at("2026-03-11T00:00:00Z"), closedAt: at("2026-03-12T00:00:00Z") },
      // Submitted before the period, approved in it after 480 h: a decision of the period, not an application.
      { state: "APPROVED", submittedAt: at("2026-02-20T00:00:00Z"), decidedAt: at("2026-03-12T00:00:00Z") },
      // Submitted and decided after the period: in neither.
      { state: "APPROVED", submittedAt: at("2026-03-16T00:00:00Z"), decidedAt: at("2026-03-20T00:00:00Z") },
      // A draft nobody holds: never submitted, but open and unassigned.
      { state: "DRAFT" },
      // An erased open case (from before the period) is nobody's workload.
      {
        state: "IN_REVIEW",
        submittedAt: at("2026-01-05T00:00:00Z"),
        assignedToId: eve.id,
        erasedAt: at("2026-03-06T00:00:00Z"),
      },
    ] satisfies Partial<Prisma.VettingCaseCreateManyInput>[]
  ).map((fields, index) => ({
    origin: "APPLICANT",
    fullName: `Applicant ${index}`,
    email: `applicant${index}@example.org`,
    statement: "I would like to join.",
    lastSubmittedAt: fields.submittedAt ?? null,
    ...fields,
  }));
  await testApp.db.vettingCase.createMany({ data: cases });
});
after(() => testApp.close());

async function get(path: string, cookie = adminCookie) {
  const response = await fetch(`${testApp.baseUrl}${path}`, { headers: { cookie }, redirect: "manual" });
  return { status: response.status, text: await response.text(), response };
}

/** The rows of the table with this caption: header cells and data cells as text. */
function tableRows(html: string, caption: string): string[][] {
  const table = new RegExp(`<caption[^>]*>${caption}</caption>([\\s\\S]*?)</table>`).exec(html)?.[1];
  assert.ok(table, `a table captioned "${caption}"`);
  return [...table.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...(row[1] ?? "").matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((cell) =>
      (cell[1] ?? "").replace(/<[^>]+>/g, "").trim(),
    ),
  );
}

/** The summary's value for a term. */
function summaryValue(html: string, term: string): string | undefined {
  return new RegExp(`<dt>${term}</dt><dd>([^<]*)</dd>`).exec(html)?.[1];
}

describe("the statistics page", () => {
  test("counts the period's applications per week by outcome, every outcome state a column", async () => {
    const page = await get(`/staff/statistics?${PERIOD}`);
    assert.equal(page.status, 200);
    assert.deepEqual(tableRows(page.text, "Applications per week by outcome"), [
      [
        "Week starting",
        "Still open",
        "Approved",
        "Rejected",
        "Withdrawn",
        "Closed without a decision",
        "Total",
      ],
      ["2026-03-02", "0", "2", "1", "0", "0", "3"],
      ["2026-03-09", "2", "0", "0", "1", "1", "4"],
    ]);
    assert.equal(summaryValue(page.text, "Applications submitted"), "7");
  });

  test("gives the median and 90th percentile time to decision, overall and per state, and the approval rate", async () => {
    const page = await get(`/staff/statistics?${PERIOD}`);
    // Decided in the period: 24, 48, 144 and 480 hours. Median (48 + 144) / 2 = 96 h; 90th percentile
    // at rank 2.7: 144 + 0.7 × (480 − 144) = 379.2 h = 15.8 days. Approved alone: 24, 48, 480 h, median
    // 48 h (2 days), 90th at rank 1.8: 48 + 0.8 × 432 = 393.6 h = 16.4 days. Rejected: 144 h = 6 days.
    assert.deepEqual(tableRows(page.text, "Time from submission to decision"), [
      ["Outcome", "Decided", "Median", "90th percentile"],
      ["All decisions", "4", "4 days", "15.8 days"],
      ["Approved", "3", "2 days", "16.4 days"],
      ["Rejected", "1", "6 days", "6 days"],
    ]);
    assert.equal(summaryValue(page.text, "Approval rate"), "75% (3 of 4 decisions)");
    assert.equal(summaryValue(page.text, "Cases decided"), "4");

    const csv = await get(`/staff/statistics/decision-times.csv?${PERIOD}`);
    assert.equal(csv.status, 200);
    assert.equal(csv.response.headers.get("content-type"), "text/csv; charset=utf-8");
    assert.equal(
      csv.response.headers.get("content-disposition"),
      'attachment; filename="decision-times-2026-03-02-to-2026-03-15.csv"',
    );
    assert.equal(
      csv.text,
      "Outcome,Decided,Median (hours),90th percentile (hours)\r\n" +
        "All decisions,4,96,379.2\r\nApproved,3,48,393.6\r\nRejected,1,144,144\r\n",
    );
  });

  test("lists today's open cases per staff member, and its CSV makes formula-like names text", async () => {
    const page = await get(`/staff/statistics?${PERIOD}`);
    const rows = tableRows(page.text, "Open cases per staff member");
    assert.deepEqual(rows.slice(0, 4), [
      ["Staff member", "Open cases"],
      ["+Frank Plus", "1"],
      ["=Eve Formula", "1"],
      ["Nobody (unassigned)", "1"],
    ]);
    assert.deepEqual(rows.slice(4), [["Ines Admin", "0"]]);

    const csv = await get(`/staff/statistics/open-cases.csv?${PERIOD}`);
    assert.equal(
      csv.text,
      "Staff member,Open cases\r\n'+Frank Plus,1\r\n'=Eve Formula,1\r\nNobody (unassigned),1\r\nInes Admin,0\r\n",
    );
    const weekly = await get(`/staff/statistics/weekly-outcomes.csv?${PERIOD}`);
    assert.equal(
      weekly.text,
      "Week starting (UTC),Still open,Approved,Rejected,Withdrawn,Closed without a decision,Total\r\n" +
        "2026-03-02,0,2,1,0,0,3\r\n2026-03-09,2,0,0,1,1,4\r\n",
    );
  });

  test("draws each chart as SVG with classes only: no style attribute, no script", async () => {
    const page = await get(`/staff/statistics?${PERIOD}`);
    const svgs = [...page.text.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((match) => match[0]);
    assert.equal(svgs.length, 3);
    for (const svg of svgs) {
      assert.match(svg, /role="img"/);
      assert.doesNotMatch(svg, /style=|<script|fill="/);
    }
    // Week of 2 March: 2 approved and 1 rejected, one bar segment each, with their own colour class.
    // Week of 9 March: open, withdrawn and closed. Five segments in all.
    assert.equal((svgs[0]?.match(/<rect class="chart__bar /g) ?? []).length, 5);
    assert.match(svgs[0] ?? "", /chart__series--1"[^>]*><title>Week of 2026-03-02: 2 approved<\/title>/);
  });

  test("defaults to the last twelve weeks, ending today", async () => {
    const page = await get("/staff/statistics");
    assert.equal(page.status, 200);
    const weeks = tableRows(page.text, "Applications per week by outcome").slice(1);
    assert.equal(weeks.length, 12);
    const today = new Date().toISOString().slice(0, 10);
    assert.match(page.text, new RegExp(`<h2 id="summary-heading">From ${weeks[0]?.[0]} to ${today}</h2>`));
    assert.equal(new Date(`${weeks[0]?.[0]}T00:00:00Z`).getUTCDay(), 1, "weeks start on Monday");
    // The seeded decisions are older than twelve weeks (the clock is past March 2026).
    assert.ok(today > "2026-06-30");
    assert.match(page.text, /No case was decided in this period\./);
    assert.equal(summaryValue(page.text, "Approval rate"), "No decisions in this period");
  });

  test("refuses a malformed or reversed period, or one over two years, with a message on the field", async () => {
    const cases: [string, string, string][] = [
      ["from=2026-13-01&to=2026-03-15", "from", "Enter a date like 2026-03-31."],
      ["from=2026-03-15&to=2026-03-01", "to", "The end date must be the same as or after the start date."],
      ["from=2024-01-01&to=2026-03-15", "to", "Choose a period of at most two years."],
      ["from=2999-01-01", "from", "The start date must be today or earlier."],
    ];
    for (const [query, field, message] of cases) {
      const page = await get(`/staff/statistics?${query}`);
      assert.equal(page.status, 400, query);
      assert.match(page.text, /<title>Error: Statistics/, query);
      assert.ok(
        page.text.includes(`id="${field}-error"><span class="visually-hidden">Error: </span>${message}`),
        query,
      );
      assert.doesNotMatch(page.text, /<svg/, query);
      const csv = await get(`/staff/statistics/open-cases.csv?${query}`);
      assert.equal(csv.status, 400, `${query} CSV`);
    }
  });

  test("is for admins: agents are refused the page and every download; an unknown table is not found", async () => {
    assert.equal((await get(`/staff/statistics?${PERIOD}`, agentCookie)).status, 403);
    for (const table of ["weekly-outcomes", "decision-times", "open-cases"])
      assert.equal((await get(`/staff/statistics/${table}.csv?${PERIOD}`, agentCookie)).status, 403, table);
    assert.equal((await get(`/staff/statistics/staff-emails.csv?${PERIOD}`)).status, 404);
    const signedOut = await get("/staff/statistics", "");
    assert.equal(signedOut.status, 303);
    // The navigation links admins to the page, and not agents.
    assert.match((await get("/staff/cases")).text, /<a href="\/staff\/statistics"[^>]*>Statistics<\/a>/);
    assert.doesNotMatch((await get("/staff/cases", agentCookie)).text, /\/staff\/statistics/);
  });
});
