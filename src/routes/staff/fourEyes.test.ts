// Four eyes on cases, over HTTP against real Postgres: an approval needs independent vetting, nobody
// too close to a case decides it (each reason said on the page), and a conflict of interest keeps its
// holder out of the case (assignment, vetting, evidence, deciding, the queue's details).
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { formatCaseNumber } from "../../domain/caseNumber.js";
import type { CaseState } from "../../domain/caseStates.js";
import { startTestApp, type TestApp } from "../../test/app.js";
import { seedEvidenceFile } from "../../test/evidenceFiles.js";
import { pdfDocument } from "../../test/evidenceFixtures.js";
import { truncateTables } from "../../test/reset.js";
import { createStaffMember, type SignedInStaffBrowser, signedInStaffBrowser } from "../../test/staff.js";

let testApp: TestApp;
before(async () => {
  testApp = await startTestApp();
});
after(async () => {
  await testApp.close();
});
beforeEach(async () => {
  await truncateTables(testApp.db, [
    "case_conflicts",
    "case_decisions",
    "vetting_records",
    "evidence_files",
    "vetting_cases",
    "outbox_messages",
    "audit_events",
    "staff_sessions",
    "staff_users",
    "graphile_worker._private_jobs",
  ]);
});

const APPLICANT = {
  fullName: "Ada Applicant",
  email: "ada@example.org",
  phone: "+441234567890",
  matrixId: "@ada:example.org",
};

async function createCase(options: { state?: CaseState; createdById?: string; assignedToId?: string } = {}) {
  const submittedAt = new Date(Date.now() - 2 * 24 * 3_600_000);
  const row = await testApp.db.vettingCase.create({
    data: {
      state: options.state ?? "IN_REVIEW",
      origin: options.createdById ? "STAFF" : "APPLICANT",
      ...APPLICANT,
      statement: "I would like to join.",
      emailConfirmedAt: submittedAt,
      createdById: options.createdById ?? null,
      assignedToId: options.assignedToId ?? null,
      submittedAt,
      lastSubmittedAt: submittedAt,
    },
    select: { id: true, number: true },
  });
  return { id: row.id, number: formatCaseNumber(row.number) };
}

async function addVettingRecord(caseId: string, agentId: string, identityVerified = true) {
  await testApp.db.vettingRecord.create({
    data: {
      caseId,
      agentId,
      identityVerified,
      method: "VIDEO_CALL",
      verifiedOn: new Date("2026-03-01"),
      place: "Video call",
      notes: "Checked an identity document.",
      score: 4,
      recommendation: "APPROVE",
    },
  });
}

const agentNamed = (name: string) =>
  createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT", name });

const decide = (browser: SignedInStaffBrowser, caseId: string, fields: Record<string, string>) =>
  browser.post(`/staff/cases/${caseId}/decision`, fields);

async function stateOf(caseId: string) {
  return (await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: caseId }, select: { state: true } }))
    .state;
}

