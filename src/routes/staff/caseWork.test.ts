// The case page and the work done from it (opening a case for someone, vetting records, assignment,
// review, comments with their confirmation step, the link to the person's application), over HTTP
// against real Postgres, with the invitation email delivered through a real SMTP server.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import type { Prisma, StaffRole } from "../../generated/prisma/client.js";
import { startTestApp, type TestApp } from "../../test/app.js";
import { deliverQueuedEmails, linkPathIn } from "../../test/browser.js";
import { truncateTables } from "../../test/reset.js";
import { startTestSmtpServer, type TestSmtpServer } from "../../test/smtp.js";
import { createStaffMember, type SignedInStaffBrowser, signedInStaffBrowser } from "../../test/staff.js";
import { hashLinkToken } from "../../tokens.js";

let testApp: TestApp;
let smtp: TestSmtpServer;
before(async () => {
  smtp = await startTestSmtpServer({ tls: "none" });
  testApp = await startTestApp({ env: { SMTP_PORTS: String(smtp.port), NEW_CASE_NOTIFICATIONS: "off" } });
});
after(async () => {
  await testApp.close();
  await smtp.close();
});
beforeEach(async () => {
  smtp.messages.length = 0;
  await truncateTables(testApp.db, [
    "case_comments",
    "vetting_records",
    "case_decisions",
    "applicant_sessions",
    "vetting_cases",
    "link_tokens",
    "outbox_messages",
    "audit_events",
    "staff_sessions",
    "staff_users",
    "graphile_worker._private_jobs",
  ]);
});

const ALL_ROLES: StaffRole[] = ["VETTING_AGENT", "INVITING_ADMIN", "SERVER_ADMIN", "SUPERADMIN"];
const staffBrowser = (role: StaffRole = "VETTING_AGENT", name?: string) =>
  signedInStaffBrowser(testApp, role, name);

async function createCase(data: Partial<Prisma.VettingCaseUncheckedCreateInput> = {}) {
  return testApp.db.vettingCase.create({
    data: {
      origin: "APPLICANT",
      fullName: "Ada Applicant",
      email: "ada@example.org",
      statement: "I organise the local meetup.",
      state: "SUBMITTED",
      submittedAt: new Date("2026-11-01T10:00:00Z"),
      lastSubmittedAt: new Date("2026-11-01T10:00:00Z"),
      ...data,
    },
  });
}

const VALID_RECORD = {
  identityVerified: "yes",
  method: "VIDEO_CALL",
  verifiedOn: "2026-11-02",
  place: "Jitsi call",
  notes: "Showed a passport on camera.",
  score: "4",
  recommendation: "APPROVE",
};

const auditRows = (caseId: string) =>
  testApp.db.auditEvent.findMany({
    where: { subjectType: "vetting_case", subjectId: caseId },
    orderBy: { id: "asc" },
    select: { action: true, actorId: true, details: true },
  });

const page = async (browser: SignedInStaffBrowser, path: string) => {
  const response = await browser.get(path);
  return { status: response.status, html: await response.text() };
};

