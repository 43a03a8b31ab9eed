import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import type { Prisma } from "../../generated/prisma/client.js";
import { postForm, startTestApp, type TestApp } from "../../test/app.js";
import { truncateTables } from "../../test/reset.js";
import { createStaffMember, signedInCookie, type TestStaffMember } from "../../test/staff.js";

let testApp: TestApp;
let admin: TestStaffMember;
let adminCookie: string;

before(async () => {
  testApp = await startTestApp();
  admin = await createStaffMember(testApp.db, testApp.config, { role: "SERVER_ADMIN", name: "Sam Server" });
  adminCookie = await signedInCookie(testApp.db, testApp.config, admin.id);
});
after(() => testApp.close());
beforeEach(() => truncateTables(testApp.db, ["audit_events"]));

function seedEvents(events: Prisma.AuditEventCreateManyInput[]) {
  return testApp.db.auditEvent.createMany({ data: events });
}

async function getPage(path: string, cookie = adminCookie) {
  const response = await fetch(`${testApp.baseUrl}${path}`, { headers: { cookie }, redirect: "manual" });
  return { status: response.status, html: await response.text(), response };
}

/** The CSRF token of this person's session, as any of their pages carries it. */
async function csrfTokenOf(cookie: string): Promise<string> {
  const html = await (await fetch(`${testApp.baseUrl}/staff/profile`, { headers: { cookie } })).text();
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  assert.ok(token, "the profile page carries a CSRF token");
  return token;
}

/** Sends the export form, as the audit page's button does. */
async function postCsv(
  fields: Record<string, string> = {},
  options: { cookie?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  const cookie = options.cookie ?? adminCookie;
  return postForm(
    `${testApp.baseUrl}/staff/audit.csv`,
    { _csrf: await csrfTokenOf(cookie), ...fields },
    { cookie, ...options.headers },
  );
}

/** The target ids in the table, in the order shown. */
function targetIds(html: string): string[] {
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? "";
  return [...body.matchAll(/<td class="records-table__break">[a-z_]+ ([^<]+)<\/td>/g)].map((m) => m[1] ?? "");
}

function olderLink(html: string): string | null {
  const href = /<a href="([^"]+)" rel="next">Older events<\/a>/.exec(html)?.[1];
  return href ? href.replaceAll("&amp;", "&") : null;
}

