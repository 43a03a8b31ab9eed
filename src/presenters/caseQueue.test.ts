// The queue's closed filter panel names the filters in force: each filter's label and value as people
// read them (state and recommendation labels, the assignee's name), the order when not the default, and
// nothing for an empty view. Over HTTP: the summary on the real page, a mistaken value left out of it.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestApp, type TestApp } from "../test/app.js";
import { signedInStaffBrowser } from "../test/staff.js";
import { presentActiveFilters } from "./caseQueue.js";

const people = [{ id: "3f0c2a5e-0000-4000-8000-000000000001", name: "Vera Agent" }];

describe("the filters in force", () => {
  test("none for the plain queue, or for the default order", () => {
    assert.deepEqual(presentActiveFilters({}, people), []);
    assert.deepEqual(presentActiveFilters({ tab: "submitted", sort: "waiting" }, people), []);
  });

  test("every filter, in the form's order, as people read it", () => {
    assert.deepEqual(
      presentActiveFilters(
        {
          q: "VC-00042",
          state: "MORE_INFORMATION_REQUESTED",
          assignee: people[0]?.id,
          recommendation: "APPROVE",
          score: "4",
          from: "2026-11-01",
          to: "2026-11-30",
          duplicate: "yes",
          sort: "name",
        },
        people,
      ),
      [
        { label: "Search", value: "“VC-00042”" },
        { label: "State", value: "More information requested" },
        { label: "Assigned to", value: "Vera Agent" },
        { label: "Recommendation", value: "Approve" },
        { label: "Score", value: "4" },
        { label: "Submitted from", value: "2026-11-01" },
        { label: "Submitted until", value: "2026-11-30" },
        { label: "Only possible duplicates", value: "yes" },
        { label: "Order", value: "Name (A to Z)" },
      ],
    );
  });

  test("nobody assigned, and someone no longer in the list of staff", () => {
    assert.deepEqual(presentActiveFilters({ assignee: "unassigned" }, people), [
      { label: "Assigned to", value: "Nobody" },
    ]);
    assert.deepEqual(presentActiveFilters({ assignee: "3f0c2a5e-0000-4000-8000-00000000ffff" }, people), [
      { label: "Assigned to", value: "Someone no longer listed" },
    ]);
  });
});

describe("the filter panel on the queue page", () => {
  let testApp: TestApp;
  before(async () => {
    testApp = await startTestApp();
  });
  after(() => testApp.close());

  test("closed, naming the filters in force; open on a mistake, which it does not name", async () => {
    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT", "Vera Agent");
    const plain = await (await agent.get("/staff/cases")).text();
    assert.match(plain, /<details class="filter-panel">\s*<summary class="filter-panel__summary">/);
    assert.match(plain, /<span class="filter-panel__active">No filters<\/span>/);

    const filtered = await (await agent.get(`/staff/cases?state=IN_REVIEW&assignee=${agent.id}`)).text();
    assert.match(filtered, /<details class="filter-panel">/);
    assert.match(
      filtered,
      /<span class="filter-panel__filter">State: In review<\/span><span class="visually-hidden">;<\/span> <span class="filter-panel__filter">Assigned to: Vera Agent<\/span>/,
    );

    const mistaken = await agent.get("/staff/cases?state=IN_REVIEW&score=9");
    assert.equal(mistaken.status, 400);
    const html = await mistaken.text();
    assert.match(html, /<details class="filter-panel" open>/);
    assert.match(html, /<span class="filter-panel__filter">State: In review<\/span>/);
    assert.doesNotMatch(html, /filter-panel__filter">Score/);
  });
});
