// Four eyes on promotions, over HTTP against real Postgres, with the approvers' emails delivered through
// a real SMTP server on loopback: a raise to a deciding role (or enabling an account that holds one)
// waits for a second admin; the requester cannot approve it; two approvers racing make one decision;
// lowering and disabling stay immediate and call a pending request off.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import type { StaffRole } from "../../generated/prisma/client.js";
import { postForm, startTestApp, type TestApp } from "../../test/app.js";
import { deliverQueuedEmails } from "../../test/browser.js";
import { truncateTables } from "../../test/reset.js";
import { startTestSmtpServer, type TestSmtpServer } from "../../test/smtp.js";
import {
  createStaffMember,
  type SignedInStaffBrowser,
  signedInCookie,
  signedInStaffBrowser,
} from "../../test/staff.js";

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
    "link_tokens",
    "outbox_messages",
    "audit_events",
    "staff_sessions",
    "recovery_codes",
    "staff_invitations",
    "staff_role_changes",
    "registration_token_requests",
    "staff_users",
    "graphile_worker._private_jobs",
  ]);
  smtp.messages.length = 0;
});

const staffBrowser = (role: StaffRole, name: string) => signedInStaffBrowser(testApp, role, name);

/** Someone with two open sessions, to see them end (or not). */
async function memberWithSessions(role: StaffRole, name: string, status: "ACTIVE" | "DISABLED" = "ACTIVE") {
  const member = await createStaffMember(testApp.db, testApp.config, { role, name, status });
  if (status === "ACTIVE") {
    await signedInCookie(testApp.db, testApp.config, member.id);
    await signedInCookie(testApp.db, testApp.config, member.id);
  }
  return member;
}

const account = (id: string) => testApp.db.staffUser.findUniqueOrThrow({ where: { id } });
const sessionsOf = (staffUserId: string) => testApp.db.staffSession.count({ where: { staffUserId } });
const emailOf = async (browser: SignedInStaffBrowser) => (await account(browser.id)).email;
const auditOf = async (subjectId: string) =>
  (await testApp.db.auditEvent.findMany({ where: { subjectId }, orderBy: { id: "asc" } })).map((row) => ({
    action: row.action,
    actorId: row.actorId,
    details: row.details,
  }));
const theRoleChange = () => testApp.db.staffRoleChange.findFirstOrThrow();
const approve = (by: SignedInStaffBrowser, id: string, note = "") =>
  by.post(`/staff/role-changes/${id}/decision`, { decision: "approve", note });

