// By the clock: the one reminder to an applicant whose draft was not submitted, or who has not answered a
// request for more information (the email arrives at a real SMTP server, with its link); the erasure of
// drafts never confirmed and never submitted, their evidence files gone from the disk and the audit trail
// kept. Time is the `now` each job is given, as in the retention purge's tests.
import assert from "node:assert/strict";
import { access } from "node:fs/promises";
import path from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { formatCaseNumber } from "../domain/caseNumber.js";
import type { CaseState } from "../domain/caseStates.js";
import { startTestApp, type TestApp } from "../test/app.js";
import { deliverQueuedEmails } from "../test/browser.js";
import { clearUploads, seedEvidenceFile, testStore } from "../test/evidenceFiles.js";
import { truncateTables } from "../test/reset.js";
import { startTestSmtpServer, type TestSmtpServer } from "../test/smtp.js";
import { createStaffMember } from "../test/staff.js";
import { purgeAbandonedDrafts } from "./purgeAbandonedDrafts.js";
import { sendReminders } from "./sendReminders.js";

const DAY_MS = 24 * 3_600_000;
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
    "evidence_files",
    "case_decisions",
    "vetting_cases",
    "link_tokens",
    "outbox_messages",
    "audit_events",
    "staff_digest_items",
    "staff_users",
    "graphile_worker._private_jobs",
  ]);
  await clearUploads(testApp);
  smtp.messages.length = 0;
});

const now = new Date();
const daysAgo = (days: number) => new Date(now.getTime() - days * DAY_MS);
const later = (days: number) => new Date(now.getTime() + days * DAY_MS);

async function createCase(options: {
  state?: CaseState;
  createdAt: Date;
  isConfirmed?: boolean;
  email?: string;
}) {
  const row = await testApp.db.vettingCase.create({
    data: {
      state: options.state ?? "DRAFT",
      origin: "APPLICANT",
      fullName: "Ada Applicant",
      email: options.email ?? "ada@example.org",
      statement: "I would like to join.",
      createdAt: options.createdAt,
      emailConfirmedAt: options.isConfirmed === false ? null : options.createdAt,
    },
    select: { id: true, number: true },
  });
  return { id: row.id, number: formatCaseNumber(row.number) };
}

describe("reminders to applicants", () => {
  test("a confirmed draft not submitted after DRAFT_REMINDER_DAYS gets one reminder with a link back", async () => {
    const days = testApp.config.reminders.draftDays;
    const due = await createCase({ createdAt: daysAgo(days + 0.5) });
    await createCase({ createdAt: daysAgo(days - 0.5), email: "soon@example.org" });
    await createCase({ createdAt: daysAgo(days + 1), isConfirmed: false, email: "unconfirmed@example.org" });
    await createCase({ state: "SUBMITTED", createdAt: daysAgo(days + 1), email: "submitted@example.org" });

    // A draft opened without a name yet is reminded too, without one.
    await testApp.db.vettingCase.create({
      data: {
        origin: "STAFF",
        fullName: "",
        email: "nameless@example.org",
        statement: "",
        createdAt: daysAgo(days + 1),
        emailConfirmedAt: daysAgo(days + 1),
      },
    });

    assert.equal((await sendReminders(testApp, now)).drafts, 2);
    assert.equal((await sendReminders(testApp, now)).drafts, 0, "one reminder only");
    const emails = await deliverQueuedEmails(testApp, smtp);
    assert.deepEqual(emails.map((sent) => sent.to[0]).sort(), ["ada@example.org", "nameless@example.org"]);
    assert.match(emails.find((sent) => sent.to[0] === "nameless@example.org")?.text ?? "", /^Hello,$/m);
    const email = emails.find((sent) => sent.to[0] === "ada@example.org");
    assert.ok(email);
    assert.deepEqual(email.to, ["ada@example.org"]);
    assert.equal(email.subject, "Your application is not submitted yet — Vetting Portal");
    assert.match(email.text, /Hello Ada Applicant,/);
    assert.match(email.text, /The vetting team cannot see a draft/);
    assert.match(email.text, /A draft that is never submitted is deleted, with its files, on /);
    assert.match(email.text, /http:\/\/127\.0\.0\.1:3000\/apply\/sign-in\/[A-Za-z0-9_-]{20,}/);
    const token = await testApp.db.linkToken.findFirstOrThrow({
      where: { subjectId: due.id },
      select: { purpose: true, subjectId: true },
    });
    assert.deepEqual(token, { purpose: "sign_in", subjectId: due.id });
  });

  test("an unanswered request for more information gets one reminder per request after MORE_INFORMATION_REMINDER_DAYS", async () => {
    const days = testApp.config.reminders.moreInformationDays;
    const admin = await createStaffMember(testApp.db, testApp.config, { role: "SUPERADMIN" });
    const waiting = await createCase({ state: "MORE_INFORMATION_REQUESTED", createdAt: daysAgo(60) });
    const ask = (decidedAt: Date) =>
      testApp.db.caseDecision.create({
        data: {
          caseId: waiting.id,
          kind: "REQUEST_MORE_INFORMATION",
          reason: "Who referred you?",
          decidedById: admin.id,
          decidedAt,
        },
      });
    await ask(daysAgo(days - 1));
    assert.equal((await sendReminders(testApp, now)).moreInformation, 0, "not yet");
    assert.equal((await sendReminders(testApp, later(1.5))).moreInformation, 1);
    assert.equal((await sendReminders(testApp, later(3))).moreInformation, 0, "once per request");
    const [email] = await deliverQueuedEmails(testApp, smtp);
    assert.ok(email);
    assert.equal(email.subject, "The vetting team is waiting for your answer — Vetting Portal");
    assert.match(email.text, /asked you for more information/);
    // Staff ask again later: that request gets its own reminder.
    await ask(later(4));
    assert.equal((await sendReminders(testApp, later(4 + days + 1))).moreInformation, 1);
  });
});

