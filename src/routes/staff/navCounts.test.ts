// The staff navigation's counts of what waits for the signed-in person: each one read from rows the
// test wrote, for an agent and for admins, with the four-eyes exclusions and the count in the link's
// accessible name.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import type { Prisma } from "../../generated/prisma/client.js";
import { startTestApp, type TestApp } from "../../test/app.js";
import { createStaffMember, signedInCookie, type TestStaffMember } from "../../test/staff.js";

let testApp: TestApp;
let agent: TestStaffMember;
let inviting: TestStaffMember;
let server: TestStaffMember;
let otherServer: TestStaffMember;

before(async () => {
  testApp = await startTestApp();
  const create = (role: TestStaffMember["role"], name: string) =>
    createStaffMember(testApp.db, testApp.config, { role, name });
  agent = await create("VETTING_AGENT", "Alex Agent");
  inviting = await create("INVITING_ADMIN", "Ivy Inviting");
  server = await create("SERVER_ADMIN", "Sam Server");
  otherServer = await create("SERVER_ADMIN", "Sol Server");
  await testApp.db.staffUser.update({ where: { id: inviting.id }, data: { phone: "+441234567890" } });

  let number = 0;
  const newCase = async (fields: Partial<Prisma.VettingCaseUncheckedCreateInput>) => {
    number += 1;
    const row = await testApp.db.vettingCase.create({
      data: {
        origin: "APPLICANT",
        fullName: `Applicant ${number}`,
        email: `applicant${number}@example.org`,
        statement: "I would like to join.",
        submittedAt: new Date(),
        lastSubmittedAt: new Date(),
        ...fields,
      },
      select: { id: true },
    });
    return row.id;
  };

  // The agent's open cases: two open, and neither a decided, a withdrawn nor an erased one counts.
  await newCase({ state: "IN_REVIEW", assignedToId: agent.id });
  await newCase({ state: "MORE_INFORMATION_REQUESTED", assignedToId: agent.id });
  await newCase({ state: "APPROVED", assignedToId: agent.id, decidedAt: new Date() });
  await newCase({ state: "WITHDRAWN", assignedToId: agent.id });
  await newCase({ state: "IN_REVIEW", assignedToId: agent.id, erasedAt: new Date() });
  // Only one other case is in review; the inviting admin is too close to every other one below.
  await newCase({ state: "SUBMITTED" });
  await newCase({ state: "IN_REVIEW", createdById: inviting.id, origin: "STAFF" });
  const vetted = await newCase({ state: "IN_REVIEW" });
  await testApp.db.vettingRecord.create({
    data: {
      caseId: vetted,
      agentId: inviting.id,
      identityVerified: true,
      method: "VIDEO_CALL",
      verifiedOn: new Date(),
      place: "Online",
      notes: "Seen.",
      score: 4,
      recommendation: "APPROVE",
    },
  });
  const uploaded = await newCase({ state: "IN_REVIEW" });
  await testApp.db.evidenceFile.create({
    data: {
      caseId: uploaded,
      storageKey: randomUUID(),
      displayName: "passport.pdf",
      mediaType: "application/pdf",
      sizeBytes: 1,
      sha256: "0".repeat(64),
      uploaderKind: "STAFF",
      uploadedById: inviting.id,
    },
  });
  const conflicted = await newCase({ state: "IN_REVIEW" });
  await testApp.db.caseConflict.create({
    data: { caseId: conflicted, staffUserId: inviting.id, declaredById: inviting.id, reason: "A friend." },
  });
  await newCase({ state: "IN_REVIEW", email: inviting.email.toUpperCase() });
  await newCase({ state: "IN_REVIEW", phone: "+441234567890" });

  // Waiting for a second admin: a raise to inviting admin and an invitation, both asked by Sam, and
  // a registration-token request by Ivy.
  await testApp.db.staffRoleChange.create({
    data: {
      staffUserId: agent.id,
      fromRole: "VETTING_AGENT",
      toRole: "INVITING_ADMIN",
      requestedById: server.id,
    },
  });
  const invitee = await testApp.db.staffUser.create({
    data: { name: "Nia Newcomer", email: "nia@example.org", role: "VETTING_AGENT", status: "INVITED" },
    select: { id: true },
  });
  await testApp.db.staffInvitation.create({
    data: { inviteeId: invitee.id, invitedById: server.id, status: "PENDING_APPROVAL" },
  });
  await testApp.db.registrationTokenRequest.create({
    data: { personName: "Pat Person", personEmail: "pat@example.org", requestedById: inviting.id },
  });
});
after(() => testApp.close());

