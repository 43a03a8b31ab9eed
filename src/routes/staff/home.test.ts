import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import type { CaseState } from "../../domain/caseStates.js";
import type { DecisionKind } from "../../generated/prisma/client.js";
import { startTestApp, type TestApp } from "../../test/app.js";
import { truncateTables } from "../../test/reset.js";
import { createStaffMember, signedInCookie } from "../../test/staff.js";

let testApp: TestApp;
before(async () => {
  testApp = await startTestApp();
});
after(() => testApp.close());
beforeEach(async () => {
  await truncateTables(testApp.db, [
    "case_decisions",
    "vetting_records",
    "case_comments",
    "vetting_cases",
    "audit_events",
    "staff_sessions",
    "staff_users",
  ]);
});

describe("the staff area", () => {
  test("signed out, a staff page leads to sign-in and back; a form is refused", async () => {
    const response = await fetch(`${testApp.baseUrl}/staff?tab=1`, { redirect: "manual" });
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), "/staff/sign-in?next=%2Fstaff%3Ftab%3D1");
    assert.equal(response.headers.get("cache-control"), "no-store");
  });

  test("signed in, the home page greets the person, shows what their role opens, and is never cached", async () => {
    const agent = await createStaffMember(testApp.db, testApp.config, {
      role: "VETTING_AGENT",
      name: "Alan Agent",
    });
    const admin = await createStaffMember(testApp.db, testApp.config, {
      role: "SERVER_ADMIN",
      name: "Sam Server",
    });
    const agentPage = await fetch(`${testApp.baseUrl}/staff`, {
      headers: { cookie: await signedInCookie(testApp.db, testApp.config, agent.id) },
    });
    assert.equal(agentPage.status, 200);
    assert.equal(agentPage.headers.get("cache-control"), "no-store");
    const agentHtml = await agentPage.text();
    assert.match(agentHtml, /Signed in as Alan Agent \(Vetting agent\)/);
    assert.doesNotMatch(agentHtml, /Audit log/);
    const adminHtml = await (
      await fetch(`${testApp.baseUrl}/staff`, {
        headers: { cookie: await signedInCookie(testApp.db, testApp.config, admin.id) },
      })
    ).text();
    assert.match(adminHtml, /Audit log/);
  });

  test("a disabled account's session opens nothing", async () => {
    const member = await createStaffMember(testApp.db, testApp.config, { role: "SUPERADMIN" });
    const cookie = await signedInCookie(testApp.db, testApp.config, member.id);
    await testApp.db.staffUser.update({ where: { id: member.id }, data: { status: "DISABLED" } });
    const response = await fetch(`${testApp.baseUrl}/staff`, { headers: { cookie }, redirect: "manual" });
    assert.equal(response.status, 303);
    assert.equal(
      await testApp.db.staffSession.count({ where: { staffUserId: member.id } }),
      0,
      "and it is deleted",
    );
  });

  test("the staff guard covers nothing outside /staff", async () => {
    assert.equal((await fetch(`${testApp.baseUrl}/`)).status, 200);
    assert.equal((await fetch(`${testApp.baseUrl}/healthz`)).status, 200);
  });
});

const HOUR_MS = 3_600_000;
const hoursAgo = (hours: number) => new Date(Date.now() - hours * HOUR_MS);

async function createCase(options: {
  fullName: string;
  state: CaseState;
  lastSubmittedAt?: Date | null;
  assignedToId?: string;
  erased?: boolean;
}) {
  return testApp.db.vettingCase.create({
    data: {
      state: options.state,
      origin: "APPLICANT",
      fullName: options.fullName,
      email: `${options.fullName.toLowerCase().replace(/\W+/g, ".")}@example.org`,
      statement: "I would like to join.",
      submittedAt: options.lastSubmittedAt ?? null,
      lastSubmittedAt: options.lastSubmittedAt ?? null,
      assignedToId: options.assignedToId ?? null,
      erasedAt: options.erased ? new Date() : null,
    },
    select: { id: true, number: true },
  });
}

const caseNumber = (row: { number: number }) => `VC-${String(row.number).padStart(5, "0")}`;

