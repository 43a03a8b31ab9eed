// The CSP violations page: who may see it, the grouping and counts, the date filter, and that a report
// full of markup is shown as text without loosening the page's own policy.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { recordCspViolations } from "../../commands/operations/recordCspViolations.js";
import type { TCspViolation } from "../../domain/cspReports.js";
import { startTestApp, type TestApp } from "../../test/app.js";
import { truncateTables } from "../../test/reset.js";
import { createStaffMember, signedInCookie } from "../../test/staff.js";

let testApp: TestApp;
let adminCookie: string;

before(async () => {
  testApp = await startTestApp();
  const admin = await createStaffMember(testApp.db, testApp.config, { role: "SERVER_ADMIN" });
  adminCookie = await signedInCookie(testApp.db, testApp.config, admin.id);
});
after(() => testApp.close());
beforeEach(() => truncateTables(testApp.db, ["csp_violations"]));

async function getPage(path: string, cookie = adminCookie) {
  const response = await fetch(`${testApp.baseUrl}${path}`, { headers: { cookie }, redirect: "manual" });
  return { status: response.status, html: await response.text(), response };
}

function violation(fields: Partial<TCspViolation> = {}): TCspViolation {
  return {
    directive: "script-src-elem",
    blockedUrl: "https://cdn.example/lib.js",
    documentUrl: "https://portal.example/apply",
    disposition: "enforce",
    sourceFile: null,
    lineNumber: null,
    columnNumber: null,
    sample: null,
    ...fields,
  };
}

interface ShownGroup {
  directive: string;
  blocked: string;
  count: string;
  firstSeen: string;
  lastSeen: string;
  pages: string[];
  more: string;
}

/** The table's rows as shown, in order. */
function shownGroups(html: string): ShownGroup[] {
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? "";
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map(([, row = ""]) => {
    const cells = [...row.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map(([, cell = ""]) => cell);
    return {
      directive: /<code>([^<]*)<\/code>/.exec(cells[0] ?? "")?.[1] ?? "",
      blocked: /^(?:<code>)?([^<]*)/.exec(cells[1] ?? "")?.[1] ?? "",
      count: (cells[2] ?? "").trim(),
      firstSeen: /datetime="([^"]+)"/.exec(cells[3] ?? "")?.[1] ?? "",
      lastSeen: /datetime="([^"]+)"/.exec(cells[4] ?? "")?.[1] ?? "",
      pages: [...(cells[5] ?? "").matchAll(/<li>([^<]*)<\/li>/g)].map(([, page = ""]) => page),
      more: /and (\d+) more/.exec(cells[5] ?? "")?.[1] ?? "",
    };
  });
}

