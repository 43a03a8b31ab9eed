// Bulk work from the queue and "previous"/"next" on the case page, over HTTP against real Postgres and
// a real SMTP server on loopback: the confirmation page says what will change (and changes nothing),
// each action is one transaction with an audit row per case and the emails a single action sends,
// admins alone close as spam, exports are formula-safe and audited, a selection is bounded, and a
// failure half-way leaves every case as it was.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { seedCases } from "../../../scripts/seed.js";
import { BULK_CASE_LIMIT, BULK_LIMIT_MESSAGE } from "../../commands/cases/bulkCases.js";
import type { Prisma } from "../../generated/prisma/client.js";
import { CASE_QUEUE_SORTS } from "../../queries/cases.js";
import { findCaseQueueNeighbours, findCaseQueuePage } from "../../queries/sql/caseQueue.js";
import { startTestApp, type TestApp } from "../../test/app.js";
import { deliverQueuedEmails } from "../../test/browser.js";
import { truncateTables } from "../../test/reset.js";
import { startTestSmtpServer, type TestSmtpServer } from "../../test/smtp.js";
import {
  ageSecondFactor,
  createStaffMember,
  type SignedInStaffBrowser,
  signedInStaffBrowser,
} from "../../test/staff.js";

let testApp: TestApp;
let smtp: TestSmtpServer;
before(async () => {
  smtp = await startTestSmtpServer({ tls: "none" });
  testApp = await startTestApp({ env: { SMTP_PORTS: String(smtp.port), NEW_CASE_NOTIFICATIONS: "off" } });
});
after(async () => {
  await testApp.close();
  await smtp.close();
});

let agent: SignedInStaffBrowser;
beforeEach(async () => {
  smtp.messages.length = 0;
  await truncateTables(testApp.db, [
    "case_closures",
    "case_conflicts",
    "vetting_records",
    "case_decisions",
    "vetting_cases",
    "outbox_messages",
    "audit_events",
    "staff_sessions",
    "staff_users",
    "graphile_worker._private_jobs",
  ]);
  agent = await signedInStaffBrowser(testApp, "VETTING_AGENT", "Vic Viewer");
});

const day = (iso: string) => new Date(`${iso}T12:00:00.000Z`);

async function createCase(data: Partial<Prisma.VettingCaseUncheckedCreateInput> = {}) {
  return testApp.db.vettingCase.create({
    data: {
      origin: "APPLICANT",
      fullName: "Someone",
      email: "someone@example.org",
      statement: "Hello.",
      state: "SUBMITTED",
      submittedAt: day("2026-10-01"),
      lastSubmittedAt: day("2026-10-01"),
      ...data,
    },
  });
}

const caseNumber = (number: number) => `VC-${String(number).padStart(5, "0")}`;

/** The confirmation page as the queue's action bar asks for it (GET). */
async function confirmation(browser: SignedInStaffBrowser, params: [string, string][]) {
  const response = await browser.get(`/staff/cases/bulk?${new URLSearchParams(params).toString()}`);
  return { status: response.status, html: await response.text() };
}

/** The hidden field the confirmation's form sends back, decoded. */
function hiddenField(html: string, name: string): string | null {
  const value = new RegExp(`<input type="hidden" name="${name}" value="([^"]*)">`).exec(html)?.[1];
  return value === undefined ? null : value.replaceAll("&amp;", "&").replaceAll("&quot;", '"');
}

/** The confirmation's table rows as text: number, name, state, assignee, what happens. */
function confirmationRows(html: string): string[] {
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? "";
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) =>
    (row[1] ?? "")
      .replace(/<[^>]+>/g, " ")
      .replace(/\s+/g, " ")
      .trim(),
  );
}

async function auditActions(caseId: string): Promise<string[]> {
  const rows = await testApp.db.auditEvent.findMany({
    where: { subjectType: "vetting_case", subjectId: caseId },
    orderBy: { id: "asc" },
    select: { action: true },
  });
  return rows.map((row) => row.action);
}

