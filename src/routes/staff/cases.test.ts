// The staff queue of vetting cases: tabs and their counts, search, every filter, the sort orders, and
// keyset paging (50 per page, no OFFSET) with the whole view carried in the URL. Over HTTP against
// real Postgres.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import type { Prisma } from "../../generated/prisma/client.js";
import { encodeCaseQueueCursor } from "../../queries/cases.js";
import { startTestApp, type TestApp } from "../../test/app.js";
import { truncateTables } from "../../test/reset.js";
import { createStaffMember, type SignedInStaffBrowser, signedInStaffBrowser } from "../../test/staff.js";

let testApp: TestApp;
before(async () => {
  testApp = await startTestApp();
});
after(() => testApp.close());

let viewer: SignedInStaffBrowser;
beforeEach(async () => {
  await truncateTables(testApp.db, [
    "case_comments",
    "vetting_records",
    "case_decisions",
    "applicant_sessions",
    "vetting_cases",
    "link_tokens",
    "outbox_messages",
    "audit_events",
    "staff_sessions",
    "staff_users",
    "graphile_worker._private_jobs",
  ]);
  viewer = await signedInStaffBrowser(testApp, "VETTING_AGENT", "Vic Viewer");
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

async function queue(query = ""): Promise<{ status: number; html: string }> {
  const response = await viewer.get(`/staff/cases${query ? `?${query}` : ""}`);
  return { status: response.status, html: await response.text() };
}

/** The case numbers of the table's rows, in order. */
function rowNumbers(html: string): string[] {
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? "";
  return [...body.matchAll(/<a href="\/staff\/cases\/[0-9a-f-]{36}\?from=[^"]*">(VC-\d{5})<\/a>/g)].map(
    (match) => match[1] ?? "",
  );
}

async function numbersFor(query: string): Promise<string[]> {
  const { status, html } = await queue(query);
  assert.equal(status, 200, query);
  return rowNumbers(html);
}

function tabCount(html: string, label: string): number {
  const match = new RegExp(`>${label} <span class="case-tabs__count">\\((\\d+)`).exec(html);
  assert.ok(match?.[1], `a count on the ${label} tab`);
  return Number(match[1]);
}

function nextLink(html: string): string | null {
  const href = /<a href="([^"]+)" rel="next">Next page<\/a>/.exec(html)?.[1];
  return href ? href.replaceAll("&amp;", "&") : null;
}

describe("tabs", () => {
  test("show their cases and counts; 'assigned to me' holds the viewer's open cases", async () => {
    const other = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
    const submitted = await createCase({ state: "SUBMITTED" });
    const submittedMine = await createCase({ state: "SUBMITTED", assignedToId: viewer.id });
    const inReview = await createCase({ state: "IN_REVIEW", assignedToId: other.id });
    const moreInformation = await createCase({
      state: "MORE_INFORMATION_REQUESTED",
      assignedToId: viewer.id,
    });
    const approved = await createCase({ state: "APPROVED", assignedToId: viewer.id });
    const rejected = await createCase({ state: "REJECTED" });
    const withdrawn = await createCase({ state: "WITHDRAWN", assignedToId: viewer.id });
    const draft = await createCase({ state: "DRAFT", submittedAt: null, lastSubmittedAt: null });

    const { html } = await queue();
    assert.equal(tabCount(html, "All cases"), 8);
    assert.equal(tabCount(html, "Submitted"), 2);
    assert.equal(tabCount(html, "In review"), 1);
    assert.equal(tabCount(html, "More information requested"), 1);
    assert.equal(tabCount(html, "Decided"), 2);
    assert.equal(tabCount(html, "Assigned to me"), 2);
    assert.match(html, /href="\/staff\/cases" aria-current="page">All cases/);

    const numbers = (...cases: { number: number }[]) => cases.map((c) => caseNumber(c.number)).sort();
    const sorted = async (query: string) => (await numbersFor(query)).sort();
    assert.deepEqual(await sorted("tab=submitted"), numbers(submitted, submittedMine));
    assert.deepEqual(await sorted("tab=in_review"), numbers(inReview));
    assert.deepEqual(await sorted("tab=more_information"), numbers(moreInformation));
    assert.deepEqual(await sorted("tab=decided"), numbers(approved, rejected));
    assert.deepEqual(await sorted("tab=assigned"), numbers(submittedMine, moreInformation));
    // Withdrawn cases are not a tab of their own: the state filter shows them.
    assert.deepEqual(await sorted("state=WITHDRAWN"), numbers(withdrawn));
    assert.deepEqual(
      await sorted(""),
      numbers(submitted, submittedMine, inReview, moreInformation, approved, rejected, withdrawn, draft),
    );
    assert.match((await queue("tab=decided")).html, /href="\/staff\/cases\?tab=decided" aria-current="page"/);
  });

  test("counts follow the search and filters", async () => {
    await createCase({ fullName: "Mia Match", state: "SUBMITTED" });
    await createCase({ fullName: "Mia Match", state: "IN_REVIEW" });
    await createCase({ fullName: "Other Person", state: "SUBMITTED" });
    const { html } = await queue("q=mia");
    assert.equal(tabCount(html, "All cases"), 2);
    assert.equal(tabCount(html, "Submitted"), 1);
    assert.equal(tabCount(html, "In review"), 1);
    // Tabs keep the search.
    assert.match(html, /href="\/staff\/cases\?tab=submitted&amp;q=mia"/);
  });
});

