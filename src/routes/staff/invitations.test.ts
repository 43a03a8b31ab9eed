// Inviting staff and the four-eyes rule, over HTTP against real Postgres.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import type { StaffRole } from "../../generated/prisma/client.js";
import { startTestApp, type TestApp } from "../../test/app.js";
import { truncateTables } from "../../test/reset.js";
import { createStaffMember, type SignedInStaffBrowser, signedInStaffBrowser } from "../../test/staff.js";

let testApp: TestApp;
before(async () => {
  testApp = await startTestApp();
});
after(() => testApp.close());
beforeEach(async () => {
  await truncateTables(testApp.db, [
    "link_tokens",
    "outbox_messages",
    "audit_events",
    "staff_sessions",
    "staff_invitations",
    "staff_users",
    "graphile_worker._private_jobs",
  ]);
});

const staffBrowser = (role: StaffRole, name?: string) => signedInStaffBrowser(testApp, role, name);
type Browser = SignedInStaffBrowser;

async function invite(by: Browser, fields: { name: string; email: string; role: StaffRole }) {
  return by.post("/staff/invitations", fields);
}

const auditActions = async (subjectId: string) =>
  (await testApp.db.auditEvent.findMany({ where: { subjectId }, orderBy: { id: "asc" } })).map((row) => ({
    action: row.action,
    actorId: row.actorId,
    details: row.details,
  }));

describe("the invitations page", () => {
  test("is for server admins and superadmins only", async () => {
    for (const role of ["VETTING_AGENT", "INVITING_ADMIN"] as const) {
      const browser = await staffBrowser(role);
      assert.equal((await browser.get("/staff/invitations")).status, 403, role);
      assert.equal(
        (await invite(browser, { name: "X Y", email: `x-${role}@example.org`, role: "VETTING_AGENT" }))
          .status,
        403,
      );
    }
    assert.equal(await testApp.db.staffInvitation.count(), 0);
  });

  test("offers only the roles the person may invite", async () => {
    const serverAdmin = await staffBrowser("SERVER_ADMIN");
    const html = await (await serverAdmin.get("/staff/invitations")).text();
    assert.match(html, /<option value="VETTING_AGENT"/);
    assert.match(html, /<option value="INVITING_ADMIN"/);
    assert.doesNotMatch(html, /<option value="SERVER_ADMIN"/);
    const superadmin = await staffBrowser("SUPERADMIN");
    assert.match(await (await superadmin.get("/staff/invitations")).text(), /<option value="SUPERADMIN"/);
  });

  test("a superadmin's invitation is sent at once", async () => {
    const superadmin = await staffBrowser("SUPERADMIN", "Sue Super");
    const response = await invite(superadmin, {
      name: "Sam Server",
      email: "Sam@Example.org",
      role: "SERVER_ADMIN",
    });
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), "/staff/invitations?done=invited_sent");
    const user = await testApp.db.staffUser.findUniqueOrThrow({
      where: { email: "sam@example.org" },
      include: { invitation: true },
    });
    assert.equal(user.status, "INVITED");
    assert.equal(user.passwordHash, null);
    assert.equal(user.invitation?.status, "SENT");
    const [mail] = await testApp.db.outboxMessage.findMany();
    assert.equal(mail?.kind, "staff_invitation");
    assert.equal(mail?.recipient, "sam@example.org");
    assert.deepEqual(mail?.payload, {
      inviteeName: "Sam Server",
      inviterName: "Sue Super",
      roleLabel: "Server admin",
    });
    assert.equal(mail?.linkSubjectType, "staff_invitation");
    assert.equal(mail?.linkSubjectId, user.invitation?.id);
    assert.deepEqual(await auditActions(user.id), [
      {
        action: "staff.invited",
        actorId: superadmin.id,
        details: { invitationId: user.invitation?.id, role: "SERVER_ADMIN", needsApproval: false },
      },
    ]);
    const list = await (await superadmin.get("/staff/invitations?done=invited_sent")).text();
    assert.match(list, /The invitation was sent\./);
    assert.match(list, /Sam Server/);
  });

  test("an address that already has an account gets a clear form error", async () => {
    const superadmin = await staffBrowser("SUPERADMIN");
    await createStaffMember(testApp.db, testApp.config, {
      role: "VETTING_AGENT",
      email: "taken@example.org",
    });
    const response = await invite(superadmin, {
      name: "Tim Taken",
      email: "TAKEN@example.org",
      role: "VETTING_AGENT",
    });
    assert.equal(response.status, 422);
    const html = await response.text();
    assert.match(html, /A staff account with this email address already exists\./);
    assert.match(html, /value="Tim Taken"/, "what was typed is kept");
    assert.equal(await testApp.db.staffInvitation.count(), 0);
  });

  test("a form with mistakes is shown again with messages", async () => {
    const superadmin = await staffBrowser("SUPERADMIN");
    const response = await invite(superadmin, { name: "", email: "not-an-address", role: "VETTING_AGENT" });
    assert.equal(response.status, 422);
    const html = await response.text();
    assert.match(html, /Enter the person’s full name\./);
    assert.match(html, /Enter an email address like name@example.org\./);
    assert.match(html, /value="not-an-address"/);
  });
});

