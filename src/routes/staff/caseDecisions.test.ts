// Deciding cases over HTTP against real Postgres, with the applicant's email delivered through a real
// SMTP server on loopback: each decision, the reasons, four eyes, refused moves and the decision race.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { CASE_CHANGED_MESSAGE } from "../../commands/cases/moveCase.js";
import { formatCaseNumber } from "../../domain/caseNumber.js";
import type { CaseState } from "../../domain/caseStates.js";
import { startTestApp, type TestApp } from "../../test/app.js";
import { deliverQueuedEmails, linkPathIn } from "../../test/browser.js";
import { truncateTables } from "../../test/reset.js";
import { startTestSmtpServer, type TestSmtpServer } from "../../test/smtp.js";
import { createStaffMember, type SignedInStaffBrowser, signedInStaffBrowser } from "../../test/staff.js";
import { inspectLinkToken } from "../../tokens.js";

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
    "case_comments",
    "applicant_sessions",
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

const APPLICANT_EMAIL = "ada@example.org";

/** A case as the queue would hold it, vetted by the given staff members. */
async function createCase(
  options: { state?: CaseState; createdById?: string; vettedBy?: string[]; fullName?: string } = {},
) {
  const submittedAt = new Date(Date.now() - 2 * 24 * 3_600_000);
  const row = await testApp.db.vettingCase.create({
    data: {
      state: options.state ?? "IN_REVIEW",
      origin: options.createdById ? "STAFF" : "APPLICANT",
      fullName: options.fullName ?? "Ada Applicant",
      email: APPLICANT_EMAIL,
      statement: "I would like to join.",
      emailConfirmedAt: submittedAt,
      createdById: options.createdById ?? null,
      submittedAt,
      lastSubmittedAt: submittedAt,
    },
    select: { id: true, number: true },
  });
  for (const agentId of options.vettedBy ?? []) {
    await testApp.db.vettingRecord.create({
      data: {
        caseId: row.id,
        agentId,
        identityVerified: true,
        method: "VIDEO_CALL",
        verifiedOn: new Date("2025-03-01"),
        place: "Video call",
        notes: "Checked an identity document.",
        score: 4,
        recommendation: "APPROVE",
      },
    });
  }
  return { id: row.id, number: formatCaseNumber(row.number) };
}

/** An in-review case vetted by an agent, and an admin who may decide it. */
async function caseReadyForDecision(name = "Ina Admin") {
  const agent = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
  const vettingCase = await createCase({ vettedBy: [agent.id] });
  const admin = await signedInStaffBrowser(testApp, "INVITING_ADMIN", name);
  return { vettingCase, admin, agent };
}

const decide = (browser: SignedInStaffBrowser, caseId: string, fields: Record<string, string>) =>
  browser.post(`/staff/cases/${caseId}/decision`, fields);

async function decisionsOf(caseId: string) {
  return testApp.db.caseDecision.findMany({
    where: { caseId },
    select: { kind: true, reason: true, isReasonSharedWithApplicant: true, decidedById: true, id: true },
  });
}

async function caseAudit(caseId: string) {
  return (
    await testApp.db.auditEvent.findMany({
      where: { subjectType: "vetting_case", subjectId: caseId },
      orderBy: { id: "asc" },
    })
  ).map((row) => ({ action: row.action, actorId: row.actorId, details: row.details }));
}

/** Nothing was written: the state as it was, no decision, no audit row, no email. */
async function assertUnchanged(caseId: string, state: CaseState) {
  const row = await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: caseId } });
  assert.equal(row.state, state);
  assert.equal(row.decidedAt, null);
  assert.deepEqual(await decisionsOf(caseId), []);
  assert.deepEqual(await caseAudit(caseId), []);
  assert.equal(await testApp.db.outboxMessage.count(), 0);
}