describe("search", () => {
  test("by name, email or Matrix ID (any case, any part), and by case number", async () => {
    const ada = await createCase({
      fullName: "Ada Lovelace",
      email: "ada@analytical.example",
      matrixId: "@ada:engine.org",
    });
    const bob = await createCase({
      fullName: "Bob Babbage",
      email: "bob@diff.example",
      matrixId: "@charles:diff.org",
    });
    const erased = await createCase({
      fullName: "Ada Erased",
      email: "ada-erased@example.org",
      erasedAt: new Date(),
    });
    const one = (c: { number: number }) => [caseNumber(c.number)];
    assert.deepEqual(await numbersFor("q=LOVELACE"), one(ada));
    assert.deepEqual(await numbersFor("q=ove"), one(ada));
    assert.deepEqual(await numbersFor("q=bob%40DIFF"), one(bob));
    assert.deepEqual(await numbersFor("q=%40charles%3Adiff"), one(bob));
    assert.deepEqual(await numbersFor("q=engine.org"), one(ada));
    assert.deepEqual(await numbersFor(`q=${caseNumber(bob.number)}`), one(bob));
    assert.deepEqual(await numbersFor(`q=vc-${bob.number}`), one(bob));
    assert.deepEqual(await numbersFor(`q=%23${bob.number}`), one(bob));
    assert.deepEqual(await numbersFor("q=nobody-like-this"), []);
    // An erased case is found by its number, never by the person's (former) details.
    assert.deepEqual((await numbersFor("q=ada")).sort(), one(ada));
    assert.deepEqual(await numbersFor(`q=${caseNumber(erased.number)}`), one(erased));
  });

  test("matches what was typed literally: %, _ and \\ are characters, not wildcards", async () => {
    const percent = await createCase({ fullName: "Ninety% Sure", email: "percent@example.org" });
    const underscore = await createCase({ fullName: "Under Score", email: "under_score@example.org" });
    const backslash = await createCase({ fullName: "Back\\slash", email: "backslash@example.org" });
    await createCase({ fullName: "Plain Person", email: "underXscore@example.org" });
    const one = (c: { number: number }) => [caseNumber(c.number)];
    assert.deepEqual(await numbersFor("q=%25"), one(percent));
    assert.deepEqual(await numbersFor("q=under_score"), one(underscore));
    assert.deepEqual(await numbersFor("q=_"), one(underscore));
    assert.deepEqual(await numbersFor("q=k%5Cs"), one(backslash));
  });
});

