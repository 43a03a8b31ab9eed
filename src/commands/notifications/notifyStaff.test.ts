// Staff notifications, kind by kind: at once (the email arrives at a real SMTP server on loopback), in the
// daily digest (run through the worker's own task), and switched off (nothing at all). The triggers are the
// real commands and jobs wherever one exists; the applicant's reply (a message in the case's conversation)
// has no command yet, so it is notified as that command will notify it.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, beforeEach, describe, test } from "node:test";
import { formatCaseNumber } from "../../domain/caseNumber.js";
import type {
  NotificationDelivery,
  StaffNotificationKind,
  StaffRole,
} from "../../generated/prisma/client.js";
import { sendReminders } from "../../jobs/sendReminders.js";
import { startTestApp, type TestApp } from "../../test/app.js";
import { deliverQueuedEmails } from "../../test/browser.js";
import { runQueuedJobs } from "../../test/jobs.js";
import { truncateTables } from "../../test/reset.js";
import { startTestSmtpServer, type TestSmtpServer } from "../../test/smtp.js";
import { createStaffMember, type TestStaffMember } from "../../test/staff.js";
import { assignCase } from "../cases/assignCase.js";
import { notifyAgentsOfNewCase } from "../cases/notifyAgentsOfNewCase.js";
import { inviteStaffMember } from "../staff/inviteStaffMember.js";
import { notifyStaff } from "./notifyStaff.js";

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
    "staff_digest_items",
    "staff_digests",
    "staff_notification_preferences",
    "registration_tokens",
    "case_decisions",
    "vetting_cases",
    "staff_invitations",
    "link_tokens",
    "outbox_messages",
    "audit_events",
    "staff_users",
    "graphile_worker._private_jobs",
  ]);
  smtp.messages.length = 0;
});

const DAY_MS = 24 * 3_600_000;

async function createCase(options: { assignedToId?: string; lastSubmittedAt?: Date } = {}) {
  const submittedAt = options.lastSubmittedAt ?? new Date();
  const row = await testApp.db.vettingCase.create({
    data: {
      state: "IN_REVIEW",
      origin: "APPLICANT",
      fullName: "Ada Applicant",
      email: "ada@example.org",
      matrixId: "@ada:example.org",
      statement: "I would like to join.",
      submittedAt,
      lastSubmittedAt: submittedAt,
      assignedToId: options.assignedToId ?? null,
    },
    select: { id: true, number: true },
  });
  return { id: row.id, number: formatCaseNumber(row.number) };
}

function choose(staffUserId: string, kind: StaffNotificationKind, delivery: NotificationDelivery) {
  return testApp.db.staffNotificationPreference.create({ data: { staffUserId, kind, delivery } });
}

/** The worker's digest task for a tick on this day. */
function runDigests() {
  return testApp.db.$executeRaw`SELECT graphile_worker.add_job('send_staff_digests', '{}'::json)`.then(() =>
    runQueuedJobs(testApp, "send_staff_digests"),
  );
}

/** Neither the applicant's name, address nor Matrix ID is in a staff email. */
function assertNoApplicantData(parts: string[]) {
  for (const part of parts) {
    for (const personal of ["Ada Applicant", "ada@example.org", "@ada:example.org"]) {
      assert.ok(!part.includes(personal), `no ${personal} in a staff email`);
    }
  }
}

interface Scenario {
  kind: StaffNotificationKind;
  role: StaffRole;
  /** Fires the notification through the real command or job; returns the sentence the notice says. */
  trigger(recipient: TestStaffMember): Promise<{ subject: RegExp; sentence: RegExp }>;
}