describe("deciding a case", () => {
  test("approving moves the case, records the decision and audit row, and emails the applicant", async () => {
    const { vettingCase, admin } = await caseReadyForDecision();
    const response = await decide(admin, vettingCase.id, { decision: "approve", reason: "" });
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), `/staff/cases/${vettingCase.id}?done=approved`);

    const row = await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: vettingCase.id } });
    assert.equal(row.state, "APPROVED");
    assert.ok(row.decidedAt && Date.now() - row.decidedAt.getTime() < 60_000);
    const [decision, ...others] = await decisionsOf(vettingCase.id);
    assert.equal(others.length, 0);
    assert.deepEqual(
      { ...decision, id: undefined },
      {
        kind: "APPROVE",
        reason: null,
        isReasonSharedWithApplicant: false,
        decidedById: admin.id,
        id: undefined,
      },
    );
    assert.deepEqual(await caseAudit(vettingCase.id), [
      {
        action: "case.approved",
        actorId: admin.id,
        details: { from: "IN_REVIEW", to: "APPROVED", decisionId: decision?.id },
      },
    ]);

    const emails = await deliverQueuedEmails(testApp, smtp);
    assert.equal(emails.length, 1);
    const [email] = emails;
    assert.deepEqual(email?.to, [APPLICANT_EMAIL]);
    assert.equal(email?.subject, `Your application ${vettingCase.number} was approved — Vetting Portal`);
    assert.match(email?.text ?? "", /Hello Ada Applicant,/);
  });

  test("asking for more information emails the reason and a working sign-in link", async () => {
    const { vettingCase, admin } = await caseReadyForDecision();
    const reason = "Please tell us who referred you.\nA second line of detail.";
    const response = await decide(admin, vettingCase.id, { decision: "request_more_information", reason });
    assert.equal(response.status, 303);
    assert.equal(
      response.headers.get("location"),
      `/staff/cases/${vettingCase.id}?done=more_information_requested`,
    );

    const row = await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: vettingCase.id } });
    assert.equal(row.state, "MORE_INFORMATION_REQUESTED");
    assert.equal(row.decidedAt, null, "not decided yet");
    const [decision] = await decisionsOf(vettingCase.id);
    assert.equal(decision?.kind, "REQUEST_MORE_INFORMATION");
    assert.equal(decision?.reason, reason);
    assert.equal(decision?.isReasonSharedWithApplicant, true, "a request's reason is always shown");
    const audit = await caseAudit(vettingCase.id);
    assert.deepEqual(audit, [
      {
        action: "case.more_information_requested",
        actorId: admin.id,
        details: { from: "IN_REVIEW", to: "MORE_INFORMATION_REQUESTED", decisionId: decision?.id },
      },
    ]);
    assert.ok(!JSON.stringify(audit).includes("referred"), "the reason stays out of the audit log");

    const [email] = await deliverQueuedEmails(testApp, smtp);
    assert.ok(email);
    assert.deepEqual(email.to, [APPLICANT_EMAIL]);
    assert.equal(email.subject, `More information needed for ${vettingCase.number} — Vetting Portal`);
    assert.ok(email.text.includes(`${reason}\n`), email.text);
    assert.ok(email.html.includes("Please tell us who referred you."));
    assert.match(email.text, /expires in 72 hours/);
    const linkPath = linkPathIn(email, testApp.config.http.publicUrl);
    const token = /^\/apply\/sign-in\/([A-Za-z0-9_-]{43})$/.exec(linkPath)?.[1];
    assert.ok(token, linkPath);
    const state = await inspectLinkToken(testApp.db, "sign_in", token);
    assert.equal(state.status, "valid");
    assert.deepEqual(state.status === "valid" && state.subject, { type: "vetting_case", id: vettingCase.id });
  });

  test("a rejection emails the reason when the admin shares it", async () => {
    const { vettingCase, admin } = await caseReadyForDecision();
    const response = await decide(admin, vettingCase.id, {
      decision: "reject",
      reason: "We could not verify your identity.",
      shareReason: "yes",
    });
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), `/staff/cases/${vettingCase.id}?done=rejected`);
    const row = await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: vettingCase.id } });
    assert.equal(row.state, "REJECTED");
    assert.ok(row.decidedAt);
    const [decision] = await decisionsOf(vettingCase.id);
    assert.equal(decision?.kind, "REJECT");
    assert.equal(decision?.isReasonSharedWithApplicant, true);
    assert.deepEqual(
      (await caseAudit(vettingCase.id)).map((event) => event.action),
      ["case.rejected"],
    );
    const [email] = await deliverQueuedEmails(testApp, smtp);
    assert.equal(email?.subject, `A decision on your application ${vettingCase.number} — Vetting Portal`);
    assert.match(email?.text ?? "", /The reason given:\n\nWe could not verify your identity\.\n/);
    assert.match(email?.html ?? "", /We could not verify your identity\./);
  });

  test("a rejection keeps the reason with the staff when it is not shared", async () => {
    const { vettingCase, admin } = await caseReadyForDecision();
    const response = await decide(admin, vettingCase.id, {
      decision: "reject",
      reason: "Internal: matched a banned account.",
    });
    assert.equal(response.status, 303);
    const [decision] = await decisionsOf(vettingCase.id);
    assert.equal(decision?.reason, "Internal: matched a banned account.", "kept for the staff");
    assert.equal(decision?.isReasonSharedWithApplicant, false);
    const [queued] = await testApp.db.outboxMessage.findMany();
    assert.deepEqual(queued?.payload, {
      applicantName: "Ada Applicant",
      caseNumber: vettingCase.number,
      reason: null,
    });
    const [email] = await deliverQueuedEmails(testApp, smtp);
    assert.ok(email);
    assert.match(email.text, /was not approved\./);
    for (const part of [email.text, email.html, email.raw]) {
      assert.ok(!part.includes("banned"), "the reason is nowhere in the email");
      assert.ok(!part.includes("The reason given"));
    }
  });
});