describe("raising someone to a deciding role", () => {
  test("waits for a second admin: the role stays, the approvers are emailed, the requester cannot approve; another admin's approval applies it", async () => {
    const requester = await staffBrowser("SERVER_ADMIN", "Ada Asker");
    const second = await staffBrowser("SERVER_ADMIN", "Bea Second");
    const superadmin = await staffBrowser("SUPERADMIN", "Sue Super");
    await createStaffMember(testApp.db, testApp.config, {
      role: "SERVER_ADMIN",
      name: "Dan Disabled",
      status: "DISABLED",
    });
    await createStaffMember(testApp.db, testApp.config, { role: "INVITING_ADMIN", name: "Ian Inviting" });
    const agent = await memberWithSessions("VETTING_AGENT", "Val Agent");

    const response = await requester.post(`/staff/people/${agent.id}/role`, { role: "INVITING_ADMIN" });
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), `/staff/people/${agent.id}?done=role_requested`);
    assert.equal((await account(agent.id)).role, "VETTING_AGENT", "nothing changes yet");
    assert.equal(await sessionsOf(agent.id), 2);
    const change = await theRoleChange();
    assert.deepEqual(
      [
        change.staffUserId,
        change.fromRole,
        change.toRole,
        change.isReenable,
        change.status,
        change.requestedById,
      ],
      [agent.id, "VETTING_AGENT", "INVITING_ADMIN", false, "PENDING", requester.id],
    );
    assert.deepEqual(await auditOf(agent.id), [
      {
        action: "staff.role_change_requested",
        actorId: requester.id,
        details: { roleChangeId: change.id, from: "VETTING_AGENT", to: "INVITING_ADMIN", isReenable: false },
      },
    ]);

    // Every ACTIVE admin who could make the change, but neither the requester nor the person.
    const emails = await deliverQueuedEmails(testApp, smtp);
    assert.deepEqual(
      emails.map((email) => email.to).sort(),
      [[await emailOf(second)], [await emailOf(superadmin)]].sort(),
    );
    const beaEmail = await emailOf(second);
    const toBea = emails.find((email) => email.to[0] === beaEmail);
    assert.match(toBea?.text ?? "", /Hello Bea Second,/);
    assert.equal(toBea?.subject, "A role change waits for your approval — Vetting Portal");
    assert.match(toBea?.text ?? "", /Ada Asker asks to make Val Agent inviting admin\./);
    assert.match(toBea?.text ?? "", /http:\/\/127\.0\.0\.1:3000\/staff\/invitations/);

    const personPage = await (await requester.get(`/staff/people/${agent.id}?done=role_requested`)).text();
    assert.match(personPage, /The role change now waits for a second admin’s approval/);
    assert.match(personPage, /Vetting agent → Inviting admin<\/strong>, asked by Ada Asker \(you\)/);

    const ownList = await (await requester.get("/staff/invitations")).text();
    assert.match(ownList, /Val Agent<\/a>: Vetting agent → Inviting admin/);
    assert.match(ownList, /May approve: Bea Second, Sue Super\./);
    assert.match(ownList, /You asked for this change, so a different admin has to approve it\./);
    assert.doesNotMatch(ownList, /value="approve"/);
    assert.match(ownList, /Cancel the request/);

    const own = await approve(requester, change.id);
    assert.equal(own.status, 403);
    assert.equal((await theRoleChange()).status, "PENDING");
    assert.equal((await account(agent.id)).role, "VETTING_AGENT");

    assert.match(await (await second.get("/staff/invitations")).text(), /value="approve"/);
    const approved = await approve(second, change.id, "Ran the spring intake well.");
    assert.equal(approved.status, 303);
    assert.equal(approved.headers.get("location"), "/staff/invitations?done=role_change_approved");
    assert.equal((await account(agent.id)).role, "INVITING_ADMIN");
    assert.equal(await sessionsOf(agent.id), 0, "the new role applies from the next sign-in");
    const decided = await theRoleChange();
    assert.deepEqual(
      [decided.status, decided.decidedById, decided.decisionNote],
      ["APPROVED", second.id, "Ran the spring intake well."],
    );
    assert.ok(decided.decidedAt);
    assert.deepEqual((await auditOf(agent.id)).at(-1), {
      action: "staff.role_change_approved",
      actorId: second.id,
      details: {
        roleChangeId: change.id,
        from: "VETTING_AGENT",
        to: "INVITING_ADMIN",
        isReenable: false,
        endedSessions: 2,
      },
    });
    const list = await (await second.get("/staff/invitations?done=role_change_approved")).text();
    assert.match(list, /The role change was approved and applied\./);
    assert.match(list, /No role change waits for approval\./);
  });

  test("two approvers at once: exactly one decision, the other is told on the page", async () => {
    const requester = await staffBrowser("SERVER_ADMIN", "Ada Asker");
    const agent = await memberWithSessions("VETTING_AGENT", "Val Agent");
    await requester.post(`/staff/people/${agent.id}/role`, { role: "INVITING_ADMIN" });
    const change = await theRoleChange();
    const first = await staffBrowser("SERVER_ADMIN", "Bea Second");
    const second = await staffBrowser("SUPERADMIN", "Sue Super");

    const responses = await Promise.all([approve(first, change.id), approve(second, change.id)]);
    assert.deepEqual(responses.map((response) => response.status).sort(), [303, 409]);
    const loser = responses.find((response) => response.status === 409);
    assert.match((await loser?.text()) ?? "", /already been decided by someone else, or cancelled/);
    assert.equal(
      await testApp.db.auditEvent.count({
        where: { action: { in: ["staff.role_change_approved", "staff.role_change_cancelled"] } },
      }),
      1,
      "one decision, and the loser's answer cancelled nothing",
    );
    const decided = await theRoleChange();
    assert.equal(decided.status, "APPROVED");
    assert.ok(decided.decidedById === first.id || decided.decidedById === second.id);
    assert.equal((await account(agent.id)).role, "INVITING_ADMIN");
  });

  test("a second request while one waits is refused on the page; rejecting records the note and changes nothing", async () => {
    const requester = await staffBrowser("SUPERADMIN", "Sue Super");
    const agent = await memberWithSessions("VETTING_AGENT", "Val Agent");
    await requester.post(`/staff/people/${agent.id}/role`, { role: "INVITING_ADMIN" });
    const again = await requester.post(`/staff/people/${agent.id}/role`, { role: "SERVER_ADMIN" });
    assert.equal(again.status, 409);
    assert.match(
      await again.text(),
      /A role change for this person already waits for a second admin’s approval\./,
    );
    assert.equal(await testApp.db.staffRoleChange.count(), 1);

    const change = await theRoleChange();
    const decider = await staffBrowser("SERVER_ADMIN", "Bea Second");
    const tooLong = await decider.post(`/staff/role-changes/${change.id}/decision`, {
      decision: "reject",
      note: "x".repeat(1001),
    });
    assert.equal(tooLong.status, 422);
    assert.match(await tooLong.text(), /Use at most 1000 characters\./);
    assert.equal((await theRoleChange()).status, "PENDING");

    const rejected = await decider.post(`/staff/role-changes/${change.id}/decision`, {
      decision: "reject",
      note: "Not before the review <in spring>.",
    });
    assert.equal(rejected.status, 303);
    assert.equal(rejected.headers.get("location"), "/staff/invitations?done=role_change_rejected");
    const decided = await theRoleChange();
    assert.deepEqual(
      [decided.status, decided.decidedById, decided.decisionNote],
      ["REJECTED", decider.id, "Not before the review <in spring>."],
    );
    assert.equal((await account(agent.id)).role, "VETTING_AGENT");
    assert.equal(await sessionsOf(agent.id), 2);
    assert.deepEqual((await auditOf(agent.id)).at(-1), {
      action: "staff.role_change_rejected",
      actorId: decider.id,
      details: { roleChangeId: change.id },
    });
  });

  test("a superadmin's raise to server admin waits for another superadmin; until there is one, the requester may cancel it", async () => {
    const lone = await staffBrowser("SUPERADMIN", "Sue Super");
    const serverAdmin = await staffBrowser("SERVER_ADMIN", "Sam Server");
    const agent = await memberWithSessions("VETTING_AGENT", "Val Agent");
    const requested = await lone.post(`/staff/people/${agent.id}/role`, { role: "SERVER_ADMIN" });
    assert.equal(requested.headers.get("location"), `/staff/people/${agent.id}?done=role_requested`);
    const change = await theRoleChange();
    assert.equal(
      await testApp.db.outboxMessage.count(),
      0,
      "a server admin may not approve it: nobody to email",
    );

    const ownList = await (await lone.get("/staff/invitations")).text();
    assert.match(
      ownList,
      /Nobody can approve it yet: it needs a superadmin other than the person and whoever asked\./,
    );
    assert.equal((await approve(lone, change.id)).status, 403);
    assert.doesNotMatch(await (await serverAdmin.get("/staff/invitations")).text(), /value="approve"/);
    assert.equal((await approve(serverAdmin, change.id)).status, 403);
    assert.equal((await serverAdmin.post(`/staff/role-changes/${change.id}/cancel`)).status, 403);
    assert.equal((await theRoleChange()).status, "PENDING");

    const cancelled = await lone.post(`/staff/role-changes/${change.id}/cancel`);
    assert.equal(cancelled.status, 303);
    assert.equal(cancelled.headers.get("location"), "/staff/invitations?done=role_change_cancelled");
    assert.equal((await theRoleChange()).status, "CANCELLED");
    assert.deepEqual((await auditOf(agent.id)).at(-1), {
      action: "staff.role_change_cancelled",
      actorId: lone.id,
      details: { roleChangeId: change.id, reason: "withdrawn" },
    });
    const again = await lone.post(`/staff/role-changes/${change.id}/cancel`);
    assert.equal(again.status, 409, "cancelled once");

    const secondSuperadmin = await staffBrowser("SUPERADMIN", "Tess Top");
    await lone.post(`/staff/people/${agent.id}/role`, { role: "SERVER_ADMIN" });
    const secondChange = await testApp.db.staffRoleChange.findFirstOrThrow({ where: { status: "PENDING" } });
    const [mail] = await testApp.db.outboxMessage.findMany();
    assert.equal(mail?.recipient, await emailOf(secondSuperadmin));
    assert.deepEqual(mail?.payload, {
      request: "role_change",
      approverName: "Tess Top",
      requesterName: "Sue Super",
      personName: "Val Agent",
      roleLabel: "server admin",
      isReenable: false,
    });
    assert.equal((await approve(secondSuperadmin, secondChange.id)).status, 303);
    assert.equal((await account(agent.id)).role, "SERVER_ADMIN");
  });

  test("a server admin may raise only within his authority, and raising to vetting agent asks nobody", async () => {
    const admin = await staffBrowser("SERVER_ADMIN", "Ada Asker");
    const agent = await memberWithSessions("VETTING_AGENT", "Val Agent");
    assert.equal((await admin.post(`/staff/people/${agent.id}/role`, { role: "SERVER_ADMIN" })).status, 403);
    const same = await admin.post(`/staff/people/${agent.id}/role`, { role: "VETTING_AGENT" });
    assert.equal(same.headers.get("location"), `/staff/people/${agent.id}?done=role_unchanged`);
    assert.equal(await testApp.db.staffRoleChange.count(), 0);
    assert.equal(await testApp.db.auditEvent.count({ where: { subjectId: agent.id } }), 0);
  });
});