describe("drafts never confirmed or never submitted", () => {
  test("erased with their evidence after UNCONFIRMED_RETENTION_DAYS or DRAFT_RETENTION_DAYS; the audit trail stays", async () => {
    const { unconfirmedRetentionDays, draftRetentionDays } = testApp.config.privacy;
    const unconfirmed = await createCase({
      createdAt: daysAgo(unconfirmedRetentionDays + 0.5),
      isConfirmed: false,
      email: "typed-by-someone@example.org",
    });
    const youngUnconfirmed = await createCase({
      createdAt: daysAgo(unconfirmedRetentionDays - 0.5),
      isConfirmed: false,
      email: "young@example.org",
    });
    const abandoned = await createCase({ createdAt: daysAgo(draftRetentionDays + 0.5) });
    const recentDraft = await createCase({
      createdAt: daysAgo(draftRetentionDays - 0.5),
      email: "recent@example.org",
    });
    const oldSubmitted = await createCase({
      state: "SUBMITTED",
      createdAt: daysAgo(draftRetentionDays + 10),
      email: "submitted@example.org",
    });
    const scan = await seedEvidenceFile(testApp, {
      caseId: abandoned.id,
      bytes: Buffer.from("%PDF-1.4 id scan"),
      displayName: "passport.pdf",
      mediaType: "application/pdf",
    });
    const scanPath = path.join(
      testStore(testApp).root,
      "evidence",
      scan.storageKey.slice(0, 2),
      scan.storageKey,
    );
    await access(scanPath);

    assert.deepEqual(await purgeAbandonedDrafts(testApp, now), { unconfirmed: 1, abandoned: 1 });
    assert.deepEqual(await purgeAbandonedDrafts(testApp, now), { unconfirmed: 0, abandoned: 0 }, "once");

    for (const erased of [unconfirmed, abandoned]) {
      const row = await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: erased.id } });
      assert.deepEqual([row.fullName, row.email, row.statement], ["", "", ""]);
      assert.deepEqual(row.erasedAt, now);
    }
    for (const kept of [youngUnconfirmed, recentDraft, oldSubmitted]) {
      const row = await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: kept.id } });
      assert.equal(row.erasedAt, null);
      assert.equal(row.fullName, "Ada Applicant");
    }
    assert.equal(await testApp.db.evidenceFile.count({ where: { caseId: abandoned.id } }), 0);
    await assert.rejects(access(scanPath), { code: "ENOENT" }, "the scan is gone from the disk");
    const audit = await testApp.db.auditEvent.findMany({
      where: { action: "case.purged" },
      select: { subjectId: true, actorLabel: true, details: true },
      orderBy: { id: "asc" },
    });
    assert.deepEqual(
      audit.sort((a, b) => String(a.subjectId).localeCompare(String(b.subjectId))),
      [
        { subjectId: unconfirmed.id, actorLabel: "system", details: { reason: "unconfirmed" } },
        { subjectId: abandoned.id, actorLabel: "system", details: { reason: "abandoned_draft" } },
      ].sort((a, b) => a.subjectId.localeCompare(b.subjectId)),
    );
  });
});