describe("filters", () => {
  test("state, assigned agent, unassigned, recommendation, score, submitted dates, duplicates", async () => {
    const agent = await createStaffMember(testApp.db, testApp.config, {
      role: "VETTING_AGENT",
      name: "Ann Agent",
    });
    const early = await createCase({ submittedAt: day("2026-09-01"), lastSubmittedAt: day("2026-09-01") });
    const assigned = await createCase({
      state: "IN_REVIEW",
      assignedToId: agent.id,
      submittedAt: day("2026-09-15"),
      lastSubmittedAt: day("2026-09-15"),
    });
    const duplicate = await createCase({
      isPossibleDuplicate: true,
      submittedAt: day("2026-10-10"),
      lastSubmittedAt: day("2026-10-10"),
    });
    const draft = await createCase({ state: "DRAFT", submittedAt: null, lastSubmittedAt: null });
    const record = (
      caseId: string,
      score: number,
      recommendation: "APPROVE" | "REJECT" | "FURTHER_VERIFICATION",
    ) =>
      testApp.db.vettingRecord.create({
        data: {
          caseId,
          agentId: agent.id,
          identityVerified: true,
          method: "IN_PERSON",
          verifiedOn: day("2026-09-20"),
          place: "Library",
          notes: "",
          score,
          recommendation,
        },
      });
    await record(assigned.id, 4, "APPROVE");
    await record(assigned.id, 2, "FURTHER_VERIFICATION");
    await record(duplicate.id, 1, "REJECT");

    const n = (...cases: { number: number }[]) => cases.map((c) => caseNumber(c.number)).sort();
    const sorted = async (query: string) => (await numbersFor(query)).sort();
    assert.deepEqual(await sorted("state=IN_REVIEW"), n(assigned));
    assert.deepEqual(await sorted("state=DRAFT"), n(draft));
    assert.deepEqual(await sorted(`assignee=${agent.id}`), n(assigned));
    assert.deepEqual(await sorted("assignee=unassigned"), n(early, duplicate, draft));
    assert.deepEqual(await sorted("recommendation=APPROVE"), n(assigned));
    assert.deepEqual(await sorted("recommendation=FURTHER_VERIFICATION"), n(assigned));
    assert.deepEqual(await sorted("recommendation=REJECT"), n(duplicate));
    assert.deepEqual(await sorted("score=2"), n(assigned));
    assert.deepEqual(await sorted("score=1"), n(duplicate));
    assert.deepEqual(await sorted("score=5"), []);
    assert.deepEqual(await sorted("from=2026-09-15"), n(assigned, duplicate));
    assert.deepEqual(await sorted("to=2026-09-15"), n(early, assigned), "the last day counts whole");
    assert.deepEqual(await sorted("from=2026-09-02&to=2026-10-09"), n(assigned));
    assert.deepEqual(await sorted("duplicate=yes"), n(duplicate));
    assert.deepEqual(
      await sorted("recommendation=APPROVE&score=2"),
      n(assigned),
      "either record may match each",
    );
    assert.deepEqual(await sorted(`state=SUBMITTED&assignee=${agent.id}`), []);
  });

  test("rows show number, name, state, agent, submitted day, duplicate flag and the latest recommendation", async () => {
    const agent = await createStaffMember(testApp.db, testApp.config, {
      role: "VETTING_AGENT",
      name: "Ann Agent",
    });
    const vettingCase = await createCase({
      fullName: "Rita Row",
      state: "IN_REVIEW",
      assignedToId: agent.id,
      isPossibleDuplicate: true,
      submittedAt: day("2026-10-05"),
      lastSubmittedAt: day("2026-10-05"),
    });
    for (const [score, recommendation, createdAt] of [
      [5, "APPROVE", "2026-10-06T10:00:00Z"],
      [3, "FURTHER_VERIFICATION", "2026-10-07T10:00:00Z"],
    ] as const) {
      await testApp.db.vettingRecord.create({
        data: {
          caseId: vettingCase.id,
          agentId: agent.id,
          identityVerified: true,
          method: "VIDEO_CALL",
          verifiedOn: day("2026-10-06"),
          place: "Call",
          notes: "",
          score,
          recommendation,
          createdAt: new Date(createdAt),
        },
      });
    }
    await createCase({ fullName: "Former Person", email: "gone@example.org", erasedAt: new Date() });
    const { html } = await queue();
    const row =
      new RegExp(`${caseNumber(vettingCase.number)}</a></td>([\\s\\S]*?)</tr>`).exec(html)?.[1] ?? "";
    assert.match(row, /Rita Row/);
    assert.match(row, /In review/);
    assert.match(row, /Ann Agent/);
    assert.match(row, /<time datetime="2026-10-05T12:00:00.000Z">5 Oct 2026<\/time>/);
    assert.match(row, /Possible duplicate/);
    assert.match(row, /Further verification needed \(score 3\)/);
    assert.match(html, /Personal data erased/);
    assert.doesNotMatch(html, /Former Person|gone@example\.org/);
  });

  test("a bad parameter gets a 400 page that names it; a damaged or foreign page link too", async () => {
    await createCase();
    for (const [query, message] of [
      ["state=SLEEPING", /State: choose a state from the list\./],
      ["tab=everything", /Tab: the address names a tab the queue does not have\./],
      ["assignee=bob", /Assigned to: choose someone from the list\./],
      ["recommendation=MAYBE", /Recommendation: choose one from the list\./],
      ["score=9", /Score: choose a score from 1 to 5\./],
      ["from=yesterday", /Submitted from: enter a day like 2026-03-31\./],
      ["to=2026-02-30", /Submitted until: enter a day like 2026-03-31\./],
      ["from=2026-10-02&to=2026-10-01", /Submitted until: the day must be the same as or after/],
      ["duplicate=maybe", /Only possible duplicates: tick the box or leave it empty\./],
      ["sort=random", /Order: choose an order from the list\./],
      [`q=${"x".repeat(201)}`, /Search: use at most 200 characters\./],
    ] as const) {
      const { status, html } = await queue(query);
      assert.equal(status, 400, query);
      assert.match(html, /There is a problem/, query);
      assert.match(html, message, query);
      assert.deepEqual(rowNumbers(html), [], "no rows under a broken filter");
    }
    const damaged = await queue("after=not-a-cursor");
    assert.equal(damaged.status, 400);
    assert.match(damaged.html, /damaged or belongs to another sort order/);
    const foreign = encodeCaseQueueCursor({
      sort: "name",
      key: "Someone",
      id: "00000000-0000-4000-8000-000000000000",
    });
    assert.equal((await queue(`sort=newest&after=${foreign}`)).status, 400);
  });
});

