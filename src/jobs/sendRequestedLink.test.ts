// send_requested_link: the forms enqueue one job for every address, known or not; the job sends one
// email to a known address and nothing to an unknown one, however often it runs, and no log line
// holds the address.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, beforeEach, describe, test } from "node:test";
import { startTestApp, type TestApp } from "../test/app.js";
import { deliverQueuedEmails, TestBrowser } from "../test/browser.js";
import { runQueuedJobs } from "../test/jobs.js";
import { truncateTables } from "../test/reset.js";
import { startTestSmtpServer, type TestSmtpServer } from "../test/smtp.js";
import { createStaffMember } from "../test/staff.js";
import { sendRequestedLink } from "./sendRequestedLink.js";

let testApp: TestApp;
let smtp: TestSmtpServer;
before(async () => {
  smtp = await startTestSmtpServer({ tls: "none" });
  testApp = await startTestApp({ env: { SMTP_PORTS: String(smtp.port) } });
});
after(async () => {
  await testApp.close();
  await smtp.close();
});
beforeEach(async () => {
  smtp.messages.length = 0;
  await truncateTables(testApp.db, [
    "vetting_cases",
    "link_tokens",
    "outbox_messages",
    "audit_events",
    "rate_limits",
    "graphile_worker._private_jobs",
  ]);
});

async function post(formPath: string, email: string) {
  const page = new TestBrowser(testApp.baseUrl);
  await page.get(formPath);
  return page.post(formPath, { email });
}

async function queuedJobs() {
  return testApp.db.$queryRaw<{ task: string; payload: Record<string, unknown> }[]>`
    SELECT t.identifier AS task, j.payload FROM graphile_worker._private_jobs j
      JOIN graphile_worker._private_tasks t ON t.id = j.task_id ORDER BY j.id`;
}