describe("the case page", () => {
  test("is 404 for an unknown or malformed id", async () => {
    const agent = await staffBrowser();
    assert.equal((await agent.get("/staff/cases/8d3b1c2e-0000-4000-8000-000000000000")).status, 404);
    assert.equal((await agent.get("/staff/cases/not-a-case")).status, 404);
    assert.equal((await agent.post("/staff/cases/not-a-case/comments", { body: "x" })).status, 404);
  });

  test("shows every section: details, duplicates, evidence, assignment, records, decisions, comments, timeline", async () => {
    const admin = await createStaffMember(testApp.db, testApp.config, {
      role: "INVITING_ADMIN",
      name: "Dee Decider",
    });
    const other = await createCase({ fullName: "Ada Again", email: "ada@example.org" });
    const vettingCase = await createCase({
      matrixId: "@ada:example.org",
      phone: "+442079460958",
      isPossibleDuplicate: true,
      duplicateMatches: [{ caseId: other.id, number: other.number, matchedOn: ["email"] }],
      state: "IN_REVIEW",
    });
    const agentMember = await createStaffMember(testApp.db, testApp.config, {
      role: "VETTING_AGENT",
      name: "Val Vetter",
    });
    const record = await testApp.db.vettingRecord.create({
      data: {
        caseId: vettingCase.id,
        agentId: agentMember.id,
        identityVerified: true,
        method: "IN_PERSON",
        verifiedOn: new Date("2026-11-02T00:00:00Z"),
        place: "Community centre",
        notes: "Met at the meetup.",
        score: 5,
        recommendation: "APPROVE",
      },
    });
    const decision = await testApp.db.caseDecision.create({
      data: {
        caseId: vettingCase.id,
        kind: "REQUEST_MORE_INFORMATION",
        decidedById: admin.id,
        reason: "Please tell us who referred you.",
      },
    });
    await testApp.db.auditEvent.create({
      data: {
        actorId: admin.id,
        actorLabel: "admin@example.org",
        action: "case.more_information_requested",
        subjectType: "vetting_case",
        subjectId: vettingCase.id,
        details: { decisionId: decision.id },
      },
    });
    await testApp.db.auditEvent.create({
      data: {
        actorId: agentMember.id,
        actorLabel: "val@example.org",
        action: "case.vetting_recorded",
        subjectType: "vetting_case",
        subjectId: vettingCase.id,
        details: { vettingRecordId: record.id },
      },
    });

    const viewer = await staffBrowser("VETTING_AGENT", "Vic Viewer");
    const { status, html } = await page(viewer, `/staff/cases/${vettingCase.id}`);
    assert.equal(status, 200);
    assert.match(html, /<title>Case VC-\d{5} — /);
    assert.match(html, /Ada Applicant/);
    assert.match(html, /ada@example\.org/);
    assert.match(html, /@ada:example\.org/);
    assert.match(html, /\+442079460958/);
    assert.match(html, /I organise the local meetup\./);
    assert.match(html, /Possible duplicate/);
    assert.ok(html.includes(`href="/staff/cases/${other.id}"`), "links to the matching case");
    assert.match(html, /same email address/);
    assert.match(html, /<h2 id="evidence-heading">Evidence<\/h2>/);
    assert.match(html, /No evidence files yet\./);
    assert.match(html, /0 of 10 files, 0 bytes of 100 MB/);
    assert.match(html, /name="assigneeId"/);
    assert.match(html, /Vic Viewer \(you\)/);
    assert.match(html, /Val Vetter/);
    assert.match(html, /Community centre/);
    assert.match(html, /Approve, score 5 out of 5/);
    assert.ok(html.includes(`id="vetting-record-${record.id}"`));
    assert.match(html, /More information requested/);
    assert.match(html, /Please tell us who referred you\./);
    assert.ok(html.includes(`id="decision-${decision.id}"`));
    assert.match(html, /Dee Decider<\/strong>: Asked for more information/);
    assert.ok(html.includes(`href="#decision-${decision.id}"`), "the timeline links to the decision");
    assert.ok(html.includes(`href="#vetting-record-${record.id}"`), "the timeline links to the record");
    assert.match(html, /Add your vetting record/);
    assert.match(html, /Add a comment/);
    // The panels owned by the decision and privacy routes are part of the page.
    assert.match(html, /<h2 id="comments-heading">Comments<\/h2>/);
    assert.match(html, /<h2 id="timeline-heading">Timeline<\/h2>/);
  });

  test("an erased case shows no personal data", async () => {
    const vettingCase = await createCase({
      fullName: "Erased person",
      email: "",
      statement: "",
      state: "REJECTED",
      erasedAt: new Date(),
    });
    const { status, html } = await page(await staffBrowser(), `/staff/cases/${vettingCase.id}`);
    assert.equal(status, 200);
    assert.match(html, /personal data of this case was erased/);
    assert.doesNotMatch(html, /Erased person/);
    assert.doesNotMatch(html, /name="body"/, "no comment form");
    assert.doesNotMatch(html, /Add your vetting record/);
  });

  test("signed-out requests to every case route are sent to sign in (GET) or refused (POST)", async () => {
    const vettingCase = await createCase();
    for (const path of ["/staff/cases", "/staff/cases/new", `/staff/cases/${vettingCase.id}`]) {
      const response = await fetch(`${testApp.baseUrl}${path}`, { redirect: "manual" });
      assert.equal(response.status, 303, path);
      assert.match(response.headers.get("location") ?? "", /^\/staff\/sign-in\?next=/);
    }
    // A signed-out POST fails the CSRF check or the staff guard: either way, 403 and nothing written.
    for (const action of ["assign", "start-review", "vetting-records", "comments", "invite"]) {
      const response = await fetch(`${testApp.baseUrl}/staff/cases/${vettingCase.id}/${action}`, {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", origin: testApp.baseUrl },
        body: "body=x",
      });
      assert.equal(response.status, 403, action);
    }
    const newCase = await fetch(`${testApp.baseUrl}/staff/cases/new`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: testApp.baseUrl },
      body: "fullName=X",
    });
    assert.equal(newCase.status, 403);
    assert.equal(await testApp.db.vettingCase.count(), 1);
    assert.equal(await testApp.db.caseComment.count(), 0);
  });

  test("every staff role can view, vet and comment", async () => {
    for (const role of ALL_ROLES) {
      const vettingCase = await createCase({ state: "IN_REVIEW" });
      const browser = await staffBrowser(role);
      assert.equal((await browser.get(`/staff/cases/${vettingCase.id}`)).status, 200, role);
      assert.equal((await browser.get("/staff/cases")).status, 200, role);
      assert.equal(
        (await browser.post(`/staff/cases/${vettingCase.id}/vetting-records`, VALID_RECORD)).status,
        303,
        role,
      );
      const comment = await browser.post(`/staff/cases/${vettingCase.id}/comments`, {
        body: `Looked at it (${role}).`,
        visibility: "internal",
      });
      assert.equal(comment.status, 303, role);
    }
    assert.equal(await testApp.db.vettingRecord.count(), ALL_ROLES.length);
    assert.equal(await testApp.db.caseComment.count(), ALL_ROLES.length);
  });
});

