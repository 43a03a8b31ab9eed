import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, beforeEach, describe, test } from "node:test";
import type { OutboxStatus, Prisma } from "../../generated/prisma/client.js";
import { startTestApp, type TestApp } from "../../test/app.js";
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
beforeEach(() =>
  truncateTables(testApp.db, ["outbox_messages", "audit_events", "graphile_worker._private_jobs"]),
);

/** The token a staff session's forms carry (the CSRF middleware ties it to the session id). */
async function csrfTokenFor(staffUserId: string): Promise<string> {
  const session = await testApp.db.staffSession.findFirstOrThrow({
    where: { staffUserId },
    orderBy: { createdAt: "desc" },
    select: { id: true },
  });
  return createHmac("sha256", testApp.config.sessionSecret)
    .update(`csrf:session:${session.id}`)
    .digest("base64url");
}

async function seedMessage(
  fields: Partial<Prisma.OutboxMessageUncheckedCreateInput> & { status: OutboxStatus },
) {
  return testApp.db.outboxMessage.create({
    data: { kind: "test_message", recipient: "someone@example.org", payload: {}, ...fields },
    select: { id: true },
  });
}

async function get(path: string, cookie = adminCookie) {
  const response = await fetch(`${testApp.baseUrl}${path}`, { headers: { cookie }, redirect: "manual" });
  return { status: response.status, html: await response.text(), response };
}

async function post(path: string, fields: Record<string, string> = {}, member = admin, cookie = adminCookie) {
  return fetch(`${testApp.baseUrl}${path}`, {
    method: "POST",
    redirect: "manual",
    headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: await csrfTokenFor(member.id), ...fields }).toString(),
  });
}

function listedRecipients(html: string): string[] {
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? "";
  return [...body.matchAll(/<td class="records-table__break">([^<]+)<\/td>/g)].map((m) => m[1] ?? "");
}

function jobsFor(outboxMessageId: string) {
  return testApp.db.$queryRawUnsafe<{ task: string; payload: unknown; key: string }[]>(
    `SELECT t.identifier AS task, j.payload, j.key FROM graphile_worker._private_jobs j
       JOIN graphile_worker._private_tasks t ON t.id = j.task_id WHERE j.key = $1`,
    `email:${outboxMessageId}`,
  );
}

function auditRows(action: string) {
  return testApp.db.auditEvent.findMany({
    where: { action },
    select: { actorId: true, subjectType: true, subjectId: true, details: true },
  });
}