describe("send_requested_link", () => {
  test("password reset: one job per request whatever the address; one email, to the known address only", async () => {
    const member = await createStaffMember(testApp.db, testApp.config, {
      role: "SUPERADMIN",
      name: "Kai Known",
    });
    const unknown = await post("/staff/password-reset", "Nobody@Example.org");
    const known = await post("/staff/password-reset", member.email.toUpperCase());
    assert.equal(unknown.response.status, 200);
    assert.equal(known.response.status, 200);

    // The requests wrote nothing but their jobs, alike, with the address and no other personal data.
    assert.equal(await testApp.db.outboxMessage.count(), 0);
    assert.equal(await testApp.db.auditEvent.count(), 0);
    const jobs = await queuedJobs();
    assert.deepEqual(
      jobs.map(({ task, payload }) => ({ task, keys: Object.keys(payload).sort(), email: payload.email })),
      [
        {
          task: "send_requested_link",
          keys: ["email", "outboxMessageId", "purpose", "requestId"],
          email: "nobody@example.org",
        },
        {
          task: "send_requested_link",
          keys: ["email", "outboxMessageId", "purpose", "requestId"],
          email: member.email,
        },
      ],
    );
    assert.equal(jobs[1]?.payload.requestId, known.response.headers.get("x-request-id"));

    assert.equal(await runQueuedJobs(testApp, "send_requested_link"), 2);
    const delivered = await deliverQueuedEmails(testApp, smtp);
    assert.deepEqual(
      delivered.map((message) => ({ to: message.to, subject: message.subject })),
      [{ to: [member.email], subject: "Reset your password — Vetting Portal" }],
    );
    assert.match(delivered[0]?.text ?? "", /Hello Kai Known,/);
    const audit = await testApp.db.auditEvent.findMany({
      where: { action: "staff.password_reset_requested" },
    });
    assert.deepEqual(
      audit.map((row) => ({
        subjectId: row.subjectId,
        actorLabel: row.actorLabel,
        requestId: row.requestId,
        ipAddress: row.ipAddress,
      })),
      [
        {
          subjectId: member.id,
          actorLabel: "password reset form",
          // The request's log line (with its address and browser) is found by this id.
          requestId: known.response.headers.get("x-request-id"),
          ipAddress: null,
        },
      ],
    );
    // What stays queued is the delivery job (deliverQueuedEmails does not remove it), by id only.
    assert.deepEqual(
      (await queuedJobs()).map(({ task, payload }) => ({ task, keys: Object.keys(payload) })),
      [{ task: "deliver_email", keys: ["outboxMessageId"] }],
    );
  });

  test("email me a link: one email to the known address's newest case, none for an unknown one", async () => {
    await testApp.db.vettingCase.create({
      data: { origin: "APPLICANT", fullName: "Ana Applied", email: "ana@example.org", statement: "Hi" },
    });
    assert.equal((await post("/apply/sign-in", "unknown@example.org")).response.status, 303);
    assert.equal((await post("/apply/sign-in", "ANA@example.org")).response.status, 303);
    assert.equal(await testApp.db.outboxMessage.count(), 0);
    assert.deepEqual(
      (await queuedJobs()).map(({ payload }) => Object.keys(payload).sort()),
      [
        ["email", "outboxMessageId", "purpose"],
        ["email", "outboxMessageId", "purpose"],
      ],
    );
    await runQueuedJobs(testApp, "send_requested_link");
    const delivered = await deliverQueuedEmails(testApp, smtp);
    assert.deepEqual(
      delivered.map((message) => ({ to: message.to, subject: message.subject })),
      [{ to: ["ana@example.org"], subject: "Your link back to your application — Vetting Portal" }],
    );
    assert.equal(await testApp.db.auditEvent.count(), 0, "asking is not audited");
  });

  test("running a job twice, one after the other or at once, sends one email", async () => {
    const member = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
    await testApp.db.vettingCase.create({
      data: { origin: "APPLICANT", fullName: "Twice Tried", email: "twice@example.org", statement: "Hi" },
    });
    const deps = { db: testApp.db, logger: testApp.logger };

    const reset = { purpose: "password_reset" as const, email: member.email, outboxMessageId: randomUUID() };
    assert.equal(await sendRequestedLink(deps, reset), "queued");
    assert.equal(await sendRequestedLink(deps, reset), "already_queued");

    // Two workers at once (a job re-run while the first run is still going): the second insert of the
    // same row fails, its transaction rolls back, and graphile-worker's retry finds the row.
    const signIn = { purpose: "sign_in" as const, email: "twice@example.org", outboxMessageId: randomUUID() };
    const racing = await Promise.allSettled([
      sendRequestedLink(deps, signIn),
      sendRequestedLink(deps, signIn),
    ]);
    if (racing.some((run) => run.status === "rejected")) {
      assert.equal(await sendRequestedLink(deps, signIn), "already_queued");
    }

    const unknown = {
      purpose: "sign_in" as const,
      email: "nobody@example.org",
      outboxMessageId: randomUUID(),
    };
    assert.equal(await sendRequestedLink(deps, unknown), "no_match");
    assert.equal(await sendRequestedLink(deps, unknown), "no_match");

    const delivered = await deliverQueuedEmails(testApp, smtp);
    assert.deepEqual(delivered.map((message) => message.to).sort(), [[member.email], ["twice@example.org"]]);
    assert.equal(
      await testApp.db.auditEvent.count({ where: { action: "staff.password_reset_requested" } }),
      1,
    );
  });

  test("no log line holds the address, from the request or the job", async () => {
    const member = await createStaffMember(testApp.db, testApp.config, {
      role: "VETTING_AGENT",
      email: "log-watch@example.org",
    });
    await post("/staff/password-reset", member.email);
    await post("/staff/password-reset", "log-unknown@example.org");
    await post("/apply/sign-in", "log-applicant@example.org");
    await runQueuedJobs(testApp, "send_requested_link");
    const logText = testApp.logText().toLowerCase();
    assert.match(logText, /"msg":"requested link"/, "the job's own line was captured");
    for (const address of ["log-watch@example.org", "log-unknown@example.org", "log-applicant@example.org"]) {
      assert.ok(!logText.includes(address), `${address} in the log`);
    }
  });
});