describe("the CSP violations page", () => {
  test("is for server admins and superadmins; agents and inviting admins are refused", async () => {
    for (const role of ["VETTING_AGENT", "INVITING_ADMIN"] as const) {
      const member = await createStaffMember(testApp.db, testApp.config, { role });
      const cookie = await signedInCookie(testApp.db, testApp.config, member.id);
      assert.equal((await getPage("/staff/csp-violations", cookie)).status, 403, role);
      // Their home page does not offer it either.
      assert.doesNotMatch((await getPage("/staff", cookie)).html, /CSP violations/);
    }
    const superadmin = await createStaffMember(testApp.db, testApp.config, { role: "SUPERADMIN" });
    const superCookie = await signedInCookie(testApp.db, testApp.config, superadmin.id);
    const page = await getPage("/staff/csp-violations", superCookie);
    assert.equal(page.status, 200);
    assert.equal(page.response.headers.get("cache-control"), "no-store");
    assert.match(page.html, /No violations were reported\./);
    assert.match((await getPage("/staff")).html, /<a href="\/staff\/csp-violations">CSP violations<\/a>/);
    // Signed out: the sign-in page, as for every staff page.
    assert.equal((await getPage("/staff/csp-violations", "")).status, 303);
  });

  test("groups by directive and blocked URL with total counts, first and last seen, and up to 3 pages", async () => {
    const at = (iso: string) => new Date(iso);
    // One blocked script on four pages over two days; the first page reports three times in an hour.
    await recordCspViolations(testApp.db, [violation()], at("2026-06-01T10:00:00.000Z"));
    await recordCspViolations(testApp.db, [violation(), violation()], at("2026-06-01T10:30:00.000Z"));
    await recordCspViolations(
      testApp.db,
      [violation({ documentUrl: "https://portal.example/privacy" })],
      at("2026-06-01T12:00:00.000Z"),
    );
    await recordCspViolations(
      testApp.db,
      [violation({ documentUrl: "https://portal.example/staff", disposition: "report" })],
      at("2026-06-02T09:00:00.000Z"),
    );
    await recordCspViolations(
      testApp.db,
      [violation({ documentUrl: "https://portal.example/" })],
      at("2026-06-02T11:00:00.000Z"),
    );
    // Another directive blocking an inline style, seen later.
    await recordCspViolations(
      testApp.db,
      [
        violation({
          directive: "style-src-attr",
          blockedUrl: "inline",
          sourceFile: "https://portal.example/static/app.js",
          lineNumber: 7,
          columnNumber: 3,
          sample: "color: red",
        }),
      ],
      at("2026-06-03T08:00:00.000Z"),
    );
    assert.equal(await testApp.db.cspViolation.count(), 5);

    const { status, html } = await getPage("/staff/csp-violations");
    assert.equal(status, 200);
    assert.deepEqual(shownGroups(html), [
      {
        directive: "style-src-attr",
        blocked: "inline",
        count: "1",
        firstSeen: "2026-06-03T08:00:00.000Z",
        lastSeen: "2026-06-03T08:00:00.000Z",
        pages: ["https://portal.example/apply"],
        more: "",
      },
      {
        directive: "script-src-elem",
        blocked: "https://cdn.example/lib.js",
        count: "6",
        firstSeen: "2026-06-01T10:00:00.000Z",
        lastSeen: "2026-06-02T11:00:00.000Z",
        // The most recently seen pages first; the fourth is counted, not listed.
        pages: ["https://portal.example/", "https://portal.example/staff", "https://portal.example/privacy"],
        more: "1",
      },
    ]);
    assert.match(html, /https:\/\/portal\.example\/static\/app\.js:7:3/);
    assert.match(html, /<code>color: red<\/code>/);
    assert.match(html, /blocked, reported only/);
  });

  test("filters by UTC dates: a row counts when the time it covers overlaps the range", async () => {
    await recordCspViolations(
      testApp.db,
      [violation({ blockedUrl: "https://a.example/x.js" })],
      new Date("2026-01-01T23:59:00.000Z"),
    );
    await recordCspViolations(
      testApp.db,
      [violation({ blockedUrl: "https://b.example/x.js" })],
      new Date("2026-01-02T00:00:00.000Z"),
    );
    await recordCspViolations(
      testApp.db,
      [violation({ blockedUrl: "https://c.example/x.js" })],
      new Date("2026-01-03T00:00:00.000Z"),
    );
    // A row seen from before the range into it.
    await recordCspViolations(
      testApp.db,
      [violation({ blockedUrl: "https://d.example/x.js" })],
      new Date("2026-01-01T23:30:00.000Z"),
    );
    await recordCspViolations(
      testApp.db,
      [violation({ blockedUrl: "https://d.example/x.js" })],
      new Date("2026-01-02T00:20:00.000Z"),
    );
    const blocked = async (query: string) => {
      const page = await getPage(`/staff/csp-violations?${query}`);
      assert.equal(page.status, 200, query);
      return shownGroups(page.html).map((group) => group.blocked);
    };
    assert.deepEqual(await blocked("from=2026-01-02&to=2026-01-02"), [
      "https://d.example/x.js",
      "https://b.example/x.js",
    ]);
    assert.deepEqual(await blocked("from=2026-01-03"), ["https://c.example/x.js"]);
    assert.deepEqual(await blocked("to=2026-01-01"), ["https://d.example/x.js", "https://a.example/x.js"]);
    assert.deepEqual((await blocked("")).length, 4);
    const empty = await getPage("/staff/csp-violations?from=2027-01-01");
    assert.match(empty.html, /No violations were reported in these dates\./);
    assert.match(empty.html, /name="from" type="date" value="2027-01-01"/);
  });

  test("a filter it cannot use is shown again with a message, and no table", async () => {
    const { status, html } = await getPage("/staff/csp-violations?from=31%2F12%2F2026&to=2026-01-01");
    assert.equal(status, 400);
    assert.match(html, /<a href="#from">Enter a date like 2026-03-31.<\/a>/);
    assert.match(html, /name="from" type="date" value="31\/12\/2026"/);
    assert.doesNotMatch(html, /<table/);
    const reversed = await getPage("/staff/csp-violations?from=2026-02-01&to=2026-01-01");
    assert.equal(reversed.status, 400);
    assert.match(reversed.html, /The end date must be the same as or after the start date./);
  });

  test("a report full of markup is shown as text, and the page's policy is the same as ever", async () => {
    const emptyPage = await getPage("/staff/csp-violations");
    const report = {
      "csp-report": {
        "document-uri": "https://portal.example/apply",
        "effective-directive": "script-src",
        "blocked-uri": "<script>alert('blocked')</script>",
        "source-file": "javascript:alert(1)",
        "script-sample": "<img src=x onerror=alert('sample')>",
      },
    };
    const posted = await fetch(`${testApp.baseUrl}/csp-report`, {
      method: "POST",
      headers: { "content-type": "application/csp-report" },
      body: JSON.stringify(report),
    });
    assert.equal(posted.status, 204);

    const { status, html, response } = await getPage("/staff/csp-violations");
    assert.equal(status, 200);
    assert.match(html, /<code>&lt;script&gt;alert\(&#39;blocked&#39;\)&lt;\/script&gt;<\/code>/);
    assert.match(html, /<code>&lt;img src=x onerror=alert\(&#39;sample&#39;\)&gt;<\/code>/);
    assert.doesNotMatch(html, /<script>alert/);
    assert.doesNotMatch(html, /<img src=x/);
    // A javascript: source is kept as its scheme only, and never becomes a link.
    assert.match(html, /javascript:/);
    assert.doesNotMatch(html, /href="javascript:/);
    const withoutNonce = (policy: string | null) => (policy ?? "").replace(/'nonce-[^']+'/g, "'nonce'");
    assert.ok(response.headers.get("content-security-policy"));
    assert.equal(
      withoutNonce(response.headers.get("content-security-policy")),
      withoutNonce(emptyPage.response.headers.get("content-security-policy")),
    );
  });
});