describe("opening a case on someone's behalf", () => {
  test("creates a draft assigned to the agent, a vetting record and the invitation email with a working link", async () => {
    const agent = await staffBrowser("VETTING_AGENT", "Val Vetter");
    const form = await page(agent, "/staff/cases/new");
    assert.equal(form.status, 200);
    assert.match(form.html, /name="isInvitationSent" value="yes" checked/, "the email is sent by default");
    assert.match(form.html, /<h2 id="evidence-heading">Evidence<\/h2>/);
    assert.match(form.html, /Files can be added on the case page once the case is open\./);

    const response = await agent.post("/staff/cases/new", {
      fullName: "Pat Person",
      email: "Pat@Example.org",
      matrixId: "@pat:example.org",
      phone: "+44 20 7946 0958",
      statement: "",
      ...VALID_RECORD,
      isInvitationSent: "yes",
    });
    assert.equal(response.status, 303);
    const vettingCase = await testApp.db.vettingCase.findFirstOrThrow({ include: { vettingRecords: true } });
    assert.equal(response.headers.get("location"), `/staff/cases/${vettingCase.id}?done=opened_invited`);
    assert.equal(vettingCase.state, "DRAFT");
    assert.equal(vettingCase.origin, "STAFF");
    assert.equal(vettingCase.fullName, "Pat Person");
    assert.equal(vettingCase.email, "pat@example.org");
    assert.equal(vettingCase.phone, "+442079460958");
    assert.equal(vettingCase.statement, "");
    assert.equal(vettingCase.createdById, agent.id);
    assert.equal(vettingCase.assignedToId, agent.id);
    assert.equal(vettingCase.privacyConsentAt, null, "the person consents themselves");
    assert.equal(vettingCase.privacyNoticeVersion, null);
    assert.equal(vettingCase.vettingRecords.length, 1);
    const [record] = vettingCase.vettingRecords;
    assert.equal(record?.agentId, agent.id);
    assert.equal(record?.method, "VIDEO_CALL");
    assert.equal(record?.score, 4);
    assert.equal(record?.recommendation, "APPROVE");
    assert.equal(record?.verifiedOn.toISOString(), "2026-11-02T00:00:00.000Z");

    const outbox = await testApp.db.outboxMessage.findFirstOrThrow();
    assert.deepEqual(
      (await auditRows(vettingCase.id)).map((row) => [row.action, row.actorId, row.details]),
      [
        [
          "case.opened_by_staff",
          agent.id,
          { assigneeId: agent.id, hasVettingRecord: true, isInvitationSent: true },
        ],
        ["case.vetting_recorded", agent.id, { vettingRecordId: record?.id }],
        ["case.invitation_sent", agent.id, { outboxMessageId: outbox.id }],
      ],
    );
    assert.equal(outbox.kind, "case_invitation");
    assert.equal(outbox.recipient, "pat@example.org");
    assert.deepEqual(outbox.payload, {
      applicantName: "Pat Person",
      agentName: "Val Vetter",
      caseNumber: `VC-${String(vettingCase.number).padStart(5, "0")}`,
    });
    assert.equal(outbox.linkSubjectType, "vetting_case");
    assert.equal(outbox.linkSubjectId, vettingCase.id);

    const [email] = await deliverQueuedEmails(testApp, smtp);
    assert.ok(email);
    assert.deepEqual(email.to, ["pat@example.org"]);
    const linkPath = linkPathIn(email, testApp.config.http.publicUrl);
    const token = /^\/apply\/invitation\/([A-Za-z0-9_-]{43})$/.exec(linkPath)?.[1];
    assert.ok(token, `the link is an invitation link: ${linkPath}`);
    const linkToken = await testApp.db.linkToken.findUniqueOrThrow({
      where: { tokenHash: hashLinkToken(token) },
    });
    assert.equal(linkToken.purpose, "case_invitation");
    assert.equal(linkToken.subjectType, "vetting_case");
    assert.equal(linkToken.subjectId, vettingCase.id);
    assert.equal(linkToken.usedAt, null);
    // The link's page (GET) shows a button and uses nothing.
    const linkPage = await fetch(`${testApp.baseUrl}${linkPath}`);
    assert.equal(linkPage.status, 200);
    assert.match(await linkPage.text(), /Complete your application/);
    assert.equal(
      (await testApp.db.linkToken.findUniqueOrThrow({ where: { id: linkToken.id } })).usedAt,
      null,
    );

    const casePage = await page(agent, `/staff/cases/${vettingCase.id}?done=opened_invited`);
    assert.match(casePage.html, /The person was emailed a link to their application\./);
    assert.match(casePage.html, /Opened by staff on the person’s behalf \(Val Vetter\)/);
  });

  test("without a vetting record and without the email", async () => {
    const agent = await staffBrowser();
    const response = await agent.post("/staff/cases/new", {
      fullName: "Quinn Quiet",
      email: "quinn@example.org",
      statement: "Referred by a member.",
    });
    assert.equal(response.status, 303);
    const vettingCase = await testApp.db.vettingCase.findFirstOrThrow();
    assert.equal(response.headers.get("location"), `/staff/cases/${vettingCase.id}?done=opened`);
    assert.equal(vettingCase.statement, "Referred by a member.");
    assert.equal(await testApp.db.vettingRecord.count(), 0);
    assert.equal(await testApp.db.outboxMessage.count(), 0);
    assert.deepEqual(
      (await auditRows(vettingCase.id)).map((row) => row.action),
      ["case.opened_by_staff"],
    );
  });

  test("mistakes come back with messages next to the fields and what was typed kept (422)", async () => {
    const agent = await staffBrowser();
    const response = await agent.post("/staff/cases/new", {
      fullName: "",
      email: "not-an-address",
      matrixId: "pat",
      phone: "12345",
      statement: "",
      place: "Somewhere",
      isInvitationSent: "yes",
    });
    assert.equal(response.status, 422);
    const html = await response.text();
    assert.match(html, /<title>Error: Open a case for someone/);
    assert.match(html, /There is a problem/);
    assert.match(html, /Enter your full name\./);
    assert.match(html, /Enter an email address like name@example\.org\./);
    assert.match(html, /Enter a Matrix ID like @name:example\.org/);
    assert.match(html, /Enter a phone number in international format/);
    // A vetting record half filled in: every missing field says so.
    assert.match(html, /Say whether you verified the person’s identity\./);
    assert.match(html, /Choose how you verified the person\./);
    assert.match(html, /Enter the day you verified the person, like 2026-03-31\./);
    assert.match(html, /Choose a score from 1 to 5\./);
    assert.match(html, /Choose your recommendation\./);
    assert.match(html, /value="not-an-address"/);
    assert.match(html, /value="Somewhere"/);
    assert.match(html, /aria-describedby="email-hint email-error"/);
    assert.equal(await testApp.db.vettingCase.count(), 0);
  });

  test("an unticked email box stays unticked when the form comes back", async () => {
    const agent = await staffBrowser();
    const html = await (
      await agent.post("/staff/cases/new", { fullName: "", email: "x@example.org" })
    ).text();
    assert.doesNotMatch(html, /name="isInvitationSent" value="yes" checked/);
  });
});