describe("enabling an account that holds a deciding role", () => {
  test("waits for a second admin; the approval enables it", async () => {
    const requester = await staffBrowser("SERVER_ADMIN", "Ada Asker");
    const approver = await staffBrowser("SUPERADMIN", "Sue Super");
    const disabled = await memberWithSessions("INVITING_ADMIN", "Ines Inviting", "DISABLED");

    const page = await (await requester.get(`/staff/people/${disabled.id}`)).text();
    assert.match(page, /enabling it waits until a second admin approves it/);
    const response = await requester.post(`/staff/people/${disabled.id}/enable`);
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), `/staff/people/${disabled.id}?done=enable_requested`);
    assert.equal((await account(disabled.id)).status, "DISABLED", "nothing changes yet");
    const change = await theRoleChange();
    assert.deepEqual(
      [change.fromRole, change.toRole, change.isReenable, change.status],
      ["INVITING_ADMIN", "INVITING_ADMIN", true, "PENDING"],
    );
    const [mail] = await testApp.db.outboxMessage.findMany();
    assert.equal(mail?.recipient, await emailOf(approver));
    const [email] = await deliverQueuedEmails(testApp, smtp);
    assert.match(
      email?.text ?? "",
      /Ada Asker asks to enable the account of Ines Inviting again,\s+with the role “inviting admin”\./,
    );

    const waiting = await (await requester.get(`/staff/people/${disabled.id}?done=enable_requested`)).text();
    assert.match(waiting, /Enabling the account now waits for a second admin’s approval/);
    assert.match(waiting, /Enable the account \(Inviting admin\)<\/strong>/);
    assert.doesNotMatch(waiting, /<button[^>]*>Enable the account<\/button>/, "asked once");
    const twice = await requester.post(`/staff/people/${disabled.id}/enable`);
    assert.equal(twice.status, 409);

    const approved = await approve(approver, change.id);
    assert.equal(approved.headers.get("location"), "/staff/invitations?done=enabling_approved");
    const enabled = await account(disabled.id);
    assert.equal(enabled.status, "ACTIVE");
    assert.equal(enabled.disabledAt, null);
    assert.equal(enabled.role, "INVITING_ADMIN");
    assert.equal((await theRoleChange()).status, "APPROVED");
    assert.deepEqual((await auditOf(disabled.id)).at(-1)?.details, {
      roleChangeId: change.id,
      from: "INVITING_ADMIN",
      to: "INVITING_ADMIN",
      isReenable: true,
      endedSessions: 0,
    });
  });

  test("enabling a vetting agent stays immediate", async () => {
    const admin = await staffBrowser("SERVER_ADMIN", "Ada Asker");
    const agent = await memberWithSessions("VETTING_AGENT", "Val Agent", "DISABLED");
    const response = await admin.post(`/staff/people/${agent.id}/enable`);
    assert.equal(response.headers.get("location"), `/staff/people/${agent.id}?done=enabled`);
    assert.equal((await account(agent.id)).status, "ACTIVE");
    assert.equal(await testApp.db.staffRoleChange.count(), 0);
  });
});

