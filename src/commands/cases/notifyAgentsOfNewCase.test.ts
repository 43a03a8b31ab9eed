// Telling staff about new cases: at once by email (immediate), in a daily digest (digest), or not at all
// (off). Real Postgres, the worker's own task for the digest, and a real SMTP server on loopback.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import type { Config } from "../../config.js";
import { formatCaseNumber } from "../../domain/caseNumber.js";
import type { CaseState } from "../../domain/caseStates.js";
import { taskList } from "../../jobs/worker.js";
import { createMailRelay } from "../../mail/relay.js";
import { startTestApp, type TestApp } from "../../test/app.js";
import { deliverQueuedEmails } from "../../test/browser.js";
import { truncateTables } from "../../test/reset.js";
import { startTestSmtpServer, type TestSmtpServer } from "../../test/smtp.js";
import { createStaffMember } from "../../test/staff.js";
import { testViews } from "../../test/views.js";
import { notifyAgentsOfNewCase } from "./notifyAgentsOfNewCase.js";

let testApp: TestApp;
let smtp: TestSmtpServer;
before(async () => {
  testApp = await startTestApp();
  smtp = await startTestSmtpServer({ tls: "none" });
});
after(async () => {
  await smtp.close();
  await testApp.close();
});
beforeEach(async () => {
  await truncateTables(testApp.db, [
    "case_decisions",
    "vetting_records",
    "vetting_cases",
    "link_tokens",
    "outbox_messages",
    "audit_events",
    "staff_sessions",
    "staff_users",
    "graphile_worker._private_jobs",
  ]);
  smtp.messages.length = 0;
});

const withMode = (mode: Config["cases"]["newCaseNotifications"]): Config => ({
  ...testApp.config,
  cases: { ...testApp.config.cases, newCaseNotifications: mode },
});

async function createCase(options: { state?: CaseState; submittedAt?: Date } = {}) {
  const submittedAt = options.submittedAt ?? new Date();
  const row = await testApp.db.vettingCase.create({
    data: {
      state: options.state ?? "SUBMITTED",
      origin: "APPLICANT",
      fullName: "Ada Applicant",
      email: "ada@example.org",
      matrixId: "@ada:example.org",
      statement: "I would like to join.",
      submittedAt,
      lastSubmittedAt: submittedAt,
    },
    select: { id: true, number: true },
  });
  return { id: row.id, number: formatCaseNumber(row.number) };
}

const notify = (mode: Config["cases"]["newCaseNotifications"], caseId: string) =>
  testApp.db.$transaction((tx) => notifyAgentsOfNewCase(tx, { config: withMode(mode), caseId }));

/** Neither the applicant's name, address nor Matrix ID is in a staff email. */
function assertNoApplicantData(parts: string[]) {
  for (const part of parts) {
    for (const personal of ["Ada Applicant", "ada@example.org", "@ada:example.org"]) {
      assert.ok(!part.includes(personal), `no ${personal} in a staff email`);
    }
  }
}

describe("new case notifications, immediate", () => {
  test("every active vetting agent gets one email with the case number and its link", async () => {
    await createStaffMember(testApp.db, testApp.config, {
      role: "VETTING_AGENT",
      name: "Alan Agent",
      email: "alan@example.org",
    });
    await createStaffMember(testApp.db, testApp.config, {
      role: "VETTING_AGENT",
      name: "Bea Agent",
      email: "bea@example.org",
    });
    await createStaffMember(testApp.db, testApp.config, {
      role: "VETTING_AGENT",
      email: "disabled@example.org",
      status: "DISABLED",
    });
    await createStaffMember(testApp.db, testApp.config, { role: "SUPERADMIN", email: "sue@example.org" });
    const vettingCase = await createCase();

    await notify("immediate", vettingCase.id);

    const emails = await deliverQueuedEmails(testApp, smtp);
    assert.deepEqual(emails.map((email) => email.to[0]).sort(), ["alan@example.org", "bea@example.org"]);
    const toAlan = emails.find((email) => email.to[0] === "alan@example.org");
    assert.ok(toAlan);
    assert.equal(toAlan.subject, `New case waiting: ${vettingCase.number} — Vetting Portal`);
    assert.match(toAlan.text, /Hello Alan Agent,/);
    assert.ok(toAlan.text.split("\n").includes(`http://127.0.0.1:3000/staff/cases/${vettingCase.id}`));
    assertNoApplicantData(emails.flatMap((email) => [email.text, email.html, email.subject]));
  });

  test("while there are no active agents, the active admins are told instead", async () => {
    await createStaffMember(testApp.db, testApp.config, {
      role: "VETTING_AGENT",
      email: "gone@example.org",
      status: "DISABLED",
    });
    await createStaffMember(testApp.db, testApp.config, { role: "INVITING_ADMIN", email: "ina@example.org" });
    await createStaffMember(testApp.db, testApp.config, { role: "SUPERADMIN", email: "sue@example.org" });
    const vettingCase = await createCase();
    await notify("immediate", vettingCase.id);
    const emails = await deliverQueuedEmails(testApp, smtp);
    assert.deepEqual(emails.map((email) => email.to[0]).sort(), ["ina@example.org", "sue@example.org"]);
  });

  test("digest and off send nothing when a case is submitted", async () => {
    await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
    const vettingCase = await createCase();
    await notify("digest", vettingCase.id);
    await notify("off", vettingCase.id);
    assert.equal(await testApp.db.outboxMessage.count(), 0);
  });
});