describe("vetting records", () => {
  test("each field has its message, and the values are kept", async () => {
    const vettingCase = await createCase();
    const agent = await staffBrowser();
    const cases: [Record<string, string>, RegExp][] = [
      [{ identityVerified: "maybe" }, /Say whether you verified the person’s identity\./],
      [{ method: "CARRIER_PIGEON" }, /Choose how you verified the person\./],
      [{ verifiedOn: "" }, /Enter the day you verified the person, like 2026-03-31\./],
      [{ verifiedOn: "02/11/2026" }, /Enter the day like 2026-03-31\./],
      [{ verifiedOn: "2999-01-01" }, /The day cannot be in the future\./],
      [{ place: " " }, /Enter where you verified the person\./],
      [{ place: "x".repeat(201) }, /Use at most 200 characters\./],
      [{ notes: "x".repeat(5001) }, /Use at most 5000 characters\./],
      [{ score: "6" }, /Choose a score from 1 to 5\./],
      [{ score: "" }, /Choose a score from 1 to 5\./],
      [{ recommendation: "MAYBE" }, /Choose your recommendation\./],
    ];
    for (const [change, message] of cases) {
      const response = await agent.post(`/staff/cases/${vettingCase.id}/vetting-records`, {
        ...VALID_RECORD,
        ...change,
      });
      assert.equal(response.status, 422, JSON.stringify(change));
      const html = await response.text();
      assert.match(html, message, JSON.stringify(change));
      assert.match(html, /There is a problem/);
      assert.match(html, /value="Jitsi call"|value="x{201}"|value=" "/);
    }
    assert.equal(await testApp.db.vettingRecord.count(), 0);
    assert.equal(
      (await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: vettingCase.id } })).state,
      "SUBMITTED",
    );
  });

  test("the first record takes a submitted case into review; several agents' records are all shown", async () => {
    const vettingCase = await createCase();
    const first = await staffBrowser("VETTING_AGENT", "Fay First");
    const response = await first.post(`/staff/cases/${vettingCase.id}/vetting-records`, VALID_RECORD);
    assert.equal(response.status, 303);
    assert.equal(
      response.headers.get("location"),
      `/staff/cases/${vettingCase.id}?done=vetting_recorded_review_started`,
    );
    assert.equal(
      (await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: vettingCase.id } })).state,
      "IN_REVIEW",
    );

    const second = await staffBrowser("INVITING_ADMIN", "Sid Second");
    const again = await second.post(`/staff/cases/${vettingCase.id}/vetting-records`, {
      ...VALID_RECORD,
      identityVerified: "no",
      method: "TRUSTED_REFERRAL",
      score: "2",
      recommendation: "FURTHER_VERIFICATION",
      notes: "",
    });
    assert.equal(again.headers.get("location"), `/staff/cases/${vettingCase.id}?done=vetting_recorded`);

    const records = await testApp.db.vettingRecord.findMany({ orderBy: { createdAt: "asc" } });
    assert.deepEqual(
      records.map((record) => [
        record.agentId,
        record.identityVerified,
        record.score,
        record.recommendation,
        record.notes,
      ]),
      [
        [first.id, true, 4, "APPROVE", "Showed a passport on camera."],
        [second.id, false, 2, "FURTHER_VERIFICATION", ""],
      ],
    );
    assert.deepEqual(
      (await auditRows(vettingCase.id)).map((row) => [row.action, row.actorId, row.details]),
      [
        ["case.review_started", first.id, { from: "SUBMITTED", to: "IN_REVIEW" }],
        ["case.vetting_recorded", first.id, { vettingRecordId: records[0]?.id }],
        ["case.vetting_recorded", second.id, { vettingRecordId: records[1]?.id }],
      ],
    );
    const html = (await page(first, `/staff/cases/${vettingCase.id}?done=vetting_recorded`)).html;
    assert.match(html, /Your vetting record was added\./);
    assert.match(html, /Fay First/);
    assert.match(html, /Sid Second/);
    assert.match(html, /Further verification needed, score 2 out of 5/);
    assert.match(html, /Trusted referral/);
    // The decision panel's blocker for Sid, who wrote a record (four eyes), comes from the policy.
  });

  test("refused on decided, withdrawn and erased cases with a message (409)", async () => {
    const agent = await staffBrowser();
    for (const [data, message] of [
      [{ state: "APPROVED" }, /This case is approved, so no more vetting records can be added\./],
      [{ state: "REJECTED" }, /This case is rejected, so no more vetting records can be added\./],
      [{ state: "WITHDRAWN" }, /This case is withdrawn, so no more vetting records can be added\./],
      [{ state: "IN_REVIEW", erasedAt: new Date() }, /personal data was erased/],
    ] as const) {
      const vettingCase = await createCase(data);
      const response = await agent.post(`/staff/cases/${vettingCase.id}/vetting-records`, VALID_RECORD);
      assert.equal(response.status, 409, data.state);
      assert.match(await response.text(), message);
    }
    assert.equal(await testApp.db.vettingRecord.count(), 0);
  });
});