describe("what stays immediate", () => {
  test("disabling applies at once and cancels the pending raise", async () => {
    const requester = await staffBrowser("SERVER_ADMIN", "Ada Asker");
    const other = await staffBrowser("SERVER_ADMIN", "Bea Second");
    const agent = await memberWithSessions("VETTING_AGENT", "Val Agent");
    await requester.post(`/staff/people/${agent.id}/role`, { role: "INVITING_ADMIN" });
    const change = await theRoleChange();

    const disabled = await other.post(`/staff/people/${agent.id}/disable`);
    assert.equal(disabled.headers.get("location"), `/staff/people/${agent.id}?done=disabled`);
    assert.equal((await account(agent.id)).status, "DISABLED");
    assert.equal(await sessionsOf(agent.id), 0);
    const cancelled = await theRoleChange();
    assert.deepEqual([cancelled.status, cancelled.decidedById], ["CANCELLED", other.id]);
    assert.deepEqual(
      (await auditOf(agent.id)).slice(-2).map((row) => [row.action, row.details]),
      [
        ["staff.disabled", { previousStatus: "ACTIVE", endedSessions: 2 }],
        ["staff.role_change_cancelled", { roleChangeId: change.id, reason: "disabled" }],
      ],
    );
    assert.equal((await approve(other, change.id)).status, 409, "nothing left to approve");
    assert.equal((await account(agent.id)).role, "VETTING_AGENT");
  });

  test("lowering a role applies at once and cancels the pending raise", async () => {
    const superadmin = await staffBrowser("SUPERADMIN", "Sue Super");
    const serverAdmin = await staffBrowser("SERVER_ADMIN", "Sam Server");
    const invitingAdmin = await memberWithSessions("INVITING_ADMIN", "Ines Inviting");
    await superadmin.post(`/staff/people/${invitingAdmin.id}/role`, { role: "SERVER_ADMIN" });
    const change = await theRoleChange();

    const lowered = await serverAdmin.post(`/staff/people/${invitingAdmin.id}/role`, {
      role: "VETTING_AGENT",
    });
    assert.equal(lowered.headers.get("location"), `/staff/people/${invitingAdmin.id}?done=role`);
    assert.equal((await account(invitingAdmin.id)).role, "VETTING_AGENT");
    assert.equal(await sessionsOf(invitingAdmin.id), 0);
    assert.equal((await theRoleChange()).status, "CANCELLED");
    assert.deepEqual(
      (await auditOf(invitingAdmin.id)).slice(-2).map((row) => [row.action, row.details]),
      [
        ["staff.role_change_cancelled", { roleChangeId: change.id, reason: "role_changed" }],
        ["staff.role_changed", { from: "INVITING_ADMIN", to: "VETTING_AGENT", endedSessions: 2 }],
      ],
    );
  });

  test("an approval after the account changed meanwhile is refused (409) and the request cancelled", async () => {
    const requester = await staffBrowser("SERVER_ADMIN", "Ada Asker");
    const approver = await staffBrowser("SUPERADMIN", "Sue Super");
    const agent = await memberWithSessions("VETTING_AGENT", "Val Agent");
    const disabled = await memberWithSessions("INVITING_ADMIN", "Ines Inviting", "DISABLED");
    await requester.post(`/staff/people/${agent.id}/role`, { role: "INVITING_ADMIN" });
    await requester.post(`/staff/people/${disabled.id}/enable`);
    const raise = await testApp.db.staffRoleChange.findFirstOrThrow({ where: { staffUserId: agent.id } });
    const enabling = await testApp.db.staffRoleChange.findFirstOrThrow({
      where: { staffUserId: disabled.id },
    });
    // Changed behind the portal's back (an operator in psql): every path through the portal would
    // have cancelled the request, so this is the last line of defence.
    await testApp.db.staffUser.update({ where: { id: agent.id }, data: { role: "SERVER_ADMIN" } });
    await testApp.db.staffUser.update({ where: { id: disabled.id }, data: { status: "ACTIVE" } });

    for (const [change, person, expectedRole] of [
      [raise, agent, "SERVER_ADMIN"],
      [enabling, disabled, "INVITING_ADMIN"],
    ] as const) {
      const response = await approve(approver, change.id);
      assert.equal(response.status, 409);
      assert.match(
        await response.text(),
        /Nothing was changed: the person’s role or status changed after this request/,
      );
      const after = await testApp.db.staffRoleChange.findUniqueOrThrow({ where: { id: change.id } });
      assert.deepEqual([after.status, after.decidedById], ["CANCELLED", approver.id]);
      assert.equal((await account(person.id)).role, expectedRole);
      assert.deepEqual((await auditOf(person.id)).at(-1), {
        action: "staff.role_change_cancelled",
        actorId: approver.id,
        details: { roleChangeId: change.id, reason: "account_changed" },
      });
    }
    assert.equal(await testApp.db.auditEvent.count({ where: { action: "staff.role_change_approved" } }), 0);
  });
});