/** The HTML as text, with tags and runs of whitespace collapsed, for sentence matching. */
async function textOf(response: Response): Promise<string> {
  return (await response.text())
    .replace(/<[^>]+>/g, " ")
    .replace(/&rsquo;|&#39;|&#x27;/g, "’")
    .replace(/\s+/g, " ");
}

describe("approval needs an independent vetting", () => {
  test("a lone admin cannot approve a case nobody vetted: the panel says why, offers no approval, and the POST is refused", async () => {
    const admin = await signedInStaffBrowser(testApp, "INVITING_ADMIN", "Lone Admin");
    const vettingCase = await createCase({ state: "SUBMITTED" });
    assert.equal((await admin.post(`/staff/cases/${vettingCase.id}/start-review`)).status, 303);

    const page = await admin.get(`/staff/cases/${vettingCase.id}`);
    const html = await page.text();
    assert.match(html, /Approval needs a vetting record by someone else with the identity verified\./);
    assert.doesNotMatch(html, /name="decision" value="approve"/, "no approve option is offered");
    assert.match(html, /name="decision" value="reject"/, "rejecting stays open");
    assert.match(html, /name="decision" value="request_more_information"/);

    const response = await decide(admin, vettingCase.id, { decision: "approve" });
    assert.equal(response.status, 403);
    assert.match(await textOf(response), /Approval needs a vetting record by someone else/);
    assert.equal(await stateOf(vettingCase.id), "IN_REVIEW");
    assert.equal(await testApp.db.caseDecision.count(), 0);
    assert.equal(await testApp.db.outboxMessage.count(), 0);

    // Rejecting and asking for more information need no record.
    const asked = await decide(admin, vettingCase.id, {
      decision: "request_more_information",
      reason: "Please book a video call with us.",
    });
    assert.equal(asked.status, 303);
    assert.equal(await stateOf(vettingCase.id), "MORE_INFORMATION_REQUESTED");
  });

  test("a record without the identity verified is not enough; one with it opens approval", async () => {
    const admin = await signedInStaffBrowser(testApp, "INVITING_ADMIN");
    const agent = await agentNamed("Vera Vetting");
    const vettingCase = await createCase();
    await addVettingRecord(vettingCase.id, agent.id, false);
    const refused = await decide(admin, vettingCase.id, { decision: "approve" });
    assert.equal(refused.status, 403);
    assert.match(await textOf(refused), /needs a vetting record by someone else with the identity verified/);

    await addVettingRecord(vettingCase.id, agent.id, true);
    assert.equal((await decide(admin, vettingCase.id, { decision: "approve" })).status, 303);
    assert.equal(await stateOf(vettingCase.id), "APPROVED");
  });

  test("records by staff with a conflict of interest, or who share an identifier with the applicant, do not count", async () => {
    const admin = await signedInStaffBrowser(testApp, "INVITING_ADMIN");
    const conflicted = await agentNamed("Cora Conflicted");
    const twin = await agentNamed("Tom Twin");
    await testApp.db.staffUser.update({ where: { id: twin.id }, data: { phone: APPLICANT.phone } });
    const vettingCase = await createCase();
    await addVettingRecord(vettingCase.id, conflicted.id);
    await addVettingRecord(vettingCase.id, twin.id);
    await testApp.db.caseConflict.create({
      data: {
        caseId: vettingCase.id,
        staffUserId: conflicted.id,
        declaredById: conflicted.id,
        reason: "My cousin",
      },
    });
    const refused = await decide(admin, vettingCase.id, { decision: "approve" });
    assert.equal(refused.status, 403);
    assert.match(await textOf(refused), /do not count \(2 on this case\)/);
    assert.equal(await stateOf(vettingCase.id), "IN_REVIEW");
  });

  test("APPROVAL_MIN_VETTING_RECORDS=2 asks for two independent records", async () => {
    const strictApp = await startTestApp({ env: { APPROVAL_MIN_VETTING_RECORDS: "2" } });
    try {
      const admin = await signedInStaffBrowser(strictApp, "INVITING_ADMIN");
      const first = await createStaffMember(strictApp.db, strictApp.config, { role: "VETTING_AGENT" });
      const second = await createStaffMember(strictApp.db, strictApp.config, { role: "VETTING_AGENT" });
      const created = await strictApp.db.vettingCase.create({
        data: { state: "IN_REVIEW", origin: "APPLICANT", ...APPLICANT, statement: "Hello." },
        select: { id: true },
      });
      const record = (agentId: string) =>
        strictApp.db.vettingRecord.create({
          data: {
            caseId: created.id,
            agentId,
            identityVerified: true,
            method: "IN_PERSON",
            verifiedOn: new Date("2026-03-01"),
            place: "Meetup",
            notes: "",
            score: 5,
            recommendation: "APPROVE",
          },
        });
      await record(first.id);
      const refused = await admin.post(`/staff/cases/${created.id}/decision`, { decision: "approve" });
      assert.equal(refused.status, 403);
      assert.match(
        await textOf(refused),
        /Approval needs 2 vetting records by staff other than you, at least one with the identity verified; this case has 1\./,
      );
      await record(second.id);
      assert.equal(
        (await admin.post(`/staff/cases/${created.id}/decision`, { decision: "approve" })).status,
        303,
      );
    } finally {
      await strictApp.close();
    }
  });
});

describe("who is too close to decide", () => {
  /** A case in review with an independent, verified record: only closeness can stop the admin. */
  async function vettedCase(options: { createdById?: string } = {}) {
    const agent = await agentNamed("Ian Independent");
    const vettingCase = await createCase(options);
    await addVettingRecord(vettingCase.id, agent.id);
    return vettingCase;
  }

  async function assertRefused(admin: SignedInStaffBrowser, caseId: string, reason: RegExp) {
    const page = await textOf(await admin.get(`/staff/cases/${caseId}`));
    assert.match(page, reason, "the page says why");
    assert.match(page, /A different admin must decide it \(four eyes\)\./);
    const attempts: Record<string, string>[] = [
      { decision: "approve" },
      { decision: "reject", reason: "Not verified." },
      { decision: "request_more_information", reason: "More, please." },
    ];
    for (const fields of attempts) {
      const response = await decide(admin, caseId, fields);
      assert.equal(response.status, 403, `${fields.decision} is refused`);
      assert.match(await textOf(response), reason);
    }
    assert.equal(await stateOf(caseId), "IN_REVIEW");
    assert.equal(await testApp.db.caseDecision.count({ where: { caseId } }), 0);
  }

  test("the opener", async () => {
    const admin = await signedInStaffBrowser(testApp, "INVITING_ADMIN");
    const vettingCase = await vettedCase({ createdById: admin.id });
    await assertRefused(admin, vettingCase.id, /You opened this case\./);
  });

  test("a vetting-record author", async () => {
    const admin = await signedInStaffBrowser(testApp, "SERVER_ADMIN");
    const vettingCase = await vettedCase();
    await addVettingRecord(vettingCase.id, admin.id);
    await assertRefused(admin, vettingCase.id, /You wrote a vetting record for this case\./);
  });

  test("a staff uploader of the case's evidence", async () => {
    const admin = await signedInStaffBrowser(testApp, "INVITING_ADMIN");
    const vettingCase = await vettedCase();
    await seedEvidenceFile(testApp, {
      caseId: vettingCase.id,
      bytes: pdfDocument("Referee letter"),
      displayName: "letter.pdf",
      mediaType: "application/pdf",
      uploaderKind: "STAFF",
      uploadedById: admin.id,
    });
    await assertRefused(admin, vettingCase.id, /You uploaded evidence to this case\./);
  });

  for (const [field, value, reason] of [
    ["email", APPLICANT.email, /Your own email address is the applicant’s\./],
    ["phone", APPLICANT.phone, /Your own phone number is the applicant’s\./],
    ["matrixId", APPLICANT.matrixId, /Your own Matrix ID is the applicant’s\./],
  ] as const) {
    test(`a staff member whose own ${field} is the applicant's`, async () => {
      const admin = await signedInStaffBrowser(testApp, "INVITING_ADMIN");
      if (field === "email") {
        // The applicant applied with the address of a staff account (emails are stored lower-cased).
        await testApp.db.staffUser.update({ where: { id: admin.id }, data: { email: "other@example.org" } });
        const vettingCase = await vettedCase();
        const staffEmail = (
          await testApp.db.staffUser.findUniqueOrThrow({ where: { id: admin.id }, select: { email: true } })
        ).email;
        await testApp.db.vettingCase.update({ where: { id: vettingCase.id }, data: { email: staffEmail } });
        await assertRefused(admin, vettingCase.id, reason);
        return;
      }
      await testApp.db.staffUser.update({ where: { id: admin.id }, data: { [field]: value } });
      const vettingCase = await vettedCase();
      await assertRefused(admin, vettingCase.id, reason);
    });
  }

  test("anyone with a declared conflict of interest", async () => {
    const admin = await signedInStaffBrowser(testApp, "INVITING_ADMIN");
    const vettingCase = await vettedCase();
    assert.equal(
      (await admin.post(`/staff/cases/${vettingCase.id}/conflicts`, { conflictReason: "My neighbour" }))
        .status,
      303,
    );
    // The conflicted admin sees the short page, which says they have a conflict; the POST says why.
    const page = await textOf(await admin.get(`/staff/cases/${vettingCase.id}`));
    assert.match(page, /You have a conflict of interest on this case/);
    const response = await decide(admin, vettingCase.id, { decision: "approve" });
    assert.equal(response.status, 403);
    assert.match(await textOf(response), /You have a conflict of interest on this case\./);
    assert.equal(await stateOf(vettingCase.id), "IN_REVIEW");
  });

  test("every reason that applies is listed", async () => {
    const admin = await signedInStaffBrowser(testApp, "INVITING_ADMIN");
    await testApp.db.staffUser.update({ where: { id: admin.id }, data: { matrixId: APPLICANT.matrixId } });
    const vettingCase = await vettedCase({ createdById: admin.id });
    await addVettingRecord(vettingCase.id, admin.id);
    const page = await textOf(await admin.get(`/staff/cases/${vettingCase.id}`));
    assert.match(
      page,
      /You cannot decide this case: You opened this case\. You wrote a vetting record for this case\. Your own Matrix ID is the applicant’s\. A different admin must decide it \(four eyes\)\./,
    );
  });
});

describe("conflicts of interest", () => {
  async function conflictedAgent() {
    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT", "Cora Conflicted");
    const vettingCase = await createCase();
    const evidence = await seedEvidenceFile(testApp, {
      caseId: vettingCase.id,
      bytes: pdfDocument("Passport"),
      displayName: "passport.pdf",
      mediaType: "application/pdf",
    });
    const declared = await agent.post(`/staff/cases/${vettingCase.id}/conflicts`, {
      conflictReason: "She is my sister-in-law",
    });
    assert.equal(declared.status, 303);
    return { agent, vettingCase, evidence };
  }

  test("declaring is audited, shown in the timeline and on the case page, with the reason", async () => {
    const { agent, vettingCase } = await conflictedAgent();
    const row = await testApp.db.caseConflict.findFirstOrThrow({ where: { caseId: vettingCase.id } });
    assert.equal(row.staffUserId, agent.id);
    assert.equal(row.declaredById, agent.id);
    assert.equal(row.reason, "She is my sister-in-law");
    assert.equal(row.withdrawnAt, null);
    const audit = await testApp.db.auditEvent.findFirstOrThrow({
      where: { action: "case.conflict_declared", subjectId: vettingCase.id },
    });
    assert.equal(audit.actorId, agent.id);
    assert.deepEqual(audit.details, { conflictId: row.id, staffUserId: agent.id, isRecordedForOther: false });

    const colleague = await signedInStaffBrowser(testApp, "VETTING_AGENT", "Vic Colleague");
    const page = await textOf(await colleague.get(`/staff/cases/${vettingCase.id}`));
    assert.match(page, /Cora Conflicted : She is my sister-in-law/);
    assert.match(page, /Cora Conflicted : Declared a conflict of interest/);
  });

  test("the conflicted see only the number, the name and the state: on the case page and in the queue", async () => {
    const { agent, vettingCase } = await conflictedAgent();
    await testApp.db.vettingCase.update({
      where: { id: vettingCase.id },
      data: { isPossibleDuplicate: true },
    });
    const page = await agent.get(`/staff/cases/${vettingCase.id}`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, new RegExp(`Case ${vettingCase.number}: Ada Applicant`));
    for (const hidden of [
      APPLICANT.email,
      APPLICANT.phone,
      APPLICANT.matrixId,
      "I would like to join",
      "passport.pdf",
    ])
      assert.ok(!html.includes(hidden), `the page does not show ${hidden}`);

    const queue = await (await agent.get("/staff/cases")).text();
    assert.match(queue, /Ada Applicant/);
    assert.match(queue, /Conflict of interest/);
    assert.doesNotMatch(queue, /Possible duplicate<\/span>/, "the row's details are hidden");
    // Searching or filtering by what the row hides does not find the case.
    const byEmail = await (await agent.get("/staff/cases?q=ada%40example")).text();
    assert.doesNotMatch(byEmail, /Ada Applicant/);
    const byName = await (await agent.get("/staff/cases?q=Ada")).text();
    assert.match(byName, /Ada Applicant/);
    const byDuplicate = await (await agent.get("/staff/cases?duplicate=yes")).text();
    assert.doesNotMatch(byDuplicate, /Ada Applicant/);
    // Others still find it by email.
    const colleague = await signedInStaffBrowser(testApp, "VETTING_AGENT");
    assert.match(await (await colleague.get("/staff/cases?q=ada%40example")).text(), /Ada Applicant/);
  });

  test("the conflicted cannot be assigned the case, vet it, see its evidence or upload to it", async () => {
    const { agent, vettingCase, evidence } = await conflictedAgent();
    const admin = await signedInStaffBrowser(testApp, "INVITING_ADMIN");
    const assigned = await admin.post(`/staff/cases/${vettingCase.id}/assign`, { assigneeId: agent.id });
    assert.equal(assigned.status, 409);
    assert.match(await textOf(assigned), /That person has a conflict of interest on this case/);
    const adminPage = await admin.get(`/staff/cases/${vettingCase.id}`);
    assert.doesNotMatch(await adminPage.text(), new RegExp(`<option value="${agent.id}"`), "not offered");
    assert.equal(
      (await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: vettingCase.id } })).assignedToId,
      null,
    );

    const vetting = await agent.post(`/staff/cases/${vettingCase.id}/vetting-records`, {
      identityVerified: "yes",
      method: "IN_PERSON",
      verifiedOn: "2026-03-01",
      place: "Cafe",
      score: "5",
      recommendation: "APPROVE",
    });
    assert.equal(vetting.status, 403);
    assert.equal(await testApp.db.vettingRecord.count(), 0);

    // Nor take it into review: refused before anything is written.
    await testApp.db.vettingCase.update({ where: { id: vettingCase.id }, data: { state: "SUBMITTED" } });
    assert.equal((await agent.post(`/staff/cases/${vettingCase.id}/start-review`)).status, 403);
    assert.equal(
      (await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: vettingCase.id } })).state,
      "SUBMITTED",
    );
    assert.equal(await testApp.db.auditEvent.count({ where: { action: "case.review_started" } }), 0);

    for (const path of [
      `/staff/cases/${vettingCase.id}/evidence/${evidence.id}`,
      `/staff/cases/${vettingCase.id}/evidence/${evidence.id}/preview`,
      `/staff/cases/${vettingCase.id}/evidence`,
    ]) {
      assert.equal((await agent.get(path)).status, 404, path);
    }
    assert.equal(
      await testApp.db.auditEvent.count({
        where: { action: { in: ["evidence.downloaded", "evidence.viewed"] } },
      }),
      0,
    );
  });

  test("declaring a conflict for the assignee unassigns the case; an admin records it, the person cannot withdraw it", async () => {
    const admin = await signedInStaffBrowser(testApp, "INVITING_ADMIN", "Ada Admin");
    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT", "Ben Busy");
    const vettingCase = await createCase({ assignedToId: agent.id });
    const recorded = await admin.post(`/staff/cases/${vettingCase.id}/conflicts`, {
      conflictStaffUserId: agent.id,
      conflictReason: "They work together",
    });
    assert.equal(recorded.status, 303);
    assert.match(recorded.headers.get("location") ?? "", /done=conflict_recorded_unassigned/);
    const row = await testApp.db.caseConflict.findFirstOrThrow({ where: { caseId: vettingCase.id } });
    assert.equal(row.declaredById, admin.id);
    assert.equal(
      (await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: vettingCase.id } })).assignedToId,
      null,
    );
    const timeline = await textOf(await admin.get(`/staff/cases/${vettingCase.id}`));
    assert.match(timeline, /Ada Admin : Declared a conflict of interest — For Ben Busy/);
    assert.match(timeline, /Assignment removed: the assignee has a conflict of interest/);

    const ownWithdrawal = await agent.post(`/staff/cases/${vettingCase.id}/conflicts/${row.id}/withdraw`);
    assert.equal(ownWithdrawal.status, 403);
    assert.equal(
      (await testApp.db.caseConflict.findUniqueOrThrow({ where: { id: row.id } })).withdrawnAt,
      null,
    );

    // An agent cannot record a conflict for someone else.
    const other = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
    const byAgent = await signedInStaffBrowser(testApp, "VETTING_AGENT");
    assert.equal(
      (
        await byAgent.post(`/staff/cases/${vettingCase.id}/conflicts`, {
          conflictStaffUserId: other.id,
          conflictReason: "Gossip",
        })
      ).status,
      403,
    );
  });

  test("withdrawing one's own conflict is audited and gives the case page back", async () => {
    const { agent, vettingCase } = await conflictedAgent();
    const row = await testApp.db.caseConflict.findFirstOrThrow({ where: { caseId: vettingCase.id } });
    const withdrawn = await agent.post(`/staff/cases/${vettingCase.id}/conflicts/${row.id}/withdraw`);
    assert.equal(withdrawn.status, 303);
    const after = await testApp.db.caseConflict.findUniqueOrThrow({ where: { id: row.id } });
    assert.notEqual(after.withdrawnAt, null);
    assert.equal(after.withdrawnById, agent.id);
    const audit = await testApp.db.auditEvent.findFirstOrThrow({
      where: { action: "case.conflict_withdrawn" },
    });
    assert.deepEqual(audit.details, { conflictId: row.id, staffUserId: agent.id });
    const page = await textOf(await agent.get(`/staff/cases/${vettingCase.id}`));
    assert.match(page, /ada@example\.org/, "the full page again");
    assert.match(page, /Withdrew a conflict of interest/);
    // Twice is a conflict, not a second row.
    const again = await agent.post(`/staff/cases/${vettingCase.id}/conflicts/${row.id}/withdraw`);
    assert.equal(again.status, 409);
    assert.equal(await testApp.db.auditEvent.count({ where: { action: "case.conflict_withdrawn" } }), 1);
  });

  test("a reason is required, one line, at most 300 characters; mistakes re-render the form", async () => {
    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT");
    const vettingCase = await createCase();
    for (const [reason, message] of [
      ["", /Say briefly why/],
      ["a".repeat(301), /Use at most 300 characters\./],
      ["my friend\nwho I know", /Write the reason on one line, as plain text\./],
      ["my \u202Efriend", /Write the reason on one line, as plain text\./],
    ] as const) {
      const response = await agent.post(`/staff/cases/${vettingCase.id}/conflicts`, {
        conflictReason: reason,
      });
      assert.equal(response.status, 422);
      assert.match(await textOf(response), message);
    }
    assert.equal(await testApp.db.caseConflict.count(), 0);
  });

  test("erasing the case blanks the conflicts' reasons", async () => {
    const { vettingCase } = await conflictedAgent();
    const admin = await signedInStaffBrowser(testApp, "INVITING_ADMIN");
    const erased = await admin.post(`/staff/cases/${vettingCase.id}/erase`, {
      caseNumber: vettingCase.number,
    });
    assert.equal(erased.status, 303);
    const row = await testApp.db.caseConflict.findFirstOrThrow({ where: { caseId: vettingCase.id } });
    assert.equal(row.reason, "");
  });
});