describe("assignment and review", () => {
  test("assigning writes the audit row with the previous assignee, and takes a submitted case into review", async () => {
    const first = await createStaffMember(testApp.db, testApp.config, {
      role: "VETTING_AGENT",
      name: "Ann Agent",
    });
    const vettingCase = await createCase({ assignedToId: first.id });
    const admin = await staffBrowser("INVITING_ADMIN");
    const second = await createStaffMember(testApp.db, testApp.config, {
      role: "VETTING_AGENT",
      name: "Bo Agent",
    });
    const response = await admin.post(`/staff/cases/${vettingCase.id}/assign`, { assigneeId: second.id });
    assert.equal(response.status, 303);
    assert.equal(
      response.headers.get("location"),
      `/staff/cases/${vettingCase.id}?done=assigned_review_started`,
    );
    const after = await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: vettingCase.id } });
    assert.equal(after.assignedToId, second.id);
    assert.equal(after.state, "IN_REVIEW");
    assert.deepEqual(
      (await auditRows(vettingCase.id)).map((row) => [row.action, row.actorId, row.details]),
      [
        ["case.assigned", admin.id, { assigneeId: second.id, previousAssigneeId: first.id }],
        ["case.review_started", admin.id, { from: "SUBMITTED", to: "IN_REVIEW" }],
      ],
    );
    const html = (await page(admin, `/staff/cases/${vettingCase.id}`)).html;
    assert.match(html, /Assigned to Bo Agent/);
    assert.match(html, /Changed the assignment — Assigned to Bo Agent/);

    // Unassigning; the same choice twice changes nothing.
    assert.equal(
      (await admin.post(`/staff/cases/${vettingCase.id}/assign`, { assigneeId: "" })).headers.get("location"),
      `/staff/cases/${vettingCase.id}?done=assigned`,
    );
    assert.equal(
      (await admin.post(`/staff/cases/${vettingCase.id}/assign`, { assigneeId: "" })).headers.get("location"),
      `/staff/cases/${vettingCase.id}?done=assignment_unchanged`,
    );
    assert.equal(
      (await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: vettingCase.id } })).assignedToId,
      null,
    );
    assert.equal((await auditRows(vettingCase.id)).length, 3);
  });

  test("only active staff can be assigned; decided cases keep their assignment", async () => {
    const agent = await staffBrowser();
    const disabled = await createStaffMember(testApp.db, testApp.config, {
      role: "VETTING_AGENT",
      status: "DISABLED",
    });
    const vettingCase = await createCase({ state: "IN_REVIEW" });
    const refused = await agent.post(`/staff/cases/${vettingCase.id}/assign`, { assigneeId: disabled.id });
    assert.equal(refused.status, 409);
    assert.match(await refused.text(), /account is not active/);
    const bad = await agent.post(`/staff/cases/${vettingCase.id}/assign`, { assigneeId: "someone" });
    assert.equal(bad.status, 422);
    const decided = await createCase({ state: "APPROVED" });
    const late = await agent.post(`/staff/cases/${decided.id}/assign`, { assigneeId: agent.id });
    assert.equal(late.status, 409);
    assert.match(await late.text(), /This case is approved, so its assignment no longer changes\./);
    assert.equal(await testApp.db.auditEvent.count({ where: { action: "case.assigned" } }), 0);
  });

  test("Start review moves a submitted case; a second click gets a message, not a 500", async () => {
    const vettingCase = await createCase();
    const agent = await staffBrowser();
    assert.match((await page(agent, `/staff/cases/${vettingCase.id}`)).html, />Start review</);
    const response = await agent.post(`/staff/cases/${vettingCase.id}/start-review`);
    assert.equal(response.headers.get("location"), `/staff/cases/${vettingCase.id}?done=review_started`);
    const again = await agent.post(`/staff/cases/${vettingCase.id}/start-review`);
    assert.equal(again.status, 409);
    assert.match(await again.text(), /This case is in review, so it cannot be taken into review now\./);
    assert.deepEqual(
      (await auditRows(vettingCase.id)).map((row) => row.action),
      ["case.review_started"],
    );
  });
});