async function caseEvent(
  caseId: string,
  action: string,
  occurredAt: Date,
  actor: { id: string } | "applicant",
  details: object = {},
) {
  await testApp.db.auditEvent.create({
    data: {
      action,
      occurredAt,
      subjectType: "vetting_case",
      subjectId: caseId,
      actorId: actor === "applicant" ? null : actor.id,
      actorLabel: actor === "applicant" ? "applicant" : "staff@example.org",
      details: details as never,
    },
  });
}

async function decision(caseId: string, kind: DecisionKind, decidedById: string, decidedAt: Date) {
  await testApp.db.caseDecision.create({
    data: { caseId, kind, decidedById, decidedAt, reason: kind === "APPROVE" ? null : "Secret reason" },
  });
}

async function homePage(staffUserId: string): Promise<string> {
  const response = await fetch(`${testApp.baseUrl}/staff`, {
    headers: { cookie: await signedInCookie(testApp.db, testApp.config, staffUserId) },
  });
  assert.equal(response.status, 200);
  return response.text();
}

/** The text of the <section> under the heading with this id, tags removed and spaces collapsed. */
function sectionText(html: string, headingId: string): string {
  const start = html.indexOf(`aria-labelledby="${headingId}"`);
  assert.ok(start >= 0, `a section labelled by ${headingId}`);
  const section = html.slice(html.indexOf(">", start) + 1, html.indexOf("</section>", start));
  return section
    .replace(/<[^>]+>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

describe("the dashboard", () => {
  test("an agent sees their open cases, oldest waiting first, and recent activity on them", async () => {
    const agent = await createStaffMember(testApp.db, testApp.config, {
      role: "VETTING_AGENT",
      name: "Alan Agent",
    });
    const other = await createStaffMember(testApp.db, testApp.config, {
      role: "VETTING_AGENT",
      name: "Olga Other",
    });
    const recent = await createCase({
      fullName: "Rita Recent",
      state: "IN_REVIEW",
      lastSubmittedAt: hoursAgo(5),
      assignedToId: agent.id,
    });
    const oldest = await createCase({
      fullName: "Olive Oldest",
      state: "MORE_INFORMATION_REQUESTED",
      lastSubmittedAt: hoursAgo(75),
      assignedToId: agent.id,
    });
    const decided = await createCase({
      fullName: "Dora Decided",
      state: "APPROVED",
      lastSubmittedAt: hoursAgo(200),
      assignedToId: agent.id,
    });
    const othersCase = await createCase({
      fullName: "Nina Notmine",
      state: "IN_REVIEW",
      lastSubmittedAt: hoursAgo(300),
      assignedToId: other.id,
    });
    await caseEvent(oldest.id, "case.assigned", hoursAgo(4), other, { assignedToId: agent.id });
    await caseEvent(recent.id, "case.vetting_recorded", hoursAgo(3), agent);
    await caseEvent(decided.id, "case.approved", hoursAgo(2), other);
    await caseEvent(oldest.id, "case.resubmitted", hoursAgo(1), "applicant");
    await caseEvent(othersCase.id, "case.comment_added", hoursAgo(1), other);
    await caseEvent(recent.id, "staff.signed_in", hoursAgo(1), agent);

    const html = await homePage(agent.id);
    assert.equal(
      sectionText(html, "assigned-heading").replace(/ \d{1,2} \w{3} \d{4}, \d{2}:\d{2} UTC/g, " <date>"),
      "Assigned to you Open cases assigned to you, the one waiting longest first Case State Waiting since " +
        `${caseNumber(oldest)} Olive Oldest More information requested <date> (3 days) ` +
        `${caseNumber(recent)} Rita Recent In review <date> (5 hours)`,
    );
    assert.ok(html.includes(`<a href="/staff/cases/${oldest.id}">${caseNumber(oldest)}</a>`));
    assert.equal(
      sectionText(html, "activity-heading").replace(/\d{1,2} \w{3} \d{4}, \d{2}:\d{2} UTC /g, ""),
      "Recent activity on your cases The latest events on cases assigned to you, newest first " +
        "When Case What happened By " +
        `${caseNumber(oldest)} Olive Oldest Resubmitted by the applicant The applicant ` +
        `${caseNumber(decided)} Dora Decided Approved Olga Other ` +
        `${caseNumber(recent)} Rita Recent Vetting record added Alan Agent ` +
        `${caseNumber(oldest)} Olive Oldest Assigned Olga Other`,
    );
    for (const hidden of [
      "Nina Notmine",
      "olive.oldest@example.org",
      "assignedToId",
      "Cases by state",
      "Recent decisions",
    ]) {
      assert.ok(!html.includes(hidden), `an agent's dashboard shows no ${hidden}`);
    }
  });

  test("an agent with nothing assigned reads plain empty states", async () => {
    const agent = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
    const html = await homePage(agent.id);
    assert.match(html, /No open cases are assigned to you\. Cases you take on from the queue appear here\./);
    assert.match(html, /Nothing has happened on your cases yet\./);
  });

  test("an admin also sees counts by state, the cases waiting longest for a decision and recent decisions", async () => {
    const admin = await createStaffMember(testApp.db, testApp.config, {
      role: "INVITING_ADMIN",
      name: "Ina Admin",
    });
    const agent = await createStaffMember(testApp.db, testApp.config, {
      role: "VETTING_AGENT",
      name: "Alan Agent",
    });
    const waitingLong = await createCase({
      fullName: "Wanda Waiting",
      state: "IN_REVIEW",
      lastSubmittedAt: hoursAgo(50),
      assignedToId: agent.id,
    });
    const waitingShort = await createCase({
      fullName: "Sam Short",
      state: "IN_REVIEW",
      lastSubmittedAt: hoursAgo(2),
    });
    await createCase({ fullName: "Sue Submitted", state: "SUBMITTED", lastSubmittedAt: hoursAgo(100) });
    const approved = await createCase({
      fullName: "Abe Approved",
      state: "APPROVED",
      lastSubmittedAt: hoursAgo(90),
    });
    const rejected = await createCase({
      fullName: "Rex Rejected",
      state: "REJECTED",
      lastSubmittedAt: hoursAgo(80),
      erased: true,
    });
    await decision(approved.id, "APPROVE", admin.id, hoursAgo(10));
    await decision(rejected.id, "REJECT", admin.id, hoursAgo(1));

    const html = await homePage(admin.id);
    assert.equal(
      sectionText(html, "states-heading"),
      "Cases by state Each state opens the queue filtered by it. Draft 0 cases Submitted 1 case " +
        "In review 2 cases More information requested 0 cases Approved 1 case Rejected 1 case Withdrawn 0 cases Closed without a decision 0 cases",
    );
    assert.ok(html.includes('<a href="/staff/cases?state=IN_REVIEW">In review</a>'));
    assert.ok(
      html.includes('<a href="/staff/cases?state=MORE_INFORMATION_REQUESTED">More information requested</a>'),
    );
    assert.equal(
      sectionText(html, "waiting-heading").replace(/ \d{1,2} \w{3} \d{4}, \d{2}:\d{2} UTC/g, " <date>"),
      "Waiting longest for a decision Cases in review, the one waiting longest first " +
        "Case Waiting for Submitted Assigned to " +
        `${caseNumber(waitingLong)} Wanda Waiting 2 days <date> Alan Agent ` +
        `${caseNumber(waitingShort)} Sam Short 2 hours <date> Nobody`,
    );
    assert.equal(
      sectionText(html, "decisions-heading").replace(/\d{1,2} \w{3} \d{4}, \d{2}:\d{2} UTC /g, ""),
      "Recent decisions The latest decisions, newest first When Case Decision Decided by " +
        `${caseNumber(rejected)} (personal data erased) Rejected Ina Admin ` +
        `${caseNumber(approved)} Abe Approved Approved Ina Admin`,
    );
    assert.ok(!html.includes("Rex Rejected"), "an erased case shows its number only");
    assert.ok(!html.includes("Secret reason"), "reasons stay on the case page");
  });

  test("an admin on an empty portal reads plain empty states", async () => {
    const admin = await createStaffMember(testApp.db, testApp.config, { role: "SUPERADMIN" });
    const html = await homePage(admin.id);
    assert.match(html, /No case is in review, so none is waiting for a decision\./);
    assert.match(html, /No decisions yet\./);
    assert.match(html, /In review<\/a><\/dt><dd>0 cases<\/dd>/);
  });
});