const scenarios: Scenario[] = [
  {
    kind: "NEW_CASE",
    role: "VETTING_AGENT",
    async trigger() {
      const vettingCase = await createCase();
      await testApp.db.$transaction((tx) =>
        notifyAgentsOfNewCase(tx, { config: testApp.config, caseId: vettingCase.id }),
      );
      return {
        subject: new RegExp(`^New case waiting: ${vettingCase.number} — Vetting Portal$`),
        sentence: new RegExp(`case ${vettingCase.number}, was submitted and waits in the\\s+queue`),
      };
    },
  },
  {
    kind: "CASE_ASSIGNED",
    role: "VETTING_AGENT",
    async trigger(recipient) {
      const admin = await createStaffMember(testApp.db, testApp.config, {
        role: "INVITING_ADMIN",
        name: "Ines Admin",
      });
      const vettingCase = await createCase();
      await assignCase(testApp.db, {
        caseId: vettingCase.id,
        assigneeId: recipient.id,
        actor: { id: admin.id, role: admin.role, name: admin.name },
        audit: { staffUserId: admin.id, label: admin.name },
      });
      return {
        subject: new RegExp(`^${vettingCase.number} is assigned to you — Vetting Portal$`),
        sentence: new RegExp(`Case ${vettingCase.number} was assigned to you by Ines Admin\\.`),
      };
    },
  },
  {
    kind: "APPLICANT_REPLY",
    role: "VETTING_AGENT",
    async trigger(recipient) {
      const vettingCase = await createCase({ assignedToId: recipient.id });
      await testApp.db.$transaction((tx) =>
        notifyStaff(tx, {
          notification: { kind: "applicant_reply", caseId: vettingCase.id, how: "replied" },
        }),
      );
      return {
        subject: new RegExp(`^New message on case ${vettingCase.number} — Vetting Portal$`),
        sentence: new RegExp(`The applicant of case ${vettingCase.number} wrote to the vetting team\\.`),
      };
    },
  },
  {
    kind: "NEW_EVIDENCE",
    role: "VETTING_AGENT",
    async trigger(recipient) {
      const vettingCase = await createCase({ assignedToId: recipient.id });
      await testApp.db.$transaction((tx) =>
        notifyStaff(tx, {
          notification: { kind: "new_evidence", caseId: vettingCase.id, fileCount: 2, addedByStaffId: null },
        }),
      );
      return {
        subject: new RegExp(`^New evidence on ${vettingCase.number} — Vetting Portal$`),
        sentence: new RegExp(`2 new evidence files were added to case ${vettingCase.number}\\.`),
      };
    },
  },
  {
    kind: "DECISION_OVERDUE",
    role: "INVITING_ADMIN",
    async trigger() {
      const now = new Date();
      const days = testApp.config.reminders.decisionDays + 2;
      const vettingCase = await createCase({ lastSubmittedAt: new Date(now.getTime() - days * DAY_MS) });
      await sendReminders(testApp, now);
      return {
        subject: new RegExp(`^${vettingCase.number} waits for a decision — Vetting Portal$`),
        sentence: new RegExp(`Case ${vettingCase.number} has waited ${days} days for a decision\\.`),
      };
    },
  },
  {
    kind: "APPROVAL_NEEDED",
    role: "SUPERADMIN",
    async trigger() {
      const inviter = await createStaffMember(testApp.db, testApp.config, {
        role: "SERVER_ADMIN",
        name: "Sam Server",
      });
      await inviteStaffMember(testApp.db, {
        inviter: { id: inviter.id, role: inviter.role, name: inviter.name },
        invitee: { name: "Nina Newcomer", email: "nina@example.org", role: "VETTING_AGENT" },
        audit: { staffUserId: inviter.id, label: inviter.name },
      });
      return {
        subject: /^A staff invitation waits for your approval — Vetting Portal$/,
        sentence: /A staff invitation waits for a second admin's approval\.|Sam Server invited Nina Newcomer/,
      };
    },
  },
  {
    kind: "REGISTRATION_TOKEN_FAILED",
    role: "INVITING_ADMIN",
    async trigger(recipient) {
      const vettingCase = await createCase();
      const token = await testApp.db.registrationToken.create({
        data: {
          caseId: vettingCase.id,
          personName: "Ada Applicant",
          personEmail: "ada@example.org",
          tokenSealed: "sealed",
          tokenLookup: randomUUID(),
          expiresAt: new Date(Date.now() + DAY_MS),
          createdById: recipient.id,
          state: "FAILED",
        },
        select: { id: true },
      });
      await testApp.db.$transaction((tx) =>
        notifyStaff(tx, {
          notification: { kind: "registration_token_failed", registrationTokenId: token.id },
        }),
      );
      return {
        subject: new RegExp(`^A registration token for ${vettingCase.number} failed — Vetting Portal$`),
        sentence: new RegExp(`did not create a registration token for case ${vettingCase.number}`),
      };
    },
  },
];

