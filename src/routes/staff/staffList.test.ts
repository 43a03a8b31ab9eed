// The staff list and the account actions: who sees what, who may do what, and the audit trail.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import type { StaffRole } from "../../generated/prisma/client.js";
import { postForm, startTestApp, type TestApp } from "../../test/app.js";
import { truncateTables } from "../../test/reset.js";
import { createStaffMember, signedInCookie, signedInStaffBrowser } from "../../test/staff.js";

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
    "recovery_codes",
    "staff_invitations",
    "staff_role_changes",
    "staff_users",
    "graphile_worker._private_jobs",
  ]);
});

const staffBrowser = (role: StaffRole, name?: string) => signedInStaffBrowser(testApp, role, name);

/** Someone with two open sessions, to see them end. */
async function memberWithSessions(role: StaffRole) {
  const member = await createStaffMember(testApp.db, testApp.config, { role, name: `Target ${role}` });
  await signedInCookie(testApp.db, testApp.config, member.id);
  await signedInCookie(testApp.db, testApp.config, member.id);
  return member;
}

const sessionsOf = (staffUserId: string) => testApp.db.staffSession.count({ where: { staffUserId } });
const lastAudit = (subjectId: string) =>
  testApp.db.auditEvent.findFirst({ where: { subjectId }, orderBy: { id: "desc" } });

describe("the staff list", () => {
  test("is for server admins and up, and shows status, last sign-in and two-step state", async () => {
    for (const role of ["VETTING_AGENT", "INVITING_ADMIN"] as const) {
      const browser = await staffBrowser(role);
      assert.equal((await browser.get("/staff/people")).status, 403, role);
      assert.equal((await browser.get(`/staff/people/${browser.id}`)).status, 403, role);
    }
    await testApp.db.staffUser.create({
      data: { name: "Ivy Invited", email: "ivy@example.org", role: "VETTING_AGENT", status: "INVITED" },
    });
    await testApp.db.staffUser.create({
      data: {
        name: "Pia Pending",
        email: "pia@example.org",
        role: "VETTING_AGENT",
        status: "PENDING_APPROVAL",
      },
    });
    const admin = await staffBrowser("SERVER_ADMIN", "Sam Server");
    await testApp.db.staffUser.update({
      where: { id: admin.id },
      data: { lastSignInAt: new Date("2026-11-20T09:30:00Z") },
    });
    const response = await admin.get("/staff/people");
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("cache-control"), "no-store");
    const html = await response.text();
    assert.match(
      html,
      /Ivy Invited[\s\S]*ivy@example.org[\s\S]*Vetting agent[\s\S]*Invited[\s\S]*Never[\s\S]*Not set up/,
    );
    assert.match(html, /Pending approval/);
    assert.match(
      html,
      /Sam Server<\/a> \(you\)[\s\S]*Active[\s\S]*20 Nov 2026, 09:30 UTC[\s\S]*<td>On<\/td>/,
    );
    assert.equal((await admin.get("/staff/people/00000000-0000-4000-8000-000000000000")).status, 404);
  });
});