describe("sorting and paging", () => {
  test("waiting longest (drafts last), newest, and by name", async () => {
    const middle = await createCase({
      fullName: "Cleo",
      lastSubmittedAt: day("2026-10-02"),
      createdAt: day("2026-09-03"),
    });
    const oldest = await createCase({
      fullName: "bea",
      lastSubmittedAt: day("2026-10-01"),
      createdAt: day("2026-09-02"),
    });
    const draft = await createCase({
      fullName: "Abe",
      state: "DRAFT",
      submittedAt: null,
      lastSubmittedAt: null,
      createdAt: day("2026-09-04"),
    });
    const newest = await createCase({
      fullName: "Dan",
      lastSubmittedAt: day("2026-10-03"),
      createdAt: day("2026-09-01"),
    });
    const n = (...cases: { number: number }[]) => cases.map((c) => caseNumber(c.number));
    assert.deepEqual(await numbersFor(""), n(oldest, middle, newest, draft));
    assert.deepEqual(await numbersFor("sort=waiting"), n(oldest, middle, newest, draft));
    assert.deepEqual(await numbersFor("sort=newest"), n(draft, middle, oldest, newest));
    // Names sort as the database collates them.
    const byName = await testApp.db.vettingCase.findMany({ orderBy: [{ fullName: "asc" }, { id: "asc" }] });
    assert.deepEqual(
      await numbersFor("sort=name"),
      byName.map((c) => caseNumber(c.number)),
    );
  });

  for (const sort of ["waiting", "newest", "name"] as const) {
    test(`keyset pages of 50 walk every case once, in order, keeping the filters (sort=${sort})`, async () => {
      const agent = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
      // 130 matching cases with many equal sort keys (ties are broken by id), drafts without a
      // submission among them, and cases the filter leaves out.
      await testApp.db.vettingCase.createMany({
        data: Array.from({ length: 130 }, (_, index) => ({
          origin: "APPLICANT" as const,
          fullName: `Paged Person ${index % 7}`,
          email: `paged${index}@example.org`,
          statement: "Hello.",
          state: index % 10 === 0 ? ("DRAFT" as const) : ("SUBMITTED" as const),
          assignedToId: agent.id,
          submittedAt: index % 10 === 0 ? null : day(`2026-10-${String((index % 5) + 1).padStart(2, "0")}`),
          lastSubmittedAt:
            index % 10 === 0 ? null : day(`2026-10-${String((index % 5) + 1).padStart(2, "0")}`),
          createdAt: day(`2026-09-${String((index % 3) + 1).padStart(2, "0")}`),
        })),
      });
      await testApp.db.vettingCase.createMany({
        data: Array.from({ length: 20 }, (_, index) => ({
          origin: "APPLICANT" as const,
          fullName: `Paged Person other ${index}`,
          email: `other${index}@example.org`,
          statement: "Hello.",
          state: "SUBMITTED" as const,
        })),
      });
      const expectedOrder = await testApp.db.vettingCase.findMany({
        where: { assignedToId: agent.id, fullName: { contains: "paged", mode: "insensitive" } },
        orderBy:
          sort === "waiting"
            ? [{ lastSubmittedAt: { sort: "asc", nulls: "last" } }, { id: "asc" }]
            : sort === "newest"
              ? [{ createdAt: "desc" }, { id: "desc" }]
              : [{ fullName: "asc" }, { id: "asc" }],
        select: { number: true },
      });
      assert.equal(expectedOrder.length, 130);

      const seen: string[] = [];
      let path: string | null = `/staff/cases?q=paged&assignee=${agent.id}&sort=${sort}`;
      let pages = 0;
      while (path) {
        const response = await viewer.get(path);
        assert.equal(response.status, 200, path);
        const html = await response.text();
        const numbers = rowNumbers(html);
        assert.ok(numbers.length <= 50);
        seen.push(...numbers);
        pages += 1;
        path = nextLink(html);
        if (path) {
          const next = new URL(path, testApp.baseUrl).searchParams;
          assert.equal(next.get("q"), "paged", "the search stays in the link");
          assert.equal(next.get("assignee"), agent.id, "the filter stays in the link");
          assert.equal(
            next.get("sort"),
            sort === "waiting" ? null : sort,
            "the sort stays (the default is implied)",
          );
          assert.ok(next.get("after"), "the link carries a cursor");
          assert.equal(next.get("offset"), null);
        }
        if (pages > 1)
          assert.match(html, /href="\/staff\/cases\?q=paged&amp;assignee=[^"]+">First page<\/a>/);
      }
      assert.equal(pages, 3);
      assert.deepEqual(
        seen,
        expectedOrder.map((c) => caseNumber(c.number)),
      );
    });
  }

  test("a case added meanwhile does not shift the next page", async () => {
    await testApp.db.vettingCase.createMany({
      data: Array.from({ length: 60 }, (_, index) => ({
        origin: "APPLICANT" as const,
        fullName: `Person ${index}`,
        email: `p${index}@example.org`,
        statement: "Hello.",
        state: "SUBMITTED" as const,
        submittedAt: new Date(Date.UTC(2026, 9, 1, 0, index)),
        lastSubmittedAt: new Date(Date.UTC(2026, 9, 1, 0, index)),
      })),
    });
    const first = await queue();
    const firstPage = rowNumbers(first.html);
    const next = nextLink(first.html);
    assert.ok(next);
    // A case that waited longer than all of them arrives: page 2 still starts after the last row shown.
    await createCase({ submittedAt: day("2026-01-01"), lastSubmittedAt: day("2026-01-01") });
    const second = rowNumbers(await (await viewer.get(next)).text());
    assert.equal(second.length, 10);
    assert.equal(new Set([...firstPage, ...second]).size, 60);
  });
});