describe("comments", () => {
  test("internal by default; marked internal on the page", async () => {
    const vettingCase = await createCase();
    const agent = await staffBrowser("VETTING_AGENT", "Cam Commenter");
    const response = await agent.post(`/staff/cases/${vettingCase.id}/comments`, {
      body: "Called the referee; no answer yet.",
      visibility: "internal",
    });
    assert.equal(response.headers.get("location"), `/staff/cases/${vettingCase.id}?done=comment_added`);
    const comment = await testApp.db.caseComment.findFirstOrThrow();
    assert.equal(comment.isVisibleToApplicant, false);
    assert.equal(comment.authorId, agent.id);
    assert.deepEqual(
      (await auditRows(vettingCase.id)).map((row) => row.details),
      [{ commentId: comment.id, isVisibleToApplicant: false }],
    );
    const html = (await page(agent, `/staff/cases/${vettingCase.id}`)).html;
    assert.match(html, /Called the referee; no answer yet\./);
    assert.ok(html.includes(`href="#comment-${comment.id}"`), "the timeline links to the comment");
    assert.doesNotMatch(html, /<span class="tag">Visible to the applicant<\/span>/);
  });

  test("a comment for the applicant is saved only after the confirmation step", async () => {
    const vettingCase = await createCase();
    const agent = await staffBrowser();
    const body = "Please bring <b>photo ID</b> to the call.";
    const asked = await agent.post(`/staff/cases/${vettingCase.id}/comments`, {
      body,
      visibility: "applicant",
    });
    assert.equal(asked.status, 200);
    const confirmation = await asked.text();
    assert.match(confirmation, /The applicant will see this/);
    assert.ok(confirmation.includes("Please bring &lt;b&gt;photo ID&lt;/b&gt; to the call."), "escaped");
    assert.match(confirmation, /name="confirmed" value="yes"/);
    assert.equal(await testApp.db.caseComment.count(), 0, "nothing saved before confirming");

    const back = await agent.post(`/staff/cases/${vettingCase.id}/comments`, {
      body,
      visibility: "applicant",
      confirmed: "no",
    });
    assert.equal(back.status, 200);
    const backHtml = await back.text();
    assert.ok(
      backHtml.includes("Please bring &lt;b&gt;photo ID&lt;/b&gt; to the call.</textarea>"),
      "text kept",
    );
    assert.match(backHtml, /id="visibility-applicant" name="visibility" value="applicant" checked/);
    assert.equal(await testApp.db.caseComment.count(), 0);

    const confirmed = await agent.post(`/staff/cases/${vettingCase.id}/comments`, {
      body,
      visibility: "applicant",
      confirmed: "yes",
    });
    assert.equal(confirmed.headers.get("location"), `/staff/cases/${vettingCase.id}?done=comment_shared`);
    const comment = await testApp.db.caseComment.findFirstOrThrow();
    assert.equal(comment.isVisibleToApplicant, true);
    assert.equal(comment.body, body);
    assert.deepEqual(
      (await auditRows(vettingCase.id)).map((row) => [row.action, row.details]),
      [["case.comment_added", { commentId: comment.id, isVisibleToApplicant: true }]],
    );
    const html = (await page(agent, `/staff/cases/${vettingCase.id}?done=comment_shared`)).html;
    assert.match(html, /Your comment was added\. The applicant can see it\./);
    assert.match(html, /<span class="tag">Visible to the applicant<\/span>/);
    assert.match(html, /Added a comment — Visible to the applicant/);
  });

  test("an empty or too long comment, or no visibility, comes back with a message", async () => {
    const vettingCase = await createCase();
    const agent = await staffBrowser();
    for (const [fields, message] of [
      [{ body: "  ", visibility: "internal" }, /Write the comment\./],
      [{ body: "x".repeat(5001), visibility: "internal" }, /Use at most 5000 characters\./],
      [{ body: "Fine.", visibility: "everyone" }, /Choose who may read the comment\./],
    ] as const) {
      const response = await agent.post(`/staff/cases/${vettingCase.id}/comments`, fields);
      assert.equal(response.status, 422);
      assert.match(await response.text(), message);
    }
    assert.equal(await testApp.db.caseComment.count(), 0);
  });
});