for (const scenario of scenarios) {
  describe(`${scenario.kind} notifications`, () => {
    test("at once: one email arrives, nothing waits for the digest", async () => {
      const recipient = await createStaffMember(testApp.db, testApp.config, {
        role: scenario.role,
        name: "Riley Recipient",
        email: "riley@example.org",
      });
      await choose(recipient.id, scenario.kind, "IMMEDIATE");
      const expected = await scenario.trigger(recipient);
      const emails = (await deliverQueuedEmails(testApp, smtp)).filter(
        (email) => email.to[0] === "riley@example.org",
      );
      assert.equal(emails.length, 1, "one email to the recipient");
      const [email] = emails;
      assert.ok(email);
      assert.match(email.subject, expected.subject);
      assert.match(email.text, expected.sentence);
      assertNoApplicantData([email.subject, email.text, email.html]);
      assert.equal(await testApp.db.staffDigestItem.count(), 0);
      await runDigests();
      assert.equal(await testApp.db.outboxMessage.count({ where: { kind: "staff_digest" } }), 0);
    });

    test("in the digest: nothing now, then one digest email listing it, once a day", async () => {
      const recipient = await createStaffMember(testApp.db, testApp.config, {
        role: scenario.role,
        name: "Riley Recipient",
        email: "riley@example.org",
      });
      await choose(recipient.id, scenario.kind, "DIGEST");
      const expected = await scenario.trigger(recipient);
      const now = (await deliverQueuedEmails(testApp, smtp)).filter(
        (email) => email.to[0] === "riley@example.org",
      );
      assert.equal(now.length, 0, "no email at once");
      assert.equal(await testApp.db.staffDigestItem.count({ where: { staffUserId: recipient.id } }), 1);

      await runDigests();
      await runDigests(); // a second run on the same day sends nothing more
      const [digest, ...others] = await deliverQueuedEmails(testApp, smtp);
      assert.equal(others.length, 0);
      assert.ok(digest);
      assert.deepEqual(digest.to, ["riley@example.org"]);
      assert.equal(digest.subject, "Your daily digest: 1 notice — Vetting Portal");
      assert.match(digest.text, /Hello Riley Recipient,/);
      if (scenario.kind !== "APPROVAL_NEEDED")
        assert.match(digest.text.replace(/\s+/g, " "), expected.sentence);
      else assert.match(digest.text, /A staff invitation waits for a second admin's approval\./);
      assertNoApplicantData([digest.subject, digest.text, digest.html]);
      assert.equal(
        await testApp.db.staffDigestItem.count({ where: { staffUserId: recipient.id, digestId: null } }),
        0,
        "the notice was taken by the digest",
      );
    });

    test("switched off: no email, no digest", async () => {
      const recipient = await createStaffMember(testApp.db, testApp.config, {
        role: scenario.role,
        email: "riley@example.org",
      });
      await choose(recipient.id, scenario.kind, "OFF");
      await scenario.trigger(recipient);
      await runDigests();
      const emails = (await deliverQueuedEmails(testApp, smtp)).filter(
        (email) => email.to[0] === "riley@example.org",
      );
      assert.deepEqual(emails, []);
      assert.equal(await testApp.db.staffDigestItem.count({ where: { staffUserId: recipient.id } }), 0);
    });
  });
}

describe("defaults and the digest", () => {
  test("without a choice: new cases follow NEW_CASE_NOTIFICATIONS, evidence goes to the digest, an assignment comes at once", async () => {
    const agent = await createStaffMember(testApp.db, testApp.config, {
      role: "VETTING_AGENT",
      email: "alan@example.org",
    });
    const vettingCase = await createCase({ assignedToId: agent.id });
    for (const mode of ["digest", "off", "immediate"] as const) {
      const config = { ...testApp.config, cases: { ...testApp.config.cases, newCaseNotifications: mode } };
      const outcome = await testApp.db.$transaction((tx) =>
        notifyStaff(tx, { config, notification: { kind: "new_case", caseId: vettingCase.id } }),
      );
      assert.deepEqual(outcome, [
        { staffUserId: agent.id, delivery: { digest: "DIGEST", off: "OFF", immediate: "IMMEDIATE" }[mode] },
      ]);
    }
    const evidence = await testApp.db.$transaction((tx) =>
      notifyStaff(tx, {
        notification: { kind: "new_evidence", caseId: vettingCase.id, fileCount: 1, addedByStaffId: null },
      }),
    );
    assert.deepEqual(evidence, [{ staffUserId: agent.id, delivery: "DIGEST" }]);
    const assigned = await testApp.db.$transaction((tx) =>
      notifyStaff(tx, {
        notification: {
          kind: "case_assigned",
          caseId: vettingCase.id,
          assigneeId: agent.id,
          assignedBy: null,
        },
      }),
    );
    assert.deepEqual(assigned, [{ staffUserId: agent.id, delivery: "IMMEDIATE" }]);
  });

  test("a resubmission keeps its own email at once, and says so in the digest; given recipients replace the default", async () => {
    const admin = await createStaffMember(testApp.db, testApp.config, {
      role: "INVITING_ADMIN",
      name: "Ines Admin",
      email: "ines@example.org",
    });
    const digestAdmin = await createStaffMember(testApp.db, testApp.config, {
      role: "SERVER_ADMIN",
      name: "Sol Server",
      email: "sol@example.org",
    });
    await choose(digestAdmin.id, "APPLICANT_REPLY", "DIGEST");
    await createStaffMember(testApp.db, testApp.config, {
      role: "VETTING_AGENT",
      email: "agent@example.org",
    });
    const vettingCase = await createCase();
    await testApp.db.$transaction((tx) =>
      notifyStaff(tx, {
        notification: {
          kind: "applicant_reply",
          caseId: vettingCase.id,
          how: "resubmitted",
          recipients: [admin, digestAdmin],
        },
      }),
    );
    await runDigests();
    const emails = await deliverQueuedEmails(testApp, smtp);
    assert.deepEqual(emails.map((email) => [email.to[0], email.subject]).sort(), [
      ["ines@example.org", `${vettingCase.number} was resubmitted — Vetting Portal`],
      ["sol@example.org", "Your daily digest: 1 notice — Vetting Portal"],
    ]);
    const digest = emails.find((email) => email.to[0] === "sol@example.org");
    assert.match(
      digest?.text.replace(/\s+/g, " ") ?? "",
      new RegExp(
        `The applicant of case ${vettingCase.number} answered the request for more information and sent the application back\\.`,
      ),
    );
  });

  test("nobody is told of what they did themselves: their own assignment, their own upload", async () => {
    const agent = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
    const vettingCase = await createCase();
    await assignCase(testApp.db, {
      caseId: vettingCase.id,
      assigneeId: agent.id,
      actor: { id: agent.id, role: agent.role, name: agent.name },
      audit: { staffUserId: agent.id, label: agent.name },
    });
    await testApp.db.$transaction((tx) =>
      notifyStaff(tx, {
        notification: {
          kind: "new_evidence",
          caseId: vettingCase.id,
          fileCount: 1,
          addedByStaffId: agent.id,
        },
      }),
    );
    assert.equal(await testApp.db.outboxMessage.count(), 0);
    assert.equal(await testApp.db.staffDigestItem.count(), 0);
  });

  test("one digest lists every waiting notice; two runs at once send one email; later notices wait for tomorrow", async () => {
    const agent = await createStaffMember(testApp.db, testApp.config, {
      role: "VETTING_AGENT",
      email: "alan@example.org",
    });
    await choose(agent.id, "NEW_EVIDENCE", "DIGEST");
    const first = await createCase({ assignedToId: agent.id });
    const second = await createCase({ assignedToId: agent.id });
    for (const vettingCase of [first, second]) {
      await testApp.db.$transaction((tx) =>
        notifyStaff(tx, {
          notification: { kind: "new_evidence", caseId: vettingCase.id, fileCount: 1, addedByStaffId: null },
        }),
      );
    }
    const { sendStaffDigests } = await import("../../jobs/sendStaffDigests.js");
    const tick = new Date("2026-03-04T08:00:00.000Z");
    const results = await Promise.all([sendStaffDigests(testApp, tick), sendStaffDigests(testApp, tick)]);
    assert.equal(results[0].digestsQueued + results[1].digestsQueued, 1);
    const [digest] = await deliverQueuedEmails(testApp, smtp);
    assert.ok(digest);
    assert.equal(digest.subject, "Your daily digest: 2 notices — Vetting Portal");
    assert.ok(digest.text.includes(`http://127.0.0.1:3000/staff/cases/${first.id}`));
    assert.ok(digest.text.includes(`http://127.0.0.1:3000/staff/cases/${second.id}`));

    await testApp.db.$transaction((tx) =>
      notifyStaff(tx, {
        notification: { kind: "new_evidence", caseId: first.id, fileCount: 3, addedByStaffId: null },
      }),
    );
    assert.deepEqual(await sendStaffDigests(testApp, tick), { digestsQueued: 0 }, "one a day");
    assert.deepEqual(await sendStaffDigests(testApp, new Date(tick.getTime() + DAY_MS)), {
      digestsQueued: 1,
    });
    const [tomorrow] = await deliverQueuedEmails(testApp, smtp);
    assert.ok(tomorrow);
    assert.equal(tomorrow.subject, "Your daily digest: 1 notice — Vetting Portal");
    assert.match(tomorrow.text, /3 new evidence files were added/);
  });

  test("a decision reminder is sent once per submission", async () => {
    const admin = await createStaffMember(testApp.db, testApp.config, { role: "SUPERADMIN" });
    await choose(admin.id, "DECISION_OVERDUE", "IMMEDIATE");
    const now = new Date();
    const days = testApp.config.reminders.decisionDays;
    const waiting = await createCase({ lastSubmittedAt: new Date(now.getTime() - (days + 1) * DAY_MS) });
    await createCase({ lastSubmittedAt: new Date(now.getTime() - (days - 1) * DAY_MS) }); // not yet
    assert.equal((await sendReminders(testApp, now)).decisions, 1);
    assert.equal((await sendReminders(testApp, now)).decisions, 0, "once");
    // Resubmitted later and waiting again: a new reminder.
    const later = new Date(now.getTime() + 2 * DAY_MS);
    await testApp.db.vettingCase.update({
      where: { id: waiting.id },
      data: { lastSubmittedAt: new Date(later.getTime() - (days + 1) * DAY_MS + DAY_MS / 2) },
    });
    assert.equal((await sendReminders(testApp, new Date(later.getTime() + DAY_MS))).decisions, 1);
  });
});