describe("the daily digest job", () => {
  const tick = new Date("2025-03-03T08:00:00.000Z");
  const hoursBefore = (hours: number) => new Date(tick.getTime() - hours * 3_600_000);

  function runDigest(mode: Config["cases"]["newCaseNotifications"], scheduledFor = tick) {
    const relay = createMailRelay(
      {
        host: "127.0.0.1",
        ports: [9],
        connectionTimeoutMs: 100,
        greetingTimeoutMs: 100,
        socketTimeoutMs: 100,
      },
      testApp.logger,
    );
    const task = taskList({
      config: withMode(mode),
      db: testApp.db,
      logger: testApp.logger,
      views: testViews(),
      relay,
      throttle: null,
    }).send_new_case_digest;
    assert.ok(task);
    return Promise.resolve(
      task({ _cron: { ts: scheduledFor.toISOString(), backfilled: false } }, {} as never),
    ).finally(() => relay.close());
  }

  test("lists the cases first submitted in the day before the tick that still wait, once per tick", async () => {
    await createStaffMember(testApp.db, testApp.config, {
      role: "VETTING_AGENT",
      name: "Alan Agent",
      email: "alan@example.org",
    });
    await createStaffMember(testApp.db, testApp.config, {
      role: "VETTING_AGENT",
      email: "disabled@example.org",
      status: "DISABLED",
    });
    await createStaffMember(testApp.db, testApp.config, { role: "INVITING_ADMIN", email: "ina@example.org" });
    const justInside = await createCase({ submittedAt: hoursBefore(24) });
    const inReview = await createCase({ submittedAt: hoursBefore(3), state: "IN_REVIEW" });
    await createCase({ submittedAt: hoursBefore(24.01) }); // the day before
    await createCase({ submittedAt: tick }); // the next digest's
    await createCase({ submittedAt: hoursBefore(2), state: "WITHDRAWN" }); // no longer waiting
    await createCase({ submittedAt: hoursBefore(2), state: "MORE_INFORMATION_REQUESTED" });

    await runDigest("digest");
    await runDigest("digest"); // a re-run of the same tick sends nothing more

    const queued = await testApp.db.outboxMessage.findMany({ where: { kind: "new_cases_digest" } });
    assert.equal(queued.length, 1);
    assert.equal(queued[0]?.recipient, "alan@example.org");
    assert.deepEqual(queued[0]?.payload, {
      agentName: "Alan Agent",
      cases: [
        { caseNumber: justInside.number, caseId: justInside.id },
        { caseNumber: inReview.number, caseId: inReview.id },
      ],
      periodEnd: "2025-03-03T08:00:00.000Z",
    });
    const [email, ...others] = await deliverQueuedEmails(testApp, smtp);
    assert.equal(others.length, 0);
    assert.ok(email);
    assert.equal(email.subject, "2 new cases waiting — Vetting Portal");
    assert.match(
      email.text,
      /2 new applications were submitted in the day before\s+08:00 UTC on 3 March 2025/,
    );
    for (const listed of [justInside, inReview]) {
      assert.ok(email.text.includes(`${listed.number}\nhttp://127.0.0.1:3000/staff/cases/${listed.id}\n`));
    }
    assertNoApplicantData([email.text, email.html, email.subject]);

    await runDigest("digest"); // even after delivery
    assert.equal(await testApp.db.outboxMessage.count({ where: { kind: "new_cases_digest" } }), 1);
  });

  test("a digest recipient added after a run gets theirs on a re-run; the next tick is a new digest", async () => {
    await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT", email: "alan@example.org" });
    await createCase({ submittedAt: hoursBefore(1) });
    await runDigest("digest");
    await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT", email: "bea@example.org" });
    await runDigest("digest");
    await createCase({ submittedAt: new Date(tick.getTime() + 3_600_000) });
    await runDigest("digest", new Date(tick.getTime() + 24 * 3_600_000));
    const rows = await testApp.db.outboxMessage.findMany({
      where: { kind: "new_cases_digest" },
      orderBy: [{ createdAt: "asc" }, { recipient: "asc" }],
    });
    assert.deepEqual(
      rows.map((row) => [row.recipient, (row.payload as { periodEnd: string }).periodEnd]),
      [
        ["alan@example.org", "2025-03-03T08:00:00.000Z"],
        ["bea@example.org", "2025-03-03T08:00:00.000Z"],
        ["alan@example.org", "2025-03-04T08:00:00.000Z"],
        ["bea@example.org", "2025-03-04T08:00:00.000Z"],
      ],
    );
  });

  test("no new cases, or another notification mode, sends nothing", async () => {
    await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
    await runDigest("digest");
    assert.equal(await testApp.db.outboxMessage.count(), 0, "nothing to announce");
    await createCase({ submittedAt: hoursBefore(1) });
    await runDigest("off");
    await runDigest("immediate");
    assert.equal(await testApp.db.outboxMessage.count(), 0, "only digest mode sends digests");
  });
});