/** The staff navigation's links as their accessible names (text with the hidden words), by address. */
async function navLinks(member: TestStaffMember): Promise<Map<string, string>> {
  const cookie = await signedInCookie(testApp.db, testApp.config, member.id);
  const response = await fetch(`${testApp.baseUrl}/staff/profile`, { headers: { cookie } });
  assert.equal(response.status, 200);
  const nav =
    /<nav class="site-nav" aria-label="Main">([\s\S]*?)<\/nav>/.exec(await response.text())?.[1] ?? "";
  return new Map(
    [...nav.matchAll(/<a href="([^"]+)"[^>]*>([\s\S]*?)<\/a>/g)].map((link) => [
      (link[1] ?? "").replaceAll("&amp;", "&"),
      (link[2] ?? "")
        .replace(/<[^>]+>/g, "")
        .replace(/\s+/g, " ")
        .trim(),
    ]),
  );
}

describe("the staff navigation's counts", () => {
  test("an agent sees their open assigned cases, and nothing to decide or approve", async () => {
    const links = await navLinks(agent);
    assert.equal(links.get("/staff/cases?tab=assigned"), "My cases, 2 open");
    assert.equal(links.has("/staff/cases?tab=in_review"), false);
    assert.equal(links.has("/staff/invitations"), false);
    assert.equal(links.has("/staff/registration-tokens"), false);
    assert.equal(links.has("/staff/statistics"), false);
  });

  test("counting stops at 100: more open cases than that read as 99+", async () => {
    const busy = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
    const held = (count: number, offset: number) =>
      testApp.db.vettingCase.createMany({
        data: Array.from({ length: count }, (_, index) => ({
          origin: "APPLICANT" as const,
          state: "IN_REVIEW" as const,
          fullName: `Busy ${offset + index}`,
          email: `busy${offset + index}@example.org`,
          statement: "I would like to join.",
          assignedToId: busy.id,
        })),
      });
    await held(99, 0);
    assert.equal((await navLinks(busy)).get("/staff/cases?tab=assigned"), "My cases, 99 open");
    await held(2, 99);
    assert.equal((await navLinks(busy)).get("/staff/cases?tab=assigned"), "My cases, 99+ open");
    await testApp.db.vettingCase.deleteMany({ where: { assignedToId: busy.id } });
  });

  test("an inviting admin sees the cases in review they may decide (four eyes) and others' token requests", async () => {
    const links = await navLinks(inviting);
    assert.equal(links.get("/staff/cases?tab=assigned"), "My cases, 0 open");
    // Seven cases in review: one not erased and not too close to Ivy; the others she opened, vetted,
    // uploaded to, has a conflict on, or shares the email or the phone of.
    assert.equal(links.get("/staff/cases?tab=in_review"), "To decide, 1 waiting for your decision");
    // Her own token request is not hers to approve, and role changes are a server admin's.
    assert.equal(links.has("/staff/registration-tokens"), false);
    assert.equal(links.has("/staff/invitations"), false);
    assert.equal(links.get("/staff/statistics"), "Statistics");
  });

  test("a server admin sees the approvals another admin asked for, never their own", async () => {
    const other = await navLinks(otherServer);
    assert.equal(other.get("/staff/invitations"), "Approvals, 2 waiting for your approval");
    assert.equal(other.get("/staff/registration-tokens"), "Token requests, 1 waiting for your approval");
    assert.equal(other.get("/staff/cases?tab=in_review"), "To decide, 7 waiting for your decision");

    const requester = await navLinks(server);
    assert.equal(requester.has("/staff/invitations"), false);
    assert.equal(requester.get("/staff/registration-tokens"), "Token requests, 1 waiting for your approval");
  });
});