describe("the role-change actions", () => {
  test("need the form's CSRF token, and GET changes nothing", async () => {
    const requester = await staffBrowser("SERVER_ADMIN", "Ada Asker");
    const agent = await memberWithSessions("VETTING_AGENT", "Val Agent");
    await requester.post(`/staff/people/${agent.id}/role`, { role: "INVITING_ADMIN" });
    const change = await theRoleChange();
    const approver = await createStaffMember(testApp.db, testApp.config, { role: "SUPERADMIN" });
    const cookie = await signedInCookie(testApp.db, testApp.config, approver.id);
    for (const action of ["decision", "cancel"]) {
      const url = `${testApp.baseUrl}/staff/role-changes/${change.id}/${action}`;
      const forged = await postForm(url, { decision: "approve" }, { cookie });
      assert.equal(forged.status, 403, action);
      const visited = await fetch(url, { headers: { cookie }, redirect: "manual" });
      assert.ok(visited.status === 404 || visited.status === 405, `GET ${action}: ${visited.status}`);
    }
    assert.equal((await theRoleChange()).status, "PENDING");
    assert.equal((await account(agent.id)).role, "VETTING_AGENT");
    assert.equal((await requester.post("/staff/role-changes/not-a-uuid/cancel")).status, 404);
    assert.equal(
      (await requester.post("/staff/role-changes/00000000-0000-4000-8000-000000000000/cancel")).status,
      404,
    );
  });
});

