// Telling staff about new cases: at once by email (immediate), in the daily digest (digest), or not at all
// (off), by NEW_CASE_NOTIFICATIONS unless a person chose otherwise. Real Postgres, the worker's own task for the digest, and a real SMTP server on loopback.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import type { Config } from "../../config.js";
import { formatCaseNumber } from "../../domain/caseNumber.js";
import type { CaseState } from "../../domain/caseStates.js";
import { sendStaffDigests } from "../../jobs/sendStaffDigests.js";
import { startTestApp, type TestApp } from "../../test/app.js";
import { deliverQueuedEmails } from "../../test/browser.js";
import { truncateTables } from "../../test/reset.js";
import { startTestSmtpServer, type TestSmtpServer } from "../../test/smtp.js";
import { createStaffMember } from "../../test/staff.js";
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
    "staff_digest_items",
    "staff_digests",
    "staff_notification_preferences",
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

describe("NEW_CASE_NOTIFICATIONS is the default, a person's own choice wins", () => {
  const tick = new Date("2025-03-03T08:00:00.000Z");

  test("in digest mode, agents without a choice find the case in their daily digest", async () => {
    await createStaffMember(testApp.db, testApp.config, {
      role: "VETTING_AGENT",
      name: "Alan Agent",
      email: "alan@example.org",
    });
    const first = await createCase();
    const second = await createCase();
    await notify("digest", first.id);
    await notify("digest", second.id);
    assert.equal(await testApp.db.outboxMessage.count(), 0, "nothing at once");
    await sendStaffDigests(testApp, tick);
    await sendStaffDigests(testApp, tick); // a re-run of the same tick sends nothing more
    const [email, ...others] = await deliverQueuedEmails(testApp, smtp);
    assert.equal(others.length, 0);
    assert.ok(email);
    assert.deepEqual(email.to, ["alan@example.org"]);
    assert.equal(email.subject, "Your daily digest: 2 notices — Vetting Portal");
    for (const listed of [first, second]) {
      assert.ok(
        email.text.includes(
          `A new application, case ${listed.number}, was submitted and waits in the queue.\n  http://127.0.0.1:3000/staff/cases/${listed.id}\n`,
        ),
      );
    }
    assertNoApplicantData([email.text, email.html, email.subject]);
  });

  test("an agent who chose otherwise on their profile keeps their choice in any mode", async () => {
    const atOnce = await createStaffMember(testApp.db, testApp.config, {
      role: "VETTING_AGENT",
      email: "alan@example.org",
    });
    const never = await createStaffMember(testApp.db, testApp.config, {
      role: "VETTING_AGENT",
      email: "bea@example.org",
    });
    await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT", email: "cy@example.org" });
    await testApp.db.staffNotificationPreference.createMany({
      data: [
        { staffUserId: atOnce.id, kind: "NEW_CASE", delivery: "IMMEDIATE" },
        { staffUserId: never.id, kind: "NEW_CASE", delivery: "OFF" },
      ],
    });
    const vettingCase = await createCase();
    await notify("digest", vettingCase.id);
    const emails = await deliverQueuedEmails(testApp, smtp);
    assert.deepEqual(
      emails.map((email) => [email.to[0], email.subject]),
      [["alan@example.org", `New case waiting: ${vettingCase.number} — Vetting Portal`]],
    );
    const waiting = await testApp.db.staffDigestItem.findMany({
      select: { staffUser: { select: { email: true } } },
    });
    assert.deepEqual(
      waiting.map((row) => row.staffUser.email),
      ["cy@example.org"],
    );
  });
});