describe("the decision form", () => {
  test("a rejection or a request without a reason is shown again with the message, values kept", async () => {
    const { vettingCase, admin } = await caseReadyForDecision();
    const rejection = await decide(admin, vettingCase.id, {
      decision: "reject",
      reason: "   ",
      shareReason: "yes",
    });
    assert.equal(rejection.status, 422);
    const rejectionHtml = await rejection.text();
    assert.match(rejectionHtml, /There is a problem/);
    assert.match(rejectionHtml, /<a href="#reason">Enter the reason for rejecting\.<\/a>/);
    assert.match(
      rejectionHtml,
      /id="reason-error"><span class="visually-hidden">Error: <\/span>Enter the reason/,
    );
    assert.match(rejectionHtml, /aria-describedby="reason-hint reason-error"/);
    assert.match(rejectionHtml, /value="reject" aria-describedby="decision-reject-hint" checked>/);
    assert.match(rejectionHtml, /id="shareReason" name="shareReason" value="yes"[^>]* checked>/);

    const request = await decide(admin, vettingCase.id, { decision: "request_more_information" });
    assert.equal(request.status, 422);
    assert.match(await request.text(), /Enter what the applicant needs to add or change\./);

    const nothingChosen = await decide(admin, vettingCase.id, { reason: "Typed <b>before</b> choosing" });
    assert.equal(nothingChosen.status, 422);
    const nothingChosenHtml = await nothingChosen.text();
    assert.match(nothingChosenHtml, /<a href="#decision">Choose a decision\.<\/a>/);
    assert.match(nothingChosenHtml, /<fieldset [^>]*aria-describedby="decision-error"/);
    assert.match(
      nothingChosenHtml,
      />Typed &lt;b&gt;before&lt;\/b&gt; choosing<\/textarea>/,
      "kept, escaped",
    );

    const tooLong = await decide(admin, vettingCase.id, { decision: "reject", reason: "x".repeat(4001) });
    assert.equal(tooLong.status, 422);
    assert.match(await tooLong.text(), /Use at most 4000 characters\./);

    await assertUnchanged(vettingCase.id, "IN_REVIEW");
  });

  test("a vetting agent may not decide", async () => {
    const vettingCase = await createCase();
    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT");
    for (const decision of ["approve", "reject", "request_more_information"]) {
      const response = await decide(agent, vettingCase.id, { decision, reason: "A reason." });
      assert.equal(response.status, 403, decision);
    }
    await assertUnchanged(vettingCase.id, "IN_REVIEW");
  });

  test("the admin who opened the case, or vetted it, is refused with the four-eyes message", async () => {
    const opener = await signedInStaffBrowser(testApp, "INVITING_ADMIN");
    const opened = await createCase({ createdById: opener.id });
    const openerResponse = await decide(opener, opened.id, { decision: "approve" });
    assert.equal(openerResponse.status, 403);
    assert.match(
      await openerResponse.text(),
      /You opened this case\. A different admin must decide it \(four eyes\)\./,
    );
    await assertUnchanged(opened.id, "IN_REVIEW");

    const vetter = await signedInStaffBrowser(testApp, "SUPERADMIN");
    const vetted = await createCase({ vettedBy: [vetter.id] });
    const vetterResponse = await decide(vetter, vetted.id, { decision: "reject", reason: "No." });
    assert.equal(vetterResponse.status, 403);
    const html = await vetterResponse.text();
    assert.match(html, /You wrote a vetting record for this case\. A different admin must decide it/);
    assert.doesNotMatch(html, /name="decision"/, "the panel offers no form to this admin");
    await assertUnchanged(vetted.id, "IN_REVIEW");
  });

  test("a case that is not in review cannot be decided", async () => {
    const admin = await signedInStaffBrowser(testApp, "INVITING_ADMIN");
    const submitted = await createCase({ state: "SUBMITTED" });
    const response = await decide(admin, submitted.id, { decision: "approve" });
    assert.equal(response.status, 409);
    assert.match(await response.text(), /This case is submitted, so it cannot be approved now\./);
    await assertUnchanged(submitted.id, "SUBMITTED");

    const approved = await createCase({ state: "APPROVED" });
    const again = await decide(admin, approved.id, { decision: "reject", reason: "Changed my mind." });
    assert.equal(again.status, 409);
    assert.match(await again.text(), /This case is approved, so it cannot be rejected now\./);
    assert.deepEqual(await decisionsOf(approved.id), []);
    assert.equal(await testApp.db.outboxMessage.count(), 0);
  });

  test("an unknown case is a 404", async () => {
    const admin = await signedInStaffBrowser(testApp, "INVITING_ADMIN");
    assert.equal(
      (await decide(admin, "0b0e8a4e-8a9c-4a8e-9d47-3c1f5b2a7e10", { decision: "approve" })).status,
      404,
    );
    assert.equal((await decide(admin, "not-a-case", { decision: "approve" })).status, 404);
  });
});