describe("sending the person a link again", () => {
  test("for a draft: a new case_invitation email and an audit row", async () => {
    const vettingCase = await createCase({
      state: "DRAFT",
      origin: "STAFF",
      submittedAt: null,
      lastSubmittedAt: null,
    });
    const agent = await staffBrowser("VETTING_AGENT", "Ivy Inviter");
    assert.match(
      (await page(agent, `/staff/cases/${vettingCase.id}`)).html,
      /Send the person a link to their application/,
    );
    const response = await agent.post(`/staff/cases/${vettingCase.id}/invite`);
    assert.equal(response.headers.get("location"), `/staff/cases/${vettingCase.id}?done=invited`);
    const outbox = await testApp.db.outboxMessage.findFirstOrThrow();
    assert.equal(outbox.kind, "case_invitation");
    assert.deepEqual(
      (await auditRows(vettingCase.id)).map((row) => [row.action, row.details]),
      [["case.invitation_sent", { outboxMessageId: outbox.id }]],
    );
    const [email] = await deliverQueuedEmails(testApp, smtp);
    assert.match(
      linkPathIn(email as NonNullable<typeof email>, testApp.config.http.publicUrl),
      /^\/apply\/invitation\//,
    );
  });

  test("refused with a message while the case is not waiting for the person", async () => {
    const vettingCase = await createCase({ state: "IN_REVIEW" });
    const agent = await staffBrowser();
    assert.doesNotMatch((await page(agent, `/staff/cases/${vettingCase.id}`)).html, /Send the person a link/);
    const response = await agent.post(`/staff/cases/${vettingCase.id}/invite`);
    assert.equal(response.status, 409);
    assert.match(await response.text(), /A link is sent only while the case waits for the person/);
    assert.equal(await testApp.db.outboxMessage.count(), 0);
  });
});