describe("four eyes", () => {
  test("a server admin's invitation waits; they cannot approve it themselves; another admin can", async () => {
    const author = await staffBrowser("SERVER_ADMIN", "Ada Author");
    const response = await invite(author, {
      name: "Pat Pending",
      email: "pat@example.org",
      role: "INVITING_ADMIN",
    });
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), "/staff/invitations?done=invited_pending");
    const invitation = await testApp.db.staffInvitation.findFirstOrThrow({ include: { invitee: true } });
    assert.equal(invitation.status, "PENDING_APPROVAL");
    assert.equal(invitation.invitee.status, "PENDING_APPROVAL");
    assert.equal(await testApp.db.outboxMessage.count(), 0, "nothing is emailed yet");
    assert.match(await (await author.get("/staff/invitations")).text(), /Waiting for approval/);

    const ownPage = await (await author.get(`/staff/invitations/${invitation.id}`)).text();
    assert.match(ownPage, /You wrote this invitation, so a different admin has to approve it\./);
    assert.doesNotMatch(ownPage, /Approve and send/);
    const own = await author.post(`/staff/invitations/${invitation.id}/decision`, { decision: "approve" });
    assert.equal(own.status, 403);
    assert.equal((await testApp.db.staffInvitation.findFirstOrThrow()).status, "PENDING_APPROVAL");

    const second = await staffBrowser("SERVER_ADMIN", "Bea Second");
    assert.match(await (await second.get(`/staff/invitations/${invitation.id}`)).text(), /Approve and send/);
    const approved = await second.post(`/staff/invitations/${invitation.id}/decision`, {
      decision: "approve",
      note: "Known to us from the 2025 meetup.",
    });
    assert.equal(approved.status, 303);
    const after = await testApp.db.staffInvitation.findFirstOrThrow({ include: { invitee: true } });
    assert.equal(after.status, "SENT");
    assert.equal(after.decidedById, second.id);
    assert.equal(after.decisionNote, "Known to us from the 2025 meetup.");
    assert.equal(after.invitee.status, "INVITED");
    const [mail] = await testApp.db.outboxMessage.findMany();
    assert.equal(mail?.kind, "staff_invitation");
    assert.deepEqual(mail?.payload, {
      inviteeName: "Pat Pending",
      inviterName: "Ada Author",
      roleLabel: "Inviting admin",
    });
    assert.equal(mail?.linkSubjectId, invitation.id);
    assert.deepEqual(
      (await auditActions(invitation.inviteeId)).map((row) => [row.action, row.actorId]),
      [
        ["staff.invited", author.id],
        ["staff.invitation_approved", second.id],
      ],
    );
  });

  test("a server admin cannot invite a server admin or superadmin; a superadmin can", async () => {
    const serverAdmin = await staffBrowser("SERVER_ADMIN");
    for (const role of ["SERVER_ADMIN", "SUPERADMIN"] as const) {
      const response = await invite(serverAdmin, {
        name: "Top Role",
        email: `top-${role}@example.org`,
        role,
      });
      assert.equal(response.status, 403, role);
    }
    assert.equal(await testApp.db.staffUser.count({ where: { email: { startsWith: "top-" } } }), 0);
    const superadmin = await staffBrowser("SUPERADMIN");
    assert.equal(
      (await invite(superadmin, { name: "Top Role", email: "top@example.org", role: "SUPERADMIN" })).status,
      303,
    );
  });

  test("only a superadmin approves an invitation for a top role", async () => {
    // Written straight into the database: no server admin can write one through the form.
    const author = await staffBrowser("SERVER_ADMIN");
    const invitee = await testApp.db.staffUser.create({
      data: {
        name: "Sid Server",
        email: "sid@example.org",
        role: "SERVER_ADMIN",
        status: "PENDING_APPROVAL",
      },
    });
    const invitation = await testApp.db.staffInvitation.create({
      data: { inviteeId: invitee.id, invitedById: author.id, status: "PENDING_APPROVAL" },
    });
    const otherServerAdmin = await staffBrowser("SERVER_ADMIN");
    assert.equal(
      (await otherServerAdmin.post(`/staff/invitations/${invitation.id}/decision`, { decision: "approve" }))
        .status,
      403,
    );
    const superadmin = await staffBrowser("SUPERADMIN");
    assert.equal(
      (await superadmin.post(`/staff/invitations/${invitation.id}/decision`, { decision: "approve" })).status,
      303,
    );
  });

  test("rejecting closes the invitation and disables the account, which is kept", async () => {
    const author = await staffBrowser("SERVER_ADMIN");
    await invite(author, { name: "Rex Rejected", email: "rex@example.org", role: "VETTING_AGENT" });
    const invitation = await testApp.db.staffInvitation.findFirstOrThrow();
    const decider = await staffBrowser("SUPERADMIN");
    const response = await decider.post(`/staff/invitations/${invitation.id}/decision`, {
      decision: "reject",
      note: "Not part of the team.",
    });
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), `/staff/invitations/${invitation.id}?done=rejected`);
    const after = await testApp.db.staffInvitation.findFirstOrThrow({ include: { invitee: true } });
    assert.equal(after.status, "REJECTED");
    assert.equal(after.invitee.status, "DISABLED");
    assert.ok(after.invitee.disabledAt);
    assert.equal(await testApp.db.outboxMessage.count(), 0);
    const audit = await auditActions(after.inviteeId);
    assert.deepEqual(audit.at(-1), {
      action: "staff.invitation_rejected",
      actorId: decider.id,
      details: { invitationId: invitation.id, note: "Not part of the team." },
    });
  });

  test("a person whose invitation was rejected can be invited again: the account is reopened", async () => {
    const author = await staffBrowser("SERVER_ADMIN");
    await invite(author, { name: "Rex Rejected", email: "rex@example.org", role: "VETTING_AGENT" });
    const first = await testApp.db.staffInvitation.findFirstOrThrow();
    const superadmin = await staffBrowser("SUPERADMIN");
    await superadmin.post(`/staff/invitations/${first.id}/decision`, {
      decision: "reject",
      note: "Not yet.",
    });

    await invite(superadmin, { name: "Rex Returned", email: "rex@example.org", role: "INVITING_ADMIN" });
    assert.equal(
      await testApp.db.staffUser.count({ where: { email: "rex@example.org" } }),
      1,
      "the same account",
    );
    const reopened = await testApp.db.staffInvitation.findFirstOrThrow({ include: { invitee: true } });
    assert.equal(reopened.id, first.id);
    assert.deepEqual(
      [
        reopened.status,
        reopened.invitedById,
        reopened.decidedById,
        reopened.invitee.status,
        reopened.invitee.role,
      ],
      ["SENT", superadmin.id, null, "INVITED", "INVITING_ADMIN"],
    );
    assert.equal(reopened.invitee.name, "Rex Returned");
    assert.equal(
      await testApp.db.outboxMessage.count({
        where: { recipient: "rex@example.org", kind: "staff_invitation" },
      }),
      1,
    );
    const audit = await auditActions(reopened.inviteeId);
    assert.deepEqual(
      audit.map((event) => event.action),
      ["staff.invited", "staff.invitation_rejected", "staff.invited"],
      "the history stays in the audit log",
    );

    // An active person's address is still refused.
    const active = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
    const refused = await invite(superadmin, { name: "Someone", email: active.email, role: "VETTING_AGENT" });
    assert.equal(refused.status, 422);
  });

  test("two admins deciding at once: exactly one decision, the other sees a conflict", async () => {
    const author = await staffBrowser("SERVER_ADMIN");
    await invite(author, { name: "Cora Contested", email: "cora@example.org", role: "VETTING_AGENT" });
    const invitation = await testApp.db.staffInvitation.findFirstOrThrow();
    const first = await staffBrowser("SERVER_ADMIN");
    const second = await staffBrowser("SUPERADMIN");
    const responses = await Promise.all([
      first.post(`/staff/invitations/${invitation.id}/decision`, { decision: "approve" }),
      second.post(`/staff/invitations/${invitation.id}/decision`, { decision: "reject" }),
    ]);
    const statuses = responses.map((response) => response.status).sort();
    assert.deepEqual(statuses, [303, 409]);
    const loser = responses.find((response) => response.status === 409);
    assert.match((await loser?.text()) ?? "", /already been decided by someone else/);
    const decisions = await testApp.db.auditEvent.count({
      where: { action: { in: ["staff.invitation_approved", "staff.invitation_rejected"] } },
    });
    assert.equal(decisions, 1);
    const after = await testApp.db.staffInvitation.findFirstOrThrow();
    assert.equal(await testApp.db.outboxMessage.count(), after.status === "SENT" ? 1 : 0);
  });

  test("resend and revoke are refused to those who may not invite that role", async () => {
    const superadmin = await staffBrowser("SUPERADMIN");
    await invite(superadmin, { name: "Sam Server", email: "sam@example.org", role: "SERVER_ADMIN" });
    const invitation = await testApp.db.staffInvitation.findFirstOrThrow();
    const serverAdmin = await staffBrowser("SERVER_ADMIN");
    assert.equal((await serverAdmin.post(`/staff/invitations/${invitation.id}/resend`)).status, 403);
    assert.equal((await serverAdmin.post(`/staff/invitations/${invitation.id}/revoke`)).status, 403);
    assert.equal((await testApp.db.staffInvitation.findFirstOrThrow()).status, "SENT");
    assert.equal((await serverAdmin.get("/staff/invitations/not-a-uuid")).status, 404);
  });
});