describe("account actions", () => {
  test("lowering a role applies at once, ends the person's sessions and is audited; beyond one's authority it is refused", async () => {
    const admin = await staffBrowser("SERVER_ADMIN");
    const invitingAdmin = await memberWithSessions("INVITING_ADMIN");
    const page = await (await admin.get(`/staff/people/${invitingAdmin.id}`)).text();
    assert.match(page, /Change role/);
    assert.match(page, /Raising it to inviting admin or above[^<]*waits until a second admin approves it/);
    assert.doesNotMatch(page, /<option value="SERVER_ADMIN"/, "only roles within the admin's authority");

    const response = await admin.post(`/staff/people/${invitingAdmin.id}/role`, { role: "VETTING_AGENT" });
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), `/staff/people/${invitingAdmin.id}?done=role`);
    assert.equal(
      (await testApp.db.staffUser.findUniqueOrThrow({ where: { id: invitingAdmin.id } })).role,
      "VETTING_AGENT",
    );
    assert.equal(await sessionsOf(invitingAdmin.id), 0);
    const audit = await lastAudit(invitingAdmin.id);
    assert.equal(audit?.action, "staff.role_changed");
    assert.equal(audit?.actorId, admin.id);
    assert.deepEqual(audit?.details, { from: "INVITING_ADMIN", to: "VETTING_AGENT", endedSessions: 2 });
    assert.equal(await testApp.db.staffRoleChange.count(), 0, "a lowering asks nobody");

    const agent = await memberWithSessions("VETTING_AGENT");
    assert.equal((await admin.post(`/staff/people/${agent.id}/role`, { role: "SERVER_ADMIN" })).status, 403);
    const otherAdmin = await memberWithSessions("SERVER_ADMIN");
    assert.equal(
      (await admin.post(`/staff/people/${otherAdmin.id}/role`, { role: "VETTING_AGENT" })).status,
      403,
    );
    assert.equal(
      (await admin.post(`/staff/people/${admin.id}/role`, { role: "VETTING_AGENT" })).status,
      403,
      "not oneself",
    );
    assert.equal(await sessionsOf(otherAdmin.id), 2);
    assert.equal(await testApp.db.staffRoleChange.count(), 0, "a refused change leaves no request");
  });

  test("disabling ends the sessions at once; enabling restores access; both are audited", async () => {
    const admin = await staffBrowser("SERVER_ADMIN");
    const agent = await memberWithSessions("VETTING_AGENT");
    assert.equal((await admin.post(`/staff/people/${agent.id}/disable`)).status, 303);
    const disabled = await testApp.db.staffUser.findUniqueOrThrow({ where: { id: agent.id } });
    assert.equal(disabled.status, "DISABLED");
    assert.ok(disabled.disabledAt);
    assert.equal(await sessionsOf(agent.id), 0);
    assert.deepEqual((await lastAudit(agent.id))?.details, { previousStatus: "ACTIVE", endedSessions: 2 });

    const again = await admin.post(`/staff/people/${agent.id}/disable`);
    assert.equal(again.status, 409);
    assert.match(await again.text(), /already disabled/);

    assert.equal((await admin.post(`/staff/people/${agent.id}/enable`)).status, 303);
    assert.equal(
      (await testApp.db.staffUser.findUniqueOrThrow({ where: { id: agent.id } })).status,
      "ACTIVE",
    );
    assert.equal((await lastAudit(agent.id))?.action, "staff.enabled");
    assert.equal(await testApp.db.staffUser.count(), 2, "nothing is ever deleted");
  });

  test("an account that never finished setting up cannot be enabled", async () => {
    const admin = await staffBrowser("SUPERADMIN");
    const never = await testApp.db.staffUser.create({
      data: { name: "Nell Never", email: "nell@example.org", role: "VETTING_AGENT", status: "DISABLED" },
    });
    assert.doesNotMatch(await (await admin.get(`/staff/people/${never.id}`)).text(), /Enable the account/);
    const response = await admin.post(`/staff/people/${never.id}/enable`);
    assert.equal(response.status, 409);
    assert.match(await response.text(), /never finished setting up/);
  });

  test("disabling and enabling beyond one's authority, or oneself, is refused", async () => {
    const admin = await staffBrowser("SERVER_ADMIN");
    const superadmin = await memberWithSessions("SUPERADMIN");
    assert.equal((await admin.post(`/staff/people/${superadmin.id}/disable`)).status, 403);
    assert.equal((await admin.post(`/staff/people/${admin.id}/disable`)).status, 403);
    assert.equal(await sessionsOf(superadmin.id), 2);
    assert.doesNotMatch(
      await (await admin.get(`/staff/people/${superadmin.id}`)).text(),
      /Disable the account/,
    );
  });

  test("a superadmin resets two-step sign-in: secrets cleared, sessions ended, a new invitation emailed", async () => {
    const superadmin = await staffBrowser("SUPERADMIN", "Sue Super");
    const agent = await memberWithSessions("VETTING_AGENT");
    await testApp.db.recoveryCode.createMany({
      data: [
        { staffUserId: agent.id, codeHash: "x" },
        { staffUserId: agent.id, codeHash: "y" },
      ],
    });
    const serverAdmin = await staffBrowser("SERVER_ADMIN");
    assert.doesNotMatch(await (await serverAdmin.get(`/staff/people/${agent.id}`)).text(), /Reset two-step/);
    assert.equal((await serverAdmin.post(`/staff/people/${agent.id}/reset-second-factor`)).status, 403);
    assert.equal(await sessionsOf(agent.id), 2);

    const response = await superadmin.post(`/staff/people/${agent.id}/reset-second-factor`);
    assert.equal(response.status, 303);
    const after = await testApp.db.staffUser.findUniqueOrThrow({
      where: { id: agent.id },
      include: { invitation: true },
    });
    assert.equal(after.status, "INVITED");
    assert.equal(after.totpSecretSealed, null);
    assert.equal(after.totpEnabledAt, null);
    assert.equal(after.passwordHash, null);
    assert.equal(after.invitation?.status, "SENT");
    assert.equal(await testApp.db.recoveryCode.count({ where: { staffUserId: agent.id } }), 0);
    assert.equal(await sessionsOf(agent.id), 0);
    const outbox = await testApp.db.outboxMessage.findMany();
    assert.equal(outbox.length, 2);
    const told = outbox.find((message) => message.kind === "credentials_changed");
    const mail = outbox.find((message) => message.kind === "staff_invitation");
    // Told apart from the setup link, in case they did not ask for the reset.
    assert.ok(told);
    assert.equal(told.recipient, agent.email);
    const { changedAt, ...payload } = told.payload as Record<string, unknown>;
    assert.deepEqual(payload, {
      staffName: agent.name,
      change: "second_factor_reset",
      changedBy: "Sue Super",
    });
    assert.ok(Math.abs(new Date(String(changedAt)).getTime() - Date.now()) < 60_000);
    assert.equal(mail?.kind, "staff_invitation");
    assert.equal(mail?.recipient, agent.email);
    assert.equal(mail?.linkSubjectId, after.invitation?.id);
    assert.deepEqual(mail?.payload, {
      inviteeName: agent.name,
      inviterName: "Sue Super",
      roleLabel: "Vetting agent",
    });
    const audit = await lastAudit(agent.id);
    assert.equal(audit?.action, "staff.totp_reset");
    assert.equal(audit?.actorId, superadmin.id);
  });

  test("every action needs the form's CSRF token", async () => {
    const admin = await createStaffMember(testApp.db, testApp.config, { role: "SUPERADMIN" });
    const agent = await memberWithSessions("VETTING_AGENT");
    const cookie = await signedInCookie(testApp.db, testApp.config, admin.id);
    for (const action of ["role", "disable", "enable", "reset-second-factor"]) {
      const response = await postForm(
        `${testApp.baseUrl}/staff/people/${agent.id}/${action}`,
        { role: "VETTING_AGENT" },
        { cookie },
      );
      assert.equal(response.status, 403, action);
    }
    assert.equal(await sessionsOf(agent.id), 2);
  });
});