describe("bulk assignment", () => {
  test("the confirmation lists each case with its state and assignee and changes nothing; the POST assigns in one go, audited per case, each assignee told", async () => {
    const asha = await createStaffMember(testApp.db, testApp.config, {
      role: "VETTING_AGENT",
      name: "Asha Assignee",
    });
    const other = await createStaffMember(testApp.db, testApp.config, {
      role: "VETTING_AGENT",
      name: "Olu Other",
    });
    const first = await createCase({ fullName: "Ann First", lastSubmittedAt: day("2026-10-01") });
    const second = await createCase({
      fullName: "Ben Second",
      state: "IN_REVIEW",
      assignedToId: other.id,
      lastSubmittedAt: day("2026-10-02"),
    });
    const decided = await createCase({
      fullName: "Cy Decided",
      state: "APPROVED",
      lastSubmittedAt: day("2026-10-03"),
    });
    const alreadyHers = await createCase({
      fullName: "Di Hers",
      state: "IN_REVIEW",
      assignedToId: asha.id,
      lastSubmittedAt: day("2026-10-04"),
    });
    const conflicted = await createCase({ fullName: "Ed Conflicted", lastSubmittedAt: day("2026-10-05") });
    await testApp.db.caseConflict.create({
      data: { caseId: conflicted.id, staffUserId: asha.id, declaredById: asha.id, reason: "My neighbour." },
    });

    const { status, html } = await confirmation(agent, [
      ["action", "assign"],
      ["scope", "selected"],
      ["assigneeId", asha.id],
      ...[conflicted, decided, first, alreadyHers, second].map((c): [string, string] => ["case", c.id]),
    ]);
    assert.equal(status, 200);
    assert.match(html, /<h1>Assign cases<\/h1>/);
    assert.match(html, /2 cases will be assigned to Asha Assignee\./);
    // In the view's order (waiting longest first), whatever order they were ticked in.
    assert.deepEqual(confirmationRows(html), [
      `${caseNumber(first.number)} Ann First Submitted Nobody Assigned to Asha Assignee`,
      `${caseNumber(second.number)} Ben Second In review Olu Other Assigned to Asha Assignee`,
      `${caseNumber(decided.number)} Cy Decided Approved Nobody Skipped This case is approved, so its assignment no longer changes.`,
      `${caseNumber(alreadyHers.number)} Di Hers In review Asha Assignee Skipped It is assigned to that person already.`,
      `${caseNumber(conflicted.number)} Ed Conflicted Submitted Nobody Skipped The person you chose has a conflict of interest on this case.`,
    ]);
    assert.equal(hiddenField(html, "caseIds"), `${first.id} ${second.id}`);
    assert.equal(hiddenField(html, "assigneeId"), asha.id);
    assert.equal(
      (await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: first.id } })).assignedToId,
      null,
      "showing the page changes nothing",
    );
    assert.equal(await testApp.db.auditEvent.count(), 0);

    const response = await agent.post("/staff/cases/bulk/assign", {
      caseIds: hiddenField(html, "caseIds") ?? "",
      assigneeId: asha.id,
      from: hiddenField(html, "from") ?? "",
    });
    assert.equal(response.status, 200);
    const done = await response.text();
    assert.match(done, /2 cases assigned to Asha Assignee\./);

    const after = await testApp.db.vettingCase.findMany({
      where: { id: { in: [first.id, second.id, decided.id] } },
      select: { id: true, assignedToId: true, state: true },
    });
    const byId = new Map(after.map((row) => [row.id, row]));
    assert.deepEqual(byId.get(first.id), { id: first.id, assignedToId: asha.id, state: "IN_REVIEW" });
    assert.deepEqual(byId.get(second.id), { id: second.id, assignedToId: asha.id, state: "IN_REVIEW" });
    assert.deepEqual(byId.get(decided.id), { id: decided.id, assignedToId: null, state: "APPROVED" });
    assert.deepEqual(await auditActions(first.id), ["case.assigned", "case.review_started"]);
    assert.deepEqual(await auditActions(second.id), ["case.assigned"]);
    assert.deepEqual(await auditActions(decided.id), []);
    const assigned = await testApp.db.auditEvent.findFirstOrThrow({
      where: { subjectId: second.id, action: "case.assigned" },
    });
    assert.deepEqual(assigned.details, { assigneeId: asha.id, previousAssigneeId: other.id });
    assert.equal(assigned.actorId, agent.id);

    // What a single assignment sends, once per case: an email at once (the default for assignments).
    const emails = await deliverQueuedEmails(testApp, smtp);
    assert.deepEqual(
      emails.map((email) => [email.to, email.subject]).sort(),
      [
        [[asha.email], `${caseNumber(first.number)} is assigned to you — Vetting Portal`],
        [[asha.email], `${caseNumber(second.number)} is assigned to you — Vetting Portal`],
      ].sort(),
    );
  });

  test("a POST without the CSRF token is refused and changes nothing", async () => {
    const asha = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
    const vettingCase = await createCase();
    const response = await fetch(`${testApp.baseUrl}/staff/cases/bulk/assign`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie: agent.cookie },
      body: new URLSearchParams({ caseIds: vettingCase.id, assigneeId: asha.id, from: "" }).toString(),
    });
    assert.equal(response.status, 403);
    const row = await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: vettingCase.id } });
    assert.equal(row.assignedToId, null);
    assert.equal(await testApp.db.auditEvent.count({ where: { action: "case.assigned" } }), 0);
  });

  test("more than the limit is refused with a clear message: the view on the page, the ids in the POST", async () => {
    const asha = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
    await testApp.db.vettingCase.createMany({
      data: Array.from({ length: BULK_CASE_LIMIT + 1 }, (_, index) => ({
        origin: "APPLICANT" as const,
        fullName: `Person ${index}`,
        email: `person${index}@example.org`,
        statement: "Hello.",
        state: "SUBMITTED" as const,
        submittedAt: day("2026-10-01"),
        lastSubmittedAt: day("2026-10-01"),
      })),
    });
    const { status, html } = await confirmation(agent, [
      ["action", "assign"],
      ["scope", "view"],
      ["assigneeId", asha.id],
      ["state", "SUBMITTED"],
    ]);
    assert.equal(status, 400);
    assert.ok(
      html.includes(BULK_LIMIT_MESSAGE.replaceAll("’", "&#8217;")) || html.includes(BULK_LIMIT_MESSAGE),
    );
    assert.doesNotMatch(html, /name="caseIds"/, "nothing to confirm");

    const ids = (await testApp.db.vettingCase.findMany({ select: { id: true } })).map((row) => row.id);
    const response = await agent.post("/staff/cases/bulk/assign", {
      caseIds: ids.join(" "),
      assigneeId: asha.id,
      from: "",
    });
    assert.equal(response.status, 400);
    assert.ok((await response.text()).includes("at most 500 cases"));
    assert.equal(await testApp.db.vettingCase.count({ where: { assignedToId: asha.id } }), 0);

    // The limit itself is allowed (an export: the cheapest action to run 500 times).
    const allowed = await agent.post("/staff/cases/bulk/export.csv", {
      caseIds: ids.slice(0, BULK_CASE_LIMIT).join(" "),
      from: "",
    });
    assert.equal(allowed.status, 200);
    assert.equal((await allowed.text()).trim().split("\r\n").length, BULK_CASE_LIMIT + 1);
    assert.equal(await testApp.db.auditEvent.count({ where: { action: "case.exported" } }), BULK_CASE_LIMIT);
  });

  test("a failure half-way through rolls everything back: no case, audit row or email changed", async () => {
    const asha = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
    const cases = [await createCase(), await createCase(), await createCase()];
    const failing = cases[1]?.id ?? "";
    // A real failure inside the transaction, after the first case was assigned: Postgres refuses the
    // second case's update.
    await testApp.db.$executeRawUnsafe(`CREATE FUNCTION refuse_bulk_test_case() RETURNS trigger AS $$
      BEGIN RAISE EXCEPTION 'refused for the test'; END $$ LANGUAGE plpgsql`);
    await testApp.db.$executeRawUnsafe(`CREATE TRIGGER refuse_bulk_test_case BEFORE UPDATE ON vetting_cases
      FOR EACH ROW WHEN (NEW.id = '${failing}'::uuid) EXECUTE FUNCTION refuse_bulk_test_case()`);
    try {
      const response = await agent.post("/staff/cases/bulk/assign", {
        caseIds: cases.map((c) => c.id).join(" "),
        assigneeId: asha.id,
        from: "",
      });
      assert.equal(response.status, 500);
    } finally {
      await testApp.db.$executeRawUnsafe("DROP TRIGGER refuse_bulk_test_case ON vetting_cases");
      await testApp.db.$executeRawUnsafe("DROP FUNCTION refuse_bulk_test_case()");
    }
    const rows = await testApp.db.vettingCase.findMany({ select: { assignedToId: true, state: true } });
    assert.deepEqual(
      rows.map((row) => [row.assignedToId, row.state]),
      [
        [null, "SUBMITTED"],
        [null, "SUBMITTED"],
        [null, "SUBMITTED"],
      ],
    );
    assert.equal(await testApp.db.auditEvent.count({ where: { subjectType: "vetting_case" } }), 0);
    assert.equal(await testApp.db.outboxMessage.count(), 0);
  });
});