describe("the outbox pages", () => {
  test("are for server admins and up; lesser roles are refused, for pages and actions alike", async () => {
    const { id } = await seedMessage({ status: "FAILED" });
    for (const role of ["VETTING_AGENT", "INVITING_ADMIN"] as const) {
      const member = await createStaffMember(testApp.db, testApp.config, { role });
      const cookie = await signedInCookie(testApp.db, testApp.config, member.id);
      assert.equal((await get("/staff/outbox", cookie)).status, 403, role);
      assert.equal((await get(`/staff/outbox/${id}`, cookie)).status, 403, role);
      assert.equal((await get(`/staff/outbox/${id}/html`, cookie)).status, 403, role);
      const retry = await post(`/staff/outbox/${id}/retry`, {}, member, cookie);
      assert.equal(retry.status, 403, role);
      assert.match(
        await retry.text(),
        /You are not allowed to do that./,
        "refused by the policy, not by CSRF",
      );
      assert.equal((await post(`/staff/outbox/${id}/cancel`, {}, member, cookie)).status, 403, role);
      assert.equal(
        (await post("/staff/outbox/test", { recipient: "x@example.org" }, member, cookie)).status,
        403,
        role,
      );
    }
    assert.equal((await testApp.db.outboxMessage.findUniqueOrThrow({ where: { id } })).status, "FAILED");
    assert.equal(await testApp.db.outboxMessage.count(), 1);
    assert.equal(await testApp.db.auditEvent.count(), 0);
    const page = await get("/staff/outbox");
    assert.equal(page.status, 200);
    assert.equal(page.response.headers.get("cache-control"), "no-store");
  });

  test("lists messages newest first with their status, attempts and last error, filtered by status and kind", async () => {
    const at = (minute: number) => new Date(Date.parse("2026-06-01T12:00:00.000Z") + minute * 60_000);
    await seedMessage({
      status: "SENT",
      recipient: "sent@example.org",
      createdAt: at(1),
      sentAt: at(2),
      attempts: 1,
    });
    await seedMessage({
      status: "FAILED",
      recipient: "failed@example.org",
      createdAt: at(3),
      attempts: 4,
      lastError: "EENVELOPE: <mailbox> unavailable",
    });
    await seedMessage({
      status: "QUEUED",
      kind: "staff_invitation",
      recipient: "queued@example.org",
      payload: { inviteeName: "Ina", inviterName: "Sam", roleLabel: "Vetting agent" },
      createdAt: at(5),
    });
    const all = await get("/staff/outbox");
    assert.deepEqual(listedRecipients(all.html), [
      "queued@example.org",
      "failed@example.org",
      "sent@example.org",
    ]);
    assert.match(all.html, /EENVELOPE: &lt;mailbox&gt; unavailable/);
    assert.match(all.html, /<span class="status status--failed">Failed<\/span>/);
    assert.match(all.html, /<time datetime="2026-06-01T12:02:00.000Z">2026-06-01 12:02:00 UTC<\/time>/);

    assert.deepEqual(listedRecipients((await get("/staff/outbox?status=FAILED")).html), [
      "failed@example.org",
    ]);
    assert.deepEqual(listedRecipients((await get("/staff/outbox?kind=staff_invitation")).html), [
      "queued@example.org",
    ]);
    assert.deepEqual(listedRecipients((await get("/staff/outbox?kind=test_message&status=SENT")).html), [
      "sent@example.org",
    ]);
    const bad = await get("/staff/outbox?status=LOST&kind=nope");
    assert.equal(bad.status, 400);
    assert.match(bad.html, /<a href="#status">Choose a status from the list.<\/a>/);
    assert.match(bad.html, /<a href="#kind">Choose a kind from the list.<\/a>/);
  });

  test("pages by keyset, 50 at a time", async () => {
    const createdAt = new Date("2026-06-02T00:00:00.000Z");
    await testApp.db.outboxMessage.createMany({
      data: Array.from({ length: 60 }, (_, index) => ({
        kind: "test_message",
        recipient: `r${String(index).padStart(2, "0")}@example.org`,
        status: "SENT" as const,
        // All at the same instant: the id alone orders them.
        createdAt,
      })),
    });
    const first = await get("/staff/outbox");
    const older = /<a href="([^"]+)" rel="next">Older messages<\/a>/
      .exec(first.html)?.[1]
      ?.replaceAll("&amp;", "&");
    assert.ok(older);
    const second = await get(older);
    const seen = [...listedRecipients(first.html), ...listedRecipients(second.html)];
    assert.equal(listedRecipients(first.html).length, 50);
    assert.equal(seen.length, 60);
    assert.equal(new Set(seen).size, 60);
    assert.doesNotMatch(second.html, /Older messages/);
  });

  test("a message shows its subject, its text, and a placeholder for a link that is only made at sending", async () => {
    const { id } = await seedMessage({
      status: "QUEUED",
      kind: "staff_invitation",
      recipient: "ina@example.org",
      payload: { inviteeName: "Ina <b>Bold</b>", inviterName: "Sam", roleLabel: "Vetting agent" },
    });
    const { status, html } = await get(`/staff/outbox/${id}`);
    assert.equal(status, 200);
    assert.match(html, /<pre class="message__body">[^<]*Ina &lt;b&gt;Bold&lt;\/b&gt;/);
    assert.match(
      html,
      /http:\/\/127.0.0.1:3000\/staff\/invitation\/link-is-created-when-the-message-is-sent/,
    );
    assert.match(html, /a placeholder stands in for it here/);
    assert.doesNotMatch(html, /<b>Bold<\/b>/);
    assert.match(
      html,
      /<button class="button button--secondary" type="submit">Cancel this message<\/button>/,
    );
    assert.doesNotMatch(html, /Send again/);

    const htmlPart = await get(`/staff/outbox/${id}/html`);
    assert.equal(htmlPart.status, 200);
    assert.match(
      htmlPart.response.headers.get("content-security-policy") ?? "",
      /^sandbox; default-src 'none'; img-src data:$/,
    );
    assert.match(htmlPart.html, /Ina &lt;b&gt;Bold&lt;\/b&gt;/);

    assert.equal((await get("/staff/outbox/not-a-uuid")).status, 404);
    assert.equal((await get("/staff/outbox/00000000-0000-4000-8000-000000000000")).status, 404);
    const broken = await seedMessage({
      status: "FAILED",
      kind: "staff_invitation",
      payload: { wrong: true },
    });
    const brokenPage = await get(`/staff/outbox/${broken.id}`);
    assert.equal(brokenPage.status, 200);
    assert.match(brokenPage.html, /Cannot render the &quot;staff_invitation&quot; email: invalid payload/);
  });

  test("an applicant's message is shown in the language it will be sent in", async () => {
    const { id } = await seedMessage({
      status: "QUEUED",
      kind: "withdrawal_confirmed",
      recipient: "grete@example.org",
      payload: { applicantName: "Grete", caseNumber: "VC-00042" },
      language: "de",
    });
    const { status, html } = await get(`/staff/outbox/${id}`);
    assert.equal(status, 200);
    assert.match(html, /Ihre Bewerbung VC-00042 wurde zurückgezogen – Vetting Portal/);
    assert.match(html, /Sie haben Ihre Bewerbung VC-00042 bei the community zurückgezogen\./);
    const htmlPart = await get(`/staff/outbox/${id}/html`);
    assert.match(htmlPart.html, /<html lang="de">/);
  });
});

