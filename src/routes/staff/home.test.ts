import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestApp, type TestApp } from "../../test/app.js";
import { createStaffMember, signedInCookie } from "../../test/staff.js";

let testApp: TestApp;
before(async () => {
  testApp = await startTestApp();
});
after(() => testApp.close());

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