describe("bulk close as spam", () => {
  test("agents are refused (the page and the POST); an admin closes each open case with the reason, audited", async () => {
    const submitted = await createCase({ fullName: "Spam One", lastSubmittedAt: day("2026-10-01") });
    const inReview = await createCase({
      fullName: "Spam Two",
      state: "IN_REVIEW",
      lastSubmittedAt: day("2026-10-02"),
    });
    const approved = await createCase({
      fullName: "Real Person",
      state: "APPROVED",
      lastSubmittedAt: day("2026-10-03"),
    });
    const ids = [submitted.id, inReview.id, approved.id];
    const params = (): [string, string][] => [
      ["action", "close"],
      ["scope", "selected"],
      ...ids.map((id): [string, string] => ["case", id]),
    ];

    assert.equal((await confirmation(agent, params())).status, 403);
    const refused = await agent.post("/staff/cases/bulk/close", {
      caseIds: ids.join(" "),
      closureReason: "Advertising.",
      from: "",
    });
    assert.equal(refused.status, 403);
    assert.equal(await testApp.db.caseClosure.count(), 0);
    assert.doesNotMatch(await (await agent.get("/staff/cases")).text(), /Close as spam/);

    const admin = await signedInStaffBrowser(testApp, "INVITING_ADMIN", "Ada Admin");
    assert.match(await (await admin.get("/staff/cases")).text(), /value="close">Close as spam…<\/button>/);
    const { status, html } = await confirmation(admin, params());
    assert.equal(status, 200);
    assert.deepEqual(confirmationRows(html), [
      `${caseNumber(submitted.number)} Spam One Submitted Nobody Closed as spam`,
      `${caseNumber(inReview.number)} Spam Two In review Nobody Closed as spam`,
      `${caseNumber(approved.number)} Real Person Approved Nobody Skipped This case is approved, so it cannot be closed now.`,
    ]);
    const caseIds = hiddenField(html, "caseIds") ?? "";
    assert.equal(caseIds, `${submitted.id} ${inReview.id}`);

    const withoutReason = await admin.post("/staff/cases/bulk/close", {
      caseIds,
      closureReason: " ",
      from: "",
    });
    assert.equal(withoutReason.status, 422);
    assert.match(await withoutReason.text(), /Say why the cases are closed\./);
    assert.equal(await testApp.db.caseClosure.count(), 0);

    const response = await admin.post("/staff/cases/bulk/close", {
      caseIds,
      closureReason: "Advertising, not an application.",
      from: "",
    });
    assert.equal(response.status, 200);
    assert.match(await response.text(), /2 cases closed as spam\./);
    const closures = await testApp.db.caseClosure.findMany({
      orderBy: { caseId: "asc" },
      select: { caseId: true, kind: true, reason: true, closedById: true },
    });
    assert.deepEqual(
      closures,
      [submitted.id, inReview.id].sort().map((caseId) => ({
        caseId,
        kind: "SPAM",
        reason: "Advertising, not an application.",
        closedById: admin.id,
      })),
    );
    const states = await testApp.db.vettingCase.findMany({
      where: { id: { in: ids } },
      select: { id: true, state: true },
    });
    assert.deepEqual(Object.fromEntries(states.map((row) => [row.id, row.state])), {
      [submitted.id]: "CLOSED",
      [inReview.id]: "CLOSED",
      [approved.id]: "APPROVED",
    });
    assert.deepEqual(await auditActions(submitted.id), ["case.closed"]);
    assert.deepEqual(await auditActions(inReview.id), ["case.closed"]);
    assert.deepEqual(await auditActions(approved.id), []);
    assert.equal(await testApp.db.outboxMessage.count(), 0, "closing emails nobody");
  });
});