describe("outbox actions", () => {
  test("retrying a failed message queues it now with its delivery job and an audit row", async () => {
    const { id } = await seedMessage({
      status: "FAILED",
      attempts: 3,
      lastError: "boom",
      failedAt: new Date(),
    });
    const response = await post(`/staff/outbox/${id}/retry`);
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), `/staff/outbox/${id}?done=retried`);
    const row = await testApp.db.outboxMessage.findUniqueOrThrow({
      where: { id },
      select: { status: true, nextAttemptAt: true, attempts: true },
    });
    assert.equal(row.status, "QUEUED");
    assert.equal(row.attempts, 3);
    assert.ok(Math.abs(row.nextAttemptAt.getTime() - Date.now()) < 5_000);
    assert.deepEqual(await jobsFor(id), [
      { task: "deliver_email", payload: { outboxMessageId: id }, key: `email:${id}` },
    ]);
    assert.deepEqual(await auditRows("mail.retried"), [
      {
        actorId: admin.id,
        subjectType: "outbox_message",
        subjectId: id,
        details: { kind: "test_message", previousStatus: "FAILED", attemptsSoFar: 3 },
      },
    ]);
    assert.match((await get(`/staff/outbox/${id}?done=retried`)).html, /The message was queued again/);
  });

  test("a cancelled message can be retried; cancelling takes only a queued message", async () => {
    const { id } = await seedMessage({ status: "QUEUED" });
    const cancelled = await post(`/staff/outbox/${id}/cancel`);
    assert.equal(cancelled.status, 303);
    assert.equal((await testApp.db.outboxMessage.findUniqueOrThrow({ where: { id } })).status, "CANCELLED");
    assert.deepEqual(await auditRows("mail.cancelled"), [
      {
        actorId: admin.id,
        subjectType: "outbox_message",
        subjectId: id,
        details: { kind: "test_message", attemptsSoFar: 0 },
      },
    ]);
    const again = await post(`/staff/outbox/${id}/cancel`);
    assert.equal(again.status, 409);
    assert.match(await again.text(), /Only a queued message can be cancelled; this one is cancelled./);

    assert.equal((await post(`/staff/outbox/${id}/retry`)).status, 303);
    assert.equal((await testApp.db.outboxMessage.findUniqueOrThrow({ where: { id } })).status, "QUEUED");
    assert.equal((await jobsFor(id)).length, 1);
    assert.equal((await auditRows("mail.retried")).length, 1);
  });

  test("refuses moves the outbox does not allow, changing nothing", async () => {
    const sending = await seedMessage({ status: "SENDING", attempts: 1 });
    const sent = await seedMessage({ status: "SENT", attempts: 1 });
    const queued = await seedMessage({ status: "QUEUED" });
    const refusals: [string, string, RegExp][] = [
      [sending.id, "cancel", /Only a queued message can be cancelled; this one is sending./],
      [sent.id, "cancel", /this one is sent/],
      [sending.id, "retry", /Only a failed or cancelled message can be sent again; this one is sending./],
      [sent.id, "retry", /this one is sent/],
      [queued.id, "retry", /this one is queued/],
    ];
    for (const [id, action, message] of refusals) {
      const response = await post(`/staff/outbox/${id}/${action}`);
      assert.equal(response.status, 409, `${action} ${id}`);
      assert.match(await response.text(), message);
    }
    const statuses = await testApp.db.outboxMessage.findMany({ select: { id: true, status: true } });
    assert.deepEqual(
      new Map(statuses.map((row) => [row.id, row.status])),
      new Map([
        [sending.id, "SENDING"],
        [sent.id, "SENT"],
        [queued.id, "QUEUED"],
      ]),
    );
    assert.equal(await testApp.db.auditEvent.count(), 0);
    assert.equal((await jobsFor(sent.id)).length, 0);
    assert.equal((await post("/staff/outbox/00000000-0000-4000-8000-000000000000/retry")).status, 404);
  });

  test("an action without the form's token is refused", async () => {
    const { id } = await seedMessage({ status: "QUEUED" });
    const response = await fetch(`${testApp.baseUrl}/staff/outbox/${id}/cancel`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie: adminCookie, "content-type": "application/x-www-form-urlencoded" },
      body: "",
    });
    assert.equal(response.status, 403);
    assert.equal((await testApp.db.outboxMessage.findUniqueOrThrow({ where: { id } })).status, "QUEUED");
  });

  test("a test message is queued with its job and audited; a bad address is shown again with a message", async () => {
    const response = await post("/staff/outbox/test", { recipient: " ops@example.org " });
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), "/staff/outbox?done=test_sent");
    const messages = await testApp.db.outboxMessage.findMany({
      select: { id: true, kind: true, recipient: true, status: true, payload: true },
    });
    assert.equal(messages.length, 1);
    const [message] = messages;
    assert.ok(message);
    assert.deepEqual(
      { ...message, id: undefined },
      { id: undefined, kind: "test_message", recipient: "ops@example.org", status: "QUEUED", payload: {} },
    );
    assert.equal((await jobsFor(message.id)).length, 1);
    assert.deepEqual(await auditRows("mail.test_sent"), [
      {
        actorId: admin.id,
        subjectType: "outbox_message",
        subjectId: message.id,
        details: { recipient: "ops@example.org" },
      },
    ]);
    assert.match((await get("/staff/outbox?done=test_sent")).html, /A test message was queued./);

    for (const [recipient, expected] of [
      ["", /Enter the email address to send the test message to./],
      ["not an address <x>", /Enter a plain email address like name@example.org./],
    ] as const) {
      const refused = await post("/staff/outbox/test", { recipient });
      assert.equal(refused.status, 422);
      const html = await refused.text();
      assert.match(html, expected);
      if (recipient) assert.match(html, /value="not an address &lt;x&gt;"/);
    }
    assert.equal(await testApp.db.outboxMessage.count(), 1);
  });
});
