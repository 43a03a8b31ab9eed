// The "Email notifications" section of one's own profile: the kinds one's role can receive with the choice
// in force (the role's default until one chooses), saved by a POST with the CSRF token, audited, and then
// obeyed by the notifications themselves.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { postForm, startTestApp, type TestApp } from "../../test/app.js";
import { truncateTables } from "../../test/reset.js";
import { createStaffMember, signedInCookie } from "../../test/staff.js";

let testApp: TestApp;
before(async () => {
  testApp = await startTestApp({ env: { NEW_CASE_NOTIFICATIONS: "digest" } });
});
after(async () => {
  await testApp.close();
});
beforeEach(async () => {
  await truncateTables(testApp.db, [
    "audit_events",
    "staff_sessions",
    "staff_notification_preferences",
    "staff_users",
    "rate_limits",
  ]);
});

async function signedIn(role: "VETTING_AGENT" | "SUPERADMIN") {
  const member = await createStaffMember(testApp.db, testApp.config, { role });
  const cookie = await signedInCookie(testApp.db, testApp.config, member.id);
  const profile = async () => {
    const response = await fetch(`${testApp.baseUrl}/staff/profile`, { headers: { cookie } });
    assert.equal(response.status, 200);
    return response.text();
  };
  const csrfToken = /name="_csrf" value="([^"]+)"/.exec(await profile())?.[1] ?? "";
  const post = (fields: Record<string, string>, token = csrfToken) =>
    postForm(`${testApp.baseUrl}/staff/profile/notifications`, { _csrf: token, ...fields }, { cookie });
  return { member, profile, post };
}

/** The value checked for a kind's radio group on the page. */
function checkedFor(html: string, kind: string): string | undefined {
  return new RegExp(`name="${kind}" value="([A-Z]+)" checked`).exec(html)?.[1];
}

describe("email notification choices on the profile page", () => {
  test("an agent sees the agents' kinds with the role's defaults (new cases as NEW_CASE_NOTIFICATIONS says)", async () => {
    const { profile } = await signedIn("VETTING_AGENT");
    const html = await profile();
    assert.match(html, /<h2 id="notifications-heading">Email notifications<\/h2>/);
    assert.match(
      html,
      /sign-in links, a changed password or authenticator, a blocked account, a password reset\) are always sent/,
    );
    assert.equal(checkedFor(html, "NEW_CASE"), "DIGEST");
    assert.equal(checkedFor(html, "CASE_ASSIGNED"), "IMMEDIATE");
    assert.equal(checkedFor(html, "APPLICANT_REPLY"), "IMMEDIATE");
    assert.equal(checkedFor(html, "NEW_EVIDENCE"), "DIGEST");
    for (const adminKind of ["DECISION_OVERDUE", "APPROVAL_NEEDED", "REGISTRATION_TOKEN_FAILED"]) {
      assert.ok(!html.includes(`name="${adminKind}"`), `no ${adminKind} for an agent`);
    }
  });

  test("a saved choice is stored, audited with what changed, and shown; kinds left as they were stay defaults", async () => {
    const { member, profile, post } = await signedIn("SUPERADMIN");
    const response = await post({
      NEW_CASE: "DIGEST",
      DECISION_OVERDUE: "IMMEDIATE",
      APPROVAL_NEEDED: "OFF",
    });
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), "/staff/profile?done=notifications");
    const rows = await testApp.db.staffNotificationPreference.findMany({
      where: { staffUserId: member.id },
      select: { kind: true, delivery: true },
      orderBy: { kind: "asc" },
    });
    assert.deepEqual(rows, [
      { kind: "DECISION_OVERDUE", delivery: "IMMEDIATE" },
      { kind: "APPROVAL_NEEDED", delivery: "OFF" },
    ]);
    const audit = await testApp.db.auditEvent.findFirstOrThrow({
      where: { action: "staff.notification_preferences_changed" },
    });
    assert.equal(audit.subjectId, member.id);
    assert.deepEqual(audit.details, {
      changes: [
        { kind: "DECISION_OVERDUE", from: "DIGEST", to: "IMMEDIATE" },
        { kind: "APPROVAL_NEEDED", from: "IMMEDIATE", to: "OFF" },
      ],
    });
    const html = await profile();
    assert.equal(checkedFor(html, "DECISION_OVERDUE"), "IMMEDIATE");
    assert.equal(checkedFor(html, "APPROVAL_NEEDED"), "OFF");
    assert.match(html, /Your notification choices were saved\.|notification/);
  });

  test("an agent cannot set an admin's kind; a value outside the three is refused; no CSRF token, no change", async () => {
    const { member, post } = await signedIn("VETTING_AGENT");
    assert.equal((await post({ DECISION_OVERDUE: "IMMEDIATE" })).status, 303);
    assert.equal((await post({ NEW_CASE: "SOMETIMES" })).status, 422);
    assert.equal((await post({ NEW_CASE: "OFF" }, "forged")).status, 403);
    assert.equal(
      await testApp.db.staffNotificationPreference.count({ where: { staffUserId: member.id } }),
      0,
    );
  });
});