describe("requests stand on their requester's authority", () => {
  test("disabling an admin, or lowering them, calls off what they asked for and nobody approved yet", async () => {
    const superadmin = await staffBrowser("SUPERADMIN", "Sue Super");
    const asker = await staffBrowser("SERVER_ADMIN", "Ada Asker");
    const agent = await memberWithSessions("VETTING_AGENT", "Val Agent");
    assert.equal(
      (await asker.post(`/staff/people/${agent.id}/role`, { role: "INVITING_ADMIN" })).status,
      303,
    );
    const token = await testApp.db.registrationTokenRequest.create({
      data: { personName: "Tia Token", personEmail: "tia@example.org", requestedById: asker.id },
    });
    // Lowered to inviting admin: they may still ask for tokens, no longer promote anyone.
    assert.equal(
      (await superadmin.post(`/staff/people/${asker.id}/role`, { role: "INVITING_ADMIN" })).status,
      303,
    );
    assert.equal((await theRoleChange()).status, "CANCELLED");
    const stillPending = await testApp.db.registrationTokenRequest.findUniqueOrThrow({
      where: { id: token.id },
    });
    assert.equal(stillPending.status, "PENDING");
    assert.deepEqual((await auditOf(agent.id)).at(-1), {
      action: "staff.role_change_cancelled",
      actorId: superadmin.id,
      details: { roleChangeId: (await theRoleChange()).id, reason: "requester_role_lowered" },
    });

    // Disabled: nothing they asked for waits any more.
    assert.equal((await superadmin.post(`/staff/people/${asker.id}/disable`)).status, 303);
    const cancelled = await testApp.db.registrationTokenRequest.findUniqueOrThrow({
      where: { id: token.id },
    });
    assert.equal(cancelled.status, "CANCELLED");
    assert.equal(cancelled.decidedById, superadmin.id);
    assert.deepEqual(
      (await auditOf(token.id)).map((row) => [row.action, row.details]),
      [["matrix_token.request_cancelled", { reason: "requester_disabled" }]],
    );
  });
});