describe("CSV export", () => {
  test("a selection: the queue's columns, formula-safe, audited on each case before it leaves", async () => {
    const formula = await createCase({
      fullName: '=HYPERLINK("http://evil.example","click")',
      lastSubmittedAt: day("2026-10-01"),
      submittedAt: day("2026-10-01"),
    });
    const plain = await createCase({
      fullName: "Plain, Person",
      state: "IN_REVIEW",
      assignedToId: agent.id,
      isPossibleDuplicate: true,
      lastSubmittedAt: day("2026-10-02"),
      submittedAt: day("2026-10-02"),
    });
    const { html } = await confirmation(agent, [
      ["action", "export"],
      ["scope", "selected"],
      ["case", plain.id],
      ["case", formula.id],
    ]);
    assert.match(html, /2 cases will be exported/);
    const response = await agent.post("/staff/cases/bulk/export.csv", {
      caseIds: hiddenField(html, "caseIds") ?? "",
      from: "",
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/csv; charset=utf-8");
    assert.match(
      response.headers.get("content-disposition") ?? "",
      /^attachment; filename="cases-\d{4}-\d{2}-\d{2}T\d{6}Z\.csv"$/,
    );
    const csv = await response.text();
    assert.equal(
      csv,
      [
        "case,name,state,assigned_to,created_at,submitted_at,last_submitted_at,possible_duplicate,latest_recommendation,latest_score",
        `${caseNumber(formula.number)},"'=HYPERLINK(""http://evil.example"",""click"")",Submitted,,${formula.createdAt.toISOString()},2026-10-01T12:00:00.000Z,2026-10-01T12:00:00.000Z,no,,`,
        `${caseNumber(plain.number)},"Plain, Person",In review,Vic Viewer,${plain.createdAt.toISOString()},2026-10-02T12:00:00.000Z,2026-10-02T12:00:00.000Z,yes,,`,
        "",
      ].join("\r\n"),
    );
    for (const exported of [formula, plain]) {
      const rows = await testApp.db.auditEvent.findMany({
        where: { subjectId: exported.id },
        select: { action: true, actorId: true, details: true },
      });
      assert.deepEqual(rows, [
        { action: "case.exported", actorId: agent.id, details: { format: "queue_csv" } },
      ]);
    }
  });

  test("the filtered view: every matching case, never one the viewer has a conflict of interest on", async () => {
    const matching = await createCase({ fullName: "Match One", lastSubmittedAt: day("2026-10-01") });
    const alsoMatching = await createCase({ fullName: "Match Two", lastSubmittedAt: day("2026-10-02") });
    const conflicted = await createCase({ fullName: "Match Conflicted", lastSubmittedAt: day("2026-10-03") });
    await createCase({ fullName: "Not Matching", state: "IN_REVIEW" });
    await testApp.db.caseConflict.create({
      data: { caseId: conflicted.id, staffUserId: agent.id, declaredById: agent.id, reason: "My cousin." },
    });
    const { status, html } = await confirmation(agent, [
      ["action", "export"],
      ["scope", "view"],
      ["state", "SUBMITTED"],
    ]);
    assert.equal(status, 200);
    assert.match(html, /These are every case of the queue view you were in\./);
    assert.deepEqual(confirmationRows(html), [
      `${caseNumber(matching.number)} Match One Submitted Nobody Exported`,
      `${caseNumber(alsoMatching.number)} Match Two Submitted Nobody Exported`,
      `${caseNumber(conflicted.number)} Match Conflicted Submitted Hidden (conflict of interest) Skipped You have a conflict of interest on this case. Its details are not exported.`,
    ]);
    assert.equal(hiddenField(html, "caseIds"), `${matching.id} ${alsoMatching.id}`);
    assert.equal(hiddenField(html, "from"), "state=SUBMITTED");

    // Even when the conflicted case's id is sent, the server leaves it out.
    const response = await agent.post("/staff/cases/bulk/export.csv", {
      caseIds: [matching.id, alsoMatching.id, conflicted.id].join(" "),
      from: "state=SUBMITTED",
    });
    const names = (await response.text())
      .trim()
      .split("\r\n")
      .slice(1)
      .map((line) => line.split(",")[1]);
    assert.deepEqual(names, ["Match One", "Match Two"]);
    assert.equal(await testApp.db.auditEvent.count({ where: { subjectId: conflicted.id } }), 0);
  });
});

describe("previous and next in the queue view", () => {
  /** The case page's previous and next links (case numbers), "end" where there is none. */
  async function neighbours(caseId: string, from: string) {
    const response = await agent.get(`/staff/cases/${caseId}?from=${encodeURIComponent(from)}`);
    assert.equal(response.status, 200);
    const html = await response.text();
    const link = (rel: string) => {
      const match = new RegExp(
        `<a href="/staff/cases/([0-9a-f-]{36})\\?from=([^"]*)" rel="${rel}">[^<]*<span class="visually-hidden">:</span> (VC-\\d{5})</a>`,
      ).exec(html);
      if (!match) return "end";
      assert.equal(decodeURIComponent(match[2] ?? ""), from, "the link keeps the view");
      return match[3];
    };
    return { previous: link("prev"), next: link("next"), html };
  }

  test("follow the view's filter and order, with no link past either end", async () => {
    // Created a second apart, in this order (the newest sort follows createdAt, kept to the
    // millisecond: cases created in the same millisecond would fall back to their random ids).
    const created = (second: number) => new Date(Date.UTC(2026, 10, 1, 10, 0, second));
    const anna = await createCase({
      fullName: "Anna",
      lastSubmittedAt: day("2026-10-05"),
      createdAt: created(1),
    });
    const bert = await createCase({
      fullName: "Bert",
      state: "IN_REVIEW",
      lastSubmittedAt: day("2026-10-01"),
      createdAt: created(2),
    });
    const cleo = await createCase({
      fullName: "Cleo",
      lastSubmittedAt: day("2026-10-03"),
      createdAt: created(3),
    });
    const dora = await createCase({
      fullName: "Dora",
      lastSubmittedAt: day("2026-10-04"),
      createdAt: created(4),
    });
    const draft = await createCase({
      fullName: "Emil",
      state: "DRAFT",
      submittedAt: null,
      lastSubmittedAt: null,
      createdAt: created(5),
    });
    const n = (c: { number: number }) => caseNumber(c.number);

    // Submitted cases by name: Anna, Cleo, Dora.
    const byName = "state=SUBMITTED&sort=name";
    assert.deepEqual(await neighbours(anna.id, byName).then(({ previous, next }) => [previous, next]), [
      "end",
      n(cleo),
    ]);
    assert.deepEqual(await neighbours(cleo.id, byName).then(({ previous, next }) => [previous, next]), [
      n(anna),
      n(dora),
    ]);
    assert.deepEqual(await neighbours(dora.id, byName).then(({ previous, next }) => [previous, next]), [
      n(cleo),
      "end",
    ]);

    // The default view, waiting longest first, drafts last: Bert, Cleo, Dora, Anna, Emil.
    assert.deepEqual(await neighbours(bert.id, "").then(({ previous, next }) => [previous, next]), [
      "end",
      n(cleo),
    ]);
    assert.deepEqual(await neighbours(anna.id, "").then(({ previous, next }) => [previous, next]), [
      n(dora),
      n(draft),
    ]);
    assert.deepEqual(await neighbours(draft.id, "").then(({ previous, next }) => [previous, next]), [
      n(anna),
      "end",
    ]);

    // Newest first (created in the order above): Emil, Dora, Cleo, Bert, Anna.
    assert.deepEqual(
      await neighbours(cleo.id, "sort=newest").then(({ previous, next }) => [previous, next]),
      [n(dora), n(bert)],
    );
    assert.deepEqual(
      await neighbours(draft.id, "sort=newest").then(({ previous, next }) => [previous, next]),
      ["end", n(dora)],
    );

    const first = await neighbours(anna.id, byName);
    assert.match(first.html, /First case in this view/);
    assert.ok(
      first.html.includes(
        `<a href="/staff/cases?state=SUBMITTED&amp;sort=name">Back to this view of the queue</a>`,
      ),
    );
  });

  test("agree with the queue's own pages for every case of a seeded database, in every order", async () => {
    await seedCases(testApp.databaseUrl, { cases: 60, staffMembers: 4, append: true });
    for (const sort of CASE_QUEUE_SORTS) {
      for (const filter of [{}, { state: "SUBMITTED" as const }]) {
        const view = { tab: "all" as const, filter, sort, viewerId: agent.id };
        const { rows } = await findCaseQueuePage(testApp.sqlPool, { ...view, after: null, pageSize: 100 });
        assert.ok(rows.length > 1);
        for (const [index, row] of rows.entries()) {
          const neighbours = await findCaseQueueNeighbours(testApp.sqlPool, { ...view, caseId: row.id });
          assert.deepEqual(
            [neighbours?.previous?.id ?? null, neighbours?.next?.id ?? null],
            [rows[index - 1]?.id ?? null, rows[index + 1]?.id ?? null],
            `${sort} ${JSON.stringify(filter)}, row ${index}`,
          );
        }
      }
    }
  });

  test("the queue's rows carry their view; a case page without one has no such links, a damaged one says so", async () => {
    const vettingCase = await createCase({ fullName: "Anna" });
    const queue = await (await agent.get("/staff/cases?state=SUBMITTED&sort=name")).text();
    assert.ok(
      queue.includes(`<a href="/staff/cases/${vettingCase.id}?from=state%3DSUBMITTED%26sort%3Dname">`),
    );

    const plain = await (await agent.get(`/staff/cases/${vettingCase.id}`)).text();
    assert.doesNotMatch(plain, /Cases in this view/);
    const damaged = await agent.get(
      `/staff/cases/${vettingCase.id}?from=${encodeURIComponent("state=NOPE")}`,
    );
    assert.equal(damaged.status, 200);
    const html = await damaged.text();
    assert.match(html, /The queue view in this page’s address is damaged/);
    assert.doesNotMatch(html, /rel="next"|rel="prev"/);
  });
});

describe("step-up", () => {
  test("closing and exporting ask for a fresh code when the last one is old, as their single-case forms do", async () => {
    const admin = await signedInStaffBrowser(testApp, "INVITING_ADMIN", "Ada Admin");
    const vettingCase = await createCase();
    await ageSecondFactor(testApp.db, admin.id, 60);
    for (const [path, fields] of [
      ["/staff/cases/bulk/close", { caseIds: vettingCase.id, closureReason: "Advertising.", from: "" }],
      ["/staff/cases/bulk/export.csv", { caseIds: vettingCase.id, from: "" }],
    ] as const) {
      const response = await admin.post(path, fields);
      assert.equal(response.status, 403, path);
      const html = await response.text();
      assert.match(html, /name="stepUpCode"/, `${path}: the step-up form`);
      assert.ok(html.includes(`value="${vettingCase.id}"`), `${path}: the selection is sent again`);
    }
    assert.equal(await testApp.db.caseClosure.count(), 0);
    assert.equal(await testApp.db.auditEvent.count({ where: { subjectId: vettingCase.id } }), 0);
  });
});