describe("the audit log page", () => {
  test("is for server admins and superadmins; agents and inviting admins are refused", async () => {
    for (const role of ["VETTING_AGENT", "INVITING_ADMIN"] as const) {
      const member = await createStaffMember(testApp.db, testApp.config, { role });
      const cookie = await signedInCookie(testApp.db, testApp.config, member.id);
      assert.equal((await getPage("/staff/audit", cookie)).status, 403, role);
      assert.equal((await postCsv({}, { cookie })).status, 403, `${role} CSV`);
    }
    const superadmin = await createStaffMember(testApp.db, testApp.config, { role: "SUPERADMIN" });
    const page = await getPage(
      "/staff/audit",
      await signedInCookie(testApp.db, testApp.config, superadmin.id),
    );
    assert.equal(page.status, 200);
    assert.equal(page.response.headers.get("cache-control"), "no-store");
    assert.equal((await getPage("/staff/audit")).status, 200);
    assert.equal(await testApp.db.auditEvent.count({ where: { action: "audit.exported" } }), 0);
  });

  test("shows each event newest first with its actor, action, target, details, IP and user agent, escaped", async () => {
    await seedEvents([
      {
        occurredAt: new Date("2026-03-01T10:00:00.000Z"),
        actorLabel: "setup link",
        action: "setup.link_issued",
        subjectType: "link_token",
        subjectId: "older",
      },
      {
        occurredAt: new Date("2026-03-02T11:12:13.000Z"),
        actorId: admin.id,
        actorLabel: admin.email,
        action: "staff.invited",
        subjectType: "staff_user",
        subjectId: "newer",
        details: { note: "<script>alert(1)</script>" },
        ipAddress: "203.0.113.9",
        userAgent: "Agent/1.0 <b>",
      },
    ]);
    const { status, html } = await getPage("/staff/audit");
    assert.equal(status, 200);
    assert.deepEqual(targetIds(html), ["newer", "older"]);
    assert.match(html, /<time datetime="2026-03-02T11:12:13.000Z">2026-03-02 11:12:13 UTC<\/time>/);
    assert.match(html, /<td>Sam Server<\/td>/);
    assert.match(html, /setup link <span class="records-table__muted">\(no account\)<\/span>/);
    assert.match(html, /<code>staff.invited<\/code>/);
    assert.match(html, /{&quot;note&quot;:&quot;&lt;script&gt;alert\(1\)&lt;\/script&gt;&quot;}/);
    assert.doesNotMatch(html, /<script>alert/);
    assert.match(html, /203\.0\.113\.9/);
    assert.match(html, /Agent\/1\.0 &lt;b&gt;/);
  });

  test("filters by actor, action, target and UTC dates", async () => {
    const other = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
    await seedEvents([
      {
        occurredAt: new Date("2026-01-01T23:59:59.999Z"),
        actorId: admin.id,
        actorLabel: "a",
        action: "staff.invited",
        subjectType: "staff_user",
        subjectId: "e1",
      },
      {
        occurredAt: new Date("2026-01-02T00:00:00.000Z"),
        actorId: other.id,
        actorLabel: "b",
        action: "staff.signed_in",
        subjectType: "staff_user",
        subjectId: "e2",
      },
      {
        occurredAt: new Date("2026-01-02T23:59:59.999Z"),
        actorLabel: "system",
        action: "setup.link_issued",
        subjectType: "link_token",
        subjectId: "e3",
      },
      {
        occurredAt: new Date("2026-01-03T00:00:00.000Z"),
        actorId: admin.id,
        actorLabel: "a",
        action: "staff.signed_in",
        subjectType: "outbox_message",
        subjectId: "e4",
      },
    ]);
    const ids = async (query: string) => {
      const page = await getPage(`/staff/audit?${query}`);
      assert.equal(page.status, 200, query);
      return targetIds(page.html);
    };
    assert.deepEqual(await ids(`actor=${admin.id}`), ["e4", "e1"]);
    assert.deepEqual(await ids(`actor=${other.id}`), ["e2"]);
    assert.deepEqual(await ids("action=staff.signed_in"), ["e4", "e2"]);
    assert.deepEqual(await ids("targetType=staff_user"), ["e2", "e1"]);
    assert.deepEqual(await ids("targetType=staff_user&targetId=e2"), ["e2"]);
    assert.deepEqual(await ids("targetId=e3"), ["e3"]);
    assert.deepEqual(await ids("from=2026-01-02&to=2026-01-02"), ["e3", "e2"]);
    assert.deepEqual(await ids("from=2026-01-02"), ["e4", "e3", "e2"]);
    assert.deepEqual(await ids("to=2026-01-01"), ["e1"]);
    assert.deepEqual(await ids(`actor=${admin.id}&action=staff.signed_in&from=2026-01-03`), ["e4"]);
    // The form shows the filter it applied.
    const page = await getPage(`/staff/audit?action=staff.signed_in&targetId=e2`);
    assert.match(page.html, /<option value="staff.signed_in" selected>/);
    assert.match(page.html, /name="targetId" type="text" value="e2"/);
  });

  test("a filter it cannot use is shown again with a message for each problem", async () => {
    const { status, html } = await getPage(
      "/staff/audit?actor=someone&action=staff.exploded&from=31%2F12%2F2026&to=2026-01-01&targetId=x",
    );
    assert.equal(status, 400);
    assert.match(html, /There is a problem/);
    assert.match(html, /<a href="#actor">Choose a staff member from the list.<\/a>/);
    assert.match(html, /<a href="#action">Choose an action from the list.<\/a>/);
    assert.match(html, /<a href="#from">Enter a date like 2026-03-31.<\/a>/);
    assert.match(html, /name="from" type="date" value="31\/12\/2026"/);
    assert.match(html, /name="targetId" type="text" value="x"/);
    assert.doesNotMatch(html, /<table/);

    const reversed = await getPage("/staff/audit?from=2026-02-01&to=2026-01-01");
    assert.equal(reversed.status, 400);
    assert.match(reversed.html, /The end date must be the same as or after the start date./);
    const csvWithError = await postCsv({ from: "tomorrow" });
    assert.equal(csvWithError.status, 400);
    assert.match(await csvWithError.text(), /Enter a date like 2026-03-31./);
    assert.equal((await getPage("/staff/audit?before=garbage")).status, 400);
  });

  test("pages of 50 by keyset: every event exactly once, and new events do not shift older pages", async () => {
    // Groups of three share a millisecond, so the id has to break ties.
    const base = Date.parse("2026-05-01T00:00:00.000Z");
    await seedEvents(
      Array.from({ length: 120 }, (_, index) => ({
        occurredAt: new Date(base + Math.floor(index / 3) * 1000),
        actorLabel: "system",
        action: "staff.signed_in",
        subjectType: "page_event",
        subjectId: `p${String(index).padStart(3, "0")}`,
      })),
    );
    const expected = Array.from({ length: 120 }, (_, index) => `p${String(119 - index).padStart(3, "0")}`);

    const seen: string[] = [];
    let path: string | null = "/staff/audit?targetType=page_event";
    let pages = 0;
    while (path) {
      const page = await getPage(path);
      assert.equal(page.status, 200);
      seen.push(...targetIds(page.html));
      pages += 1;
      if (pages === 1) {
        assert.equal(targetIds(page.html).length, 50);
        assert.doesNotMatch(page.html, /Newest events/);
        // Written while someone reads: newer than everything, so only the first page would change.
        await seedEvents(
          Array.from({ length: 7 }, (_, index) => ({
            actorLabel: "system",
            action: "staff.signed_in",
            subjectType: "page_event",
            subjectId: `new${index}`,
          })),
        );
      } else {
        assert.match(page.html, /Newest events/);
      }
      path = olderLink(page.html);
      if (path)
        assert.match(path, /^\/staff\/audit\?targetType=page_event&before=2026-05-01T00%3A00%3A[\d.]+Z_\d+$/);
    }
    assert.equal(pages, 3);
    assert.deepEqual(seen, expected);
    assert.equal(new Set(seen).size, 120);
  });
});