describe("two admins deciding at the same moment", () => {
  test("exactly one decision, one audit row and one email; the other admin sees the conflict", async () => {
    const { vettingCase, admin: first } = await caseReadyForDecision("Ann First");
    const second = await signedInStaffBrowser(testApp, "SERVER_ADMIN", "Sol Second");
    const responses = await Promise.all([
      decide(first, vettingCase.id, { decision: "approve" }),
      decide(second, vettingCase.id, { decision: "reject", reason: "Not verified.", shareReason: "yes" }),
    ]);
    assert.deepEqual(responses.map((response) => response.status).sort(), [303, 409]);
    const loser = responses.find((response) => response.status === 409);
    const loserHtml = (await loser?.text()) ?? "";
    const conflictMessages = [
      CASE_CHANGED_MESSAGE,
      "This case is approved, so it cannot be rejected now.",
      "This case is rejected, so it cannot be approved now.",
    ];
    assert.ok(
      conflictMessages.some((message) => loserHtml.includes(message)),
      "the losing admin is told why",
    );

    const decisions = await decisionsOf(vettingCase.id);
    assert.equal(decisions.length, 1);
    const row = await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: vettingCase.id } });
    assert.equal(row.state, decisions[0]?.kind === "APPROVE" ? "APPROVED" : "REJECTED");
    const audit = await caseAudit(vettingCase.id);
    assert.equal(audit.length, 1);
    assert.deepEqual(audit[0]?.details, { from: "IN_REVIEW", to: row.state, decisionId: decisions[0]?.id });
    const emails = await deliverQueuedEmails(testApp, smtp);
    assert.equal(emails.length, 1);
    assert.deepEqual(emails[0]?.to, [APPLICANT_EMAIL]);
  });
});