describe("the CSV export", () => {
  test("has a header and every matching row, formula-safe, as an attachment, and is audited", async () => {
    await seedEvents([
      {
        occurredAt: new Date("2026-04-01T09:00:00.000Z"),
        actorId: admin.id,
        actorLabel: admin.email,
        action: "staff.invited",
        subjectType: "staff_user",
        subjectId: '=HYPERLINK("x")',
        details: { name: 'O\'Brien, "Pat"' },
        ipAddress: "198.51.100.7",
        userAgent: "+danger",
        requestId: "req-1",
      },
      {
        occurredAt: new Date("2026-04-01T08:00:00.000Z"),
        actorLabel: "system",
        action: "setup.link_issued",
        subjectType: "link_token",
        subjectId: "@sum",
      },
      {
        occurredAt: new Date("2026-04-01T07:00:00.000Z"),
        actorLabel: "system",
        action: "staff.signed_in",
        subjectId: "-1",
      },
    ]);
    const rows = Array.from({ length: 1203 }, (_, index) => ({
      occurredAt: new Date(Date.parse("2026-03-01T00:00:00.000Z") + index),
      actorLabel: "system",
      action: "staff.signed_out",
      subjectType: "bulk",
      subjectId: String(index),
    }));
    await seedEvents(rows);

    const response = await postCsv({ from: "2026-04-01" }, { headers: { "user-agent": "csv-test" } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/csv; charset=utf-8");
    assert.match(
      response.headers.get("content-disposition") ?? "",
      /^attachment; filename="audit-log-\d{4}-\d{2}-\d{2}T\d{6}Z\.csv"$/,
    );
    const lines = (await response.text()).split("\r\n");
    assert.equal(
      lines[0],
      "id,occurred_at,actor_id,actor,action,target_type,target_id,details,ip_address,user_agent,request_id",
    );
    // The export's own audit row is written first and matches the filter too.
    assert.match(
      lines[1] ?? "",
      /^\d+,20\d\d-.*,audit\.exported,,,"{""filter"":{""from"":""2026-04-01""}}",/,
    );
    assert.equal(
      lines[2],
      `${lines[2]?.split(",")[0]},2026-04-01T09:00:00.000Z,${admin.id},Sam Server,staff.invited,staff_user,"'=HYPERLINK(""x"")","{""name"":""O'Brien, \\""Pat\\""""}",198.51.100.7,'+danger,req-1`,
    );
    assert.match(lines[3] ?? "", /,setup.link_issued,link_token,'@sum,/);
    assert.match(lines[4] ?? "", /,staff.signed_in,,'-1,/);
    assert.equal(lines[5], "");
    assert.equal(lines.length, 6);

    const exported = await testApp.db.auditEvent.findMany({
      where: { action: "audit.exported" },
      select: { actorId: true, details: true, userAgent: true },
    });
    assert.deepEqual(exported, [
      { actorId: admin.id, details: { filter: { from: "2026-04-01" } }, userAgent: "csv-test" },
    ]);

    // Without a filter: every row, across several batches, newest first.
    const all = (await (await postCsv()).text()).split("\r\n").filter((line) => line !== "");
    assert.equal(all.length, 1 + 1 + 3 + 1203 + 1);
    const bulkIds = all.filter((line) => line.includes(",bulk,")).map((line) => line.split(",")[6]);
    assert.deepEqual(bulkIds, rows.map((row) => row.subjectId).reverse());
  });
  test("is a form on the audit page that sends the filter shown, with the page's CSRF token", async () => {
    const { html } = await getPage("/staff/audit?action=staff.invited&from=2026-04-01");
    const form = /<form method="post" action="\/staff\/audit\.csv">([\s\S]*?)<\/form>/.exec(html)?.[1] ?? "";
    assert.match(form, /<input type="hidden" name="_csrf" value="[^"]+">/);
    assert.match(form, /<input type="hidden" name="action" value="staff.invited">/);
    assert.match(form, /<input type="hidden" name="from" value="2026-04-01">/);
    assert.doesNotMatch(form, /name="to"/, "only the fields that are set");
    assert.match(form, /<button class="button[^"]*" type="submit">Download these events as CSV<\/button>/);
    assert.doesNotMatch(html, /href="\/staff\/audit\.csv/, "no link starts an export");
  });

  test("a link cannot start it: GET is not an export, and a form from another site is refused; neither writes", async () => {
    const viaLink = await getPage("/staff/audit.csv?from=2026-04-01");
    assert.equal(viaLink.status, 405);
    assert.doesNotMatch(viaLink.html, /^id,occurred_at/);
    const crossSite = await postCsv(
      {},
      { headers: { origin: "https://elsewhere.example", "sec-fetch-site": "cross-site" } },
    );
    assert.equal(crossSite.status, 403);
    const withoutToken = await postForm(`${testApp.baseUrl}/staff/audit.csv`, {}, { cookie: adminCookie });
    assert.equal(withoutToken.status, 403);
    assert.equal(await testApp.db.auditEvent.count({ where: { action: "audit.exported" } }), 0);
  });
});
