// Step-up before sensitive actions, through the real app, real Postgres and the fake Synapse over real
// HTTP. For every sensitive action: a session whose last second factor is older than STEP_UP_MINUTES
// gets the step-up page and nothing happens (no row, no audit row, no email); a wrong code shows the
// page again and changes nothing but the failure count; the right code in the same POST lets the
// action happen; a fresh session acts at once. Then the form's round trip (the action after the code
// is the one asked for), recovery codes, replayed codes, the sign-in limits, accounts without an
// authenticator, and GETs, which are never guarded.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { requestRegistrationToken } from "../commands/registrationTokens/requestRegistrationToken.js";
import { formatCaseNumber } from "../domain/caseNumber.js";
import { hashRecoveryCode } from "../domain/recoveryCodes.js";
import { totpCodeAt, totpStep } from "../domain/totp.js";
import { issueRegistrationToken } from "../jobs/issueRegistrationToken.js";
import { createSynapseAdmin } from "../matrix/synapseAdmin.js";
import { SIGN_IN_LIMITS } from "../security/signInLimits.js";
import { startTestApp, type TestApp } from "../test/app.js";
import { type FakeSynapse, startFakeSynapse } from "../test/fakeSynapse.js";
import { truncateTables } from "../test/reset.js";
import {
  ageSecondFactor,
  createStaffMember,
  type SignedInStaffBrowser,
  signedInStaffBrowser,
} from "../test/staff.js";
import { STEP_UP_FAILED_MESSAGE } from "./requireRecentSecondFactor.js";

let testApp: TestApp;
let synapse: FakeSynapse;
before(async () => {
  synapse = await startFakeSynapse();
  testApp = await startTestApp({ env: { ...synapse.environment(), MATRIX_REQUEST_TIMEOUT_MS: "2000" } });
});
after(async () => {
  await testApp.close();
  await synapse.close();
});
beforeEach(async () => {
  await truncateTables(testApp.db, [
    "registration_token_requests",
    "registration_tokens",
    "case_decisions",
    "vetting_records",
    "vetting_cases",
    "link_tokens",
    "outbox_messages",
    "audit_events",
    "staff_sessions",
    "recovery_codes",
    "staff_invitations",
    "staff_role_changes",
    "staff_users",
    "rate_limits",
    "graphile_worker._private_jobs",
  ]);
  synapse.reset();
});

/** STEP_UP_MINUTES is 10 by default: a second factor given 11 minutes ago is too old. */
const STALE_MINUTES = 11;
const codeNow = (browser: SignedInStaffBrowser) => totpCodeAt(browser.totpSecret, new Date());
const staleBrowser = async (role: Parameters<typeof signedInStaffBrowser>[1], name?: string) => {
  const browser = await signedInStaffBrowser(testApp, role, name);
  await ageSecondFactor(testApp.db, browser.id, STALE_MINUTES);
  return browser;
};

/** What a sensitive action leaves behind, so a test can say nothing was written. */
async function traces() {
  return {
    audit: (await testApp.db.auditEvent.findMany({ orderBy: { id: "asc" } })).map((row) => ({
      action: row.action,
      details: row.details,
    })),
    outbox: await testApp.db.outboxMessage.count(),
    jobs: Number(
      (
        await testApp.db.$queryRaw<{ count: bigint }[]>`
          SELECT count(*) FROM graphile_worker._private_jobs`
      )[0]?.count ?? 0,
    ),
  };
}

async function inReviewCase(vettedById: string) {
  const submittedAt = new Date(Date.now() - 2 * 24 * 3_600_000);
  const row = await testApp.db.vettingCase.create({
    data: {
      state: "IN_REVIEW",
      origin: "APPLICANT",
      fullName: "Ada Applicant",
      email: "ada@example.org",
      statement: "I would like to join.",
      emailConfirmedAt: submittedAt,
      submittedAt,
      lastSubmittedAt: submittedAt,
    },
    select: { id: true, number: true },
  });
  await testApp.db.vettingRecord.create({
    data: {
      caseId: row.id,
      agentId: vettedById,
      identityVerified: true,
      method: "VIDEO_CALL",
      verifiedOn: new Date("2025-03-01"),
      place: "Video call",
      notes: "Checked an identity document.",
      score: 4,
      recommendation: "APPROVE",
    },
  });
  return { id: row.id, number: formatCaseNumber(row.number) };
}

async function createdRegistrationToken(createdById: string): Promise<string> {
  const { registrationTokenId } = await testApp.db.$transaction((tx) =>
    requestRegistrationToken(tx, testApp.config, {
      caseId: null,
      personName: "Tess Token",
      personEmail: "tess@example.org",
      createdById,
      audit: { staffUserId: createdById, label: "setup" },
    }),
  );
  const matrix = testApp.config.matrix ?? assert.fail("matrix is configured");
  const outcome = await issueRegistrationToken(
    { config: testApp.config, db: testApp.db, logger: testApp.logger, synapse: createSynapseAdmin(matrix) },
    registrationTokenId,
  );
  assert.equal(outcome, "created");
  // The token's own rows (created, audited) are the setup, not the action under test.
  await truncateTables(testApp.db, ["audit_events", "graphile_worker._private_jobs"]);
  return registrationTokenId;
}

interface PreparedAction {
  path: string;
  fields: Record<string, string>;
  /** What the action answers when it runs. */
  doneStatus: number;
  /** Whether the action's effect is there. */
  happened(): Promise<boolean>;
}

/**
 * Every action that asks for a fresh second factor (and enabling an account): `prepare` makes what it acts on,
 * signed in as `actor` (whose session the test makes fresh or stale).
 */
const SENSITIVE_ACTIONS: {
  name: string;
  role: Parameters<typeof signedInStaffBrowser>[1];
  prepare(actor: SignedInStaffBrowser): Promise<PreparedAction>;
}[] = [
  {
    name: "deciding a case",
    role: "SUPERADMIN",
    async prepare() {
      const agent = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
      const vettingCase = await inReviewCase(agent.id);
      return {
        path: `/staff/cases/${vettingCase.id}/decision`,
        fields: { decision: "reject", reason: "We could not verify who you are.", shareReason: "yes" },
        doneStatus: 303,
        happened: async () =>
          (await testApp.db.caseDecision.count({ where: { caseId: vettingCase.id } })) > 0,
      };
    },
  },
  {
    name: "exporting a case",
    role: "SUPERADMIN",
    async prepare() {
      const agent = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
      const vettingCase = await inReviewCase(agent.id);
      return {
        path: `/staff/cases/${vettingCase.id}/export`,
        fields: {},
        doneStatus: 200,
        happened: async () => (await testApp.db.auditEvent.count({ where: { action: "case.exported" } })) > 0,
      };
    },
  },
  {
    name: "erasing a case",
    role: "SUPERADMIN",
    async prepare() {
      const agent = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
      const vettingCase = await inReviewCase(agent.id);
      return {
        path: `/staff/cases/${vettingCase.id}/erase`,
        fields: { caseNumber: vettingCase.number },
        doneStatus: 303,
        happened: async () =>
          (await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: vettingCase.id } })).erasedAt !==
          null,
      };
    },
  },
  {
    name: "exporting the audit log",
    role: "SERVER_ADMIN",
    async prepare() {
      return {
        path: "/staff/audit.csv",
        fields: { action: "staff.signed_in" },
        doneStatus: 200,
        happened: async () =>
          (await testApp.db.auditEvent.count({ where: { action: "audit.exported" } })) > 0,
      };
    },
  },
  {
    name: "changing a role",
    role: "SUPERADMIN",
    async prepare() {
      const admin = await createStaffMember(testApp.db, testApp.config, { role: "INVITING_ADMIN" });
      return {
        path: `/staff/people/${admin.id}/role`,
        fields: { role: "VETTING_AGENT" },
        doneStatus: 303,
        happened: async () =>
          (await testApp.db.staffUser.findUniqueOrThrow({ where: { id: admin.id } })).role ===
          "VETTING_AGENT",
      };
    },
  },
  {
    name: "disabling an account",
    role: "SERVER_ADMIN",
    async prepare() {
      const agent = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
      return {
        path: `/staff/people/${agent.id}/disable`,
        fields: {},
        doneStatus: 303,
        happened: async () =>
          (await testApp.db.staffUser.findUniqueOrThrow({ where: { id: agent.id } })).status === "DISABLED",
      };
    },
  },
  {
    name: "enabling an account",
    role: "SERVER_ADMIN",
    async prepare() {
      const agent = await createStaffMember(testApp.db, testApp.config, {
        role: "VETTING_AGENT",
        status: "DISABLED",
      });
      return {
        path: `/staff/people/${agent.id}/enable`,
        fields: {},
        doneStatus: 303,
        happened: async () =>
          (await testApp.db.staffUser.findUniqueOrThrow({ where: { id: agent.id } })).status === "ACTIVE",
      };
    },
  },
  {
    name: "resetting someone's second factor",
    role: "SUPERADMIN",
    async prepare() {
      const agent = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
      return {
        path: `/staff/people/${agent.id}/reset-second-factor`,
        fields: {},
        doneStatus: 303,
        happened: async () =>
          (await testApp.db.staffUser.findUniqueOrThrow({ where: { id: agent.id } })).status === "INVITED",
      };
    },
  },
  {
    name: "approving an invitation",
    role: "SUPERADMIN",
    async prepare() {
      const author = await createStaffMember(testApp.db, testApp.config, { role: "SERVER_ADMIN" });
      const invitee = await testApp.db.staffUser.create({
        data: {
          name: "Ivy Invited",
          email: "ivy@example.org",
          role: "VETTING_AGENT",
          status: "PENDING_APPROVAL",
        },
      });
      const invitation = await testApp.db.staffInvitation.create({
        data: { inviteeId: invitee.id, invitedById: author.id, status: "PENDING_APPROVAL" },
      });
      return {
        path: `/staff/invitations/${invitation.id}/decision`,
        fields: { decision: "approve", note: "Welcome aboard." },
        doneStatus: 303,
        happened: async () =>
          (await testApp.db.staffInvitation.findUniqueOrThrow({ where: { id: invitation.id } })).status ===
          "SENT",
      };
    },
  },
  {
    name: "approving a role change",
    role: "SUPERADMIN",
    async prepare() {
      const agent = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
      // Asked for by another admin, whose fresh session acts at once.
      const requester = await signedInStaffBrowser(testApp, "SERVER_ADMIN");
      assert.equal(
        (await requester.post(`/staff/people/${agent.id}/role`, { role: "INVITING_ADMIN" })).status,
        303,
      );
      const change = await testApp.db.staffRoleChange.findFirstOrThrow({ where: { staffUserId: agent.id } });
      await truncateTables(testApp.db, ["audit_events", "outbox_messages", "graphile_worker._private_jobs"]);
      return {
        path: `/staff/role-changes/${change.id}/decision`,
        fields: { decision: "approve", note: "" },
        doneStatus: 303,
        happened: async () =>
          (await testApp.db.staffUser.findUniqueOrThrow({ where: { id: agent.id } })).role ===
          "INVITING_ADMIN",
      };
    },
  },
  {
    name: "asking for a registration token",
    role: "INVITING_ADMIN",
    async prepare() {
      return {
        path: "/staff/registration-tokens/new",
        fields: { name: "Grace Guest", email: "grace@example.org", note: "Speaker at the meetup." },
        doneStatus: 303,
        happened: async () => (await testApp.db.registrationTokenRequest.count()) > 0,
      };
    },
  },
  {
    name: "deciding a registration token request",
    role: "INVITING_ADMIN",
    async prepare() {
      const requester = await signedInStaffBrowser(testApp, "INVITING_ADMIN");
      const asked = await requester.post("/staff/registration-tokens/new", {
        name: "Grace Guest",
        email: "grace@example.org",
        note: "",
      });
      assert.equal(asked.status, 303);
      const request = await testApp.db.registrationTokenRequest.findFirstOrThrow();
      await truncateTables(testApp.db, ["audit_events", "outbox_messages", "graphile_worker._private_jobs"]);
      return {
        path: `/staff/registration-tokens/requests/${request.id}/decision`,
        fields: { decision: "approve", note: "Known to us." },
        doneStatus: 303,
        happened: async () =>
          (await testApp.db.registrationTokenRequest.findUniqueOrThrow({ where: { id: request.id } }))
            .status === "APPROVED",
      };
    },
  },
  {
    name: "revoking a registration token",
    role: "INVITING_ADMIN",
    async prepare(actor) {
      const tokenId = await createdRegistrationToken(actor.id);
      return {
        path: `/staff/registration-tokens/${tokenId}/revoke`,
        fields: {},
        doneStatus: 303,
        happened: async () =>
          (await testApp.db.registrationToken.findUniqueOrThrow({ where: { id: tokenId } })).state ===
          "REVOKED",
      };
    },
  },
  {
    name: "re-issuing a registration token",
    role: "INVITING_ADMIN",
    async prepare(actor) {
      const tokenId = await createdRegistrationToken(actor.id);
      return {
        path: `/staff/registration-tokens/${tokenId}/reissue`,
        fields: {},
        doneStatus: 303,
        happened: async () =>
          (await testApp.db.registrationToken.count({ where: { replacesId: tokenId } })) > 0,
      };
    },
  },
  {
    name: "making new recovery codes",
    role: "VETTING_AGENT",
    async prepare(actor) {
      return {
        path: "/staff/profile/recovery-codes",
        fields: {},
        doneStatus: 200,
        happened: async () => (await testApp.db.recoveryCode.count({ where: { staffUserId: actor.id } })) > 0,
      };
    },
  },
];

/** The hidden inputs of the step-up form, as a browser would send them again. */
function hiddenFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
    fields[decodeEntities(match[1] ?? "")] = decodeEntities(match[2] ?? "");
  }
  return fields;
}

function decodeEntities(text: string): string {
  return text
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&quot;", '"')
    .replaceAll("&#39;", "'")
    .replaceAll("&amp;", "&");
}

/** The step-up page's form: where it goes, and what it sends. */
function stepUpForm(html: string) {
  const form = /<form class="form" method="post" action="([^"]+)" novalidate>([\s\S]*?)<\/form>/.exec(html);
  assert.ok(form, "the step-up page holds a form");
  return { action: decodeEntities(form[1] ?? ""), fields: hiddenFields(form[2] ?? "") };
}

for (const sensitive of SENSITIVE_ACTIONS) {
  describe(sensitive.name, () => {
    test("a stale session gets the step-up page and nothing happens; a wrong code changes nothing", async () => {
      const actor = await staleBrowser(sensitive.role);
      const action = await sensitive.prepare(actor);
      const before = await traces();

      const asked = await actor.post(action.path, action.fields);
      assert.equal(asked.status, 403);
      const html = await asked.text();
      assert.match(html, /<h1>Confirm it is you<\/h1>/);
      assert.match(html, /enter a code from your authenticator app/);
      assert.match(html, /you last gave a code more than 10 minutes ago/);
      const form = stepUpForm(html);
      assert.equal(form.action, action.path, "the form goes back to the action");
      assert.deepEqual(form.fields, { _csrf: actor.csrfToken, ...action.fields });
      assert.match(html, /name="stepUpCode"[^>]*autocomplete="one-time-code"/);
      assert.equal(await action.happened(), false);
      assert.deepEqual(await traces(), before, "no row, no audit row, no email");

      const wrong = await actor.post(action.path, { ...action.fields, stepUpCode: "000000" });
      assert.equal(wrong.status, 403);
      const wrongHtml = await wrong.text();
      assert.ok(wrongHtml.includes(STEP_UP_FAILED_MESSAGE));
      assert.deepEqual(stepUpForm(wrongHtml).fields, form.fields, "the same form again");
      assert.equal(await action.happened(), false);
      const afterWrong = await traces();
      assert.deepEqual(afterWrong.audit, [
        ...before.audit,
        { action: "staff.sign_in_failed", details: { reason: "wrong_code", stage: "step_up" } },
      ]);
      assert.equal(afterWrong.outbox, before.outbox, "no email");
      const session = await testApp.db.staffSession.findFirstOrThrow({ where: { staffUserId: actor.id } });
      assert.ok((session.secondFactorAt?.getTime() ?? 0) < Date.now() - 10 * 60_000, "still stale");
    });

    test("the right code in the same POST lets the action happen", async () => {
      const actor = await staleBrowser(sensitive.role);
      const action = await sensitive.prepare(actor);
      const response = await actor.post(action.path, { ...action.fields, stepUpCode: codeNow(actor) });
      assert.equal(response.status, action.doneStatus, await response.clone().text());
      assert.equal(await action.happened(), true);
      const steppedUp = await testApp.db.auditEvent.findFirstOrThrow({
        where: { action: "staff.stepped_up" },
      });
      assert.equal(steppedUp.actorId, actor.id);
      assert.equal(steppedUp.subjectId, actor.id);
      assert.deepEqual((steppedUp.details as { method: string }).method, "totp");
      const session = await testApp.db.staffSession.findFirst({ where: { staffUserId: actor.id } });
      // Making recovery codes renews the session, which keeps its fresh second factor.
      assert.ok(session?.secondFactorAt && Date.now() - session.secondFactorAt.getTime() < 60_000);
    });

    test("a fresh session acts at once, without being asked", async () => {
      const actor = await signedInStaffBrowser(testApp, sensitive.role);
      const action = await sensitive.prepare(actor);
      const response = await actor.post(action.path, action.fields);
      assert.equal(response.status, action.doneStatus);
      assert.equal(await action.happened(), true);
      assert.equal(await testApp.db.auditEvent.count({ where: { action: "staff.stepped_up" } }), 0);
    });
  });
}

describe("the step-up form", () => {
  test("sends the original form again, so the decision made after the code is the one asked for", async () => {
    const admin = await staleBrowser("SUPERADMIN", "Sue Super");
    const agent = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
    const vettingCase = await inReviewCase(agent.id);
    const reason = `Tell us who referred you: "<b>Tom</b>" & 'Jerry'?\nAnd your Matrix ID, please.`;
    const asked = await admin.post(`/staff/cases/${vettingCase.id}/decision`, {
      decision: "request_more_information",
      reason,
    });
    assert.equal(asked.status, 403);
    const html = await asked.text();
    assert.match(html, /To decide this case, enter a code/);
    assert.ok(!html.includes("<b>Tom</b>"), "the typed text is escaped");
    const form = stepUpForm(html);
    assert.deepEqual(form.fields, {
      _csrf: admin.csrfToken,
      decision: "request_more_information",
      reason,
    });

    const { _csrf, ...fields } = form.fields;
    const done = await admin.post(form.action, { ...fields, stepUpCode: codeNow(admin) });
    assert.equal(done.status, 303);
    assert.equal(
      done.headers.get("location"),
      `/staff/cases/${vettingCase.id}?done=more_information_requested`,
    );
    const [decision] = await testApp.db.caseDecision.findMany({ where: { caseId: vettingCase.id } });
    assert.equal(decision?.kind, "REQUEST_MORE_INFORMATION");
    assert.equal(decision?.reason, reason);
    const row = await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: vettingCase.id } });
    assert.equal(row.state, "MORE_INFORMATION_REQUESTED");

    // Fresh now: the next sensitive action within STEP_UP_MINUTES is not asked again.
    const exported = await admin.post(`/staff/cases/${vettingCase.id}/export`);
    assert.equal(exported.status, 200);
    assert.deepEqual(
      (await testApp.db.auditEvent.findMany({ orderBy: { id: "asc" } })).map((event) => event.action),
      ["staff.stepped_up", "case.more_information_requested", "case.exported"],
    );
  });

  test("a code sent by a session that is still fresh is ignored, never passed to the action", async () => {
    const admin = await signedInStaffBrowser(testApp, "SUPERADMIN");
    const agent = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
    const vettingCase = await inReviewCase(agent.id);
    const response = await admin.post(`/staff/cases/${vettingCase.id}/decision`, {
      decision: "approve",
      stepUpCode: "not a code",
    });
    assert.equal(response.status, 303);
    assert.equal(await testApp.db.auditEvent.count({ where: { action: "staff.sign_in_failed" } }), 0);
  });

  test("GET pages are never guarded: the erase confirmation shows, nothing is asked", async () => {
    const admin = await staleBrowser("SUPERADMIN");
    const agent = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
    const vettingCase = await inReviewCase(agent.id);
    const response = await admin.get(`/staff/cases/${vettingCase.id}/erase`);
    assert.equal(response.status, 200);
    assert.doesNotMatch(await response.text(), /Confirm it is you/);
  });

  test("someone who may not take the action is refused after the code, and nothing happens", async () => {
    const agent = await staleBrowser("VETTING_AGENT");
    const vetter = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
    const vettingCase = await inReviewCase(vetter.id);
    const path = `/staff/cases/${vettingCase.id}/decision`;
    assert.match(await (await agent.post(path, { decision: "approve" })).text(), /Confirm it is you/);
    const refused = await agent.post(path, { decision: "approve", stepUpCode: codeNow(agent) });
    assert.equal(refused.status, 403);
    assert.match(await refused.text(), /Only admins decide cases\./);
    assert.equal(await testApp.db.caseDecision.count(), 0);
  });
});

describe("codes at a step-up", () => {
  test("a recovery code works once, is used up and audited", async () => {
    const agent = await staleBrowser("VETTING_AGENT", "Alan Agent");
    const key = testApp.config.staff.totpKey;
    await testApp.db.recoveryCode.createMany({
      data: ["abcde-fghjk", "mnpqr-stvwx"].map((code) => ({
        staffUserId: agent.id,
        codeHash: hashRecoveryCode(key, code),
      })),
    });
    const response = await agent.post("/staff/profile/recovery-codes", { stepUpCode: "ABCDE FGHJK" });
    assert.equal(response.status, 200);
    const audit = await testApp.db.auditEvent.findMany({ orderBy: { id: "asc" } });
    assert.deepEqual(
      audit.map((event) => event.action),
      ["staff.recovery_code_used", "staff.stepped_up", "staff.recovery_codes_regenerated"],
    );
    assert.deepEqual(audit[0]?.details, { remaining: 1 });
    assert.equal((audit[1]?.details as { method?: string } | undefined)?.method, "recovery_code");
    const used = await testApp.db.recoveryCode.count({
      where: { staffUserId: agent.id, usedAt: { not: null } },
    });
    assert.equal(used, 0, "the old codes, the used one too, were replaced by ten new ones");

    // A code that was used already is refused, with the same message as a wrong one.
    const again = await staleBrowser("VETTING_AGENT");
    await testApp.db.recoveryCode.create({
      data: { staffUserId: again.id, codeHash: hashRecoveryCode(key, "abcde-fghjk"), usedAt: new Date() },
    });
    const reused = await again.post("/staff/profile/recovery-codes", { stepUpCode: "abcde-fghjk" });
    assert.equal(reused.status, 403);
    assert.ok((await reused.text()).includes(STEP_UP_FAILED_MESSAGE));
  });

  test("a TOTP code already accepted (at sign-in, or a step-up) is refused with the same message", async () => {
    const admin = await staleBrowser("SERVER_ADMIN");
    const agent = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
    await testApp.db.staffUser.update({
      where: { id: admin.id },
      data: { totpLastUsedStep: totpStep(new Date()) + 1n },
    });
    const response = await admin.post(`/staff/people/${agent.id}/disable`, { stepUpCode: codeNow(admin) });
    assert.equal(response.status, 403);
    assert.ok((await response.text()).includes(STEP_UP_FAILED_MESSAGE));
    assert.equal(
      (await testApp.db.staffUser.findUniqueOrThrow({ where: { id: agent.id } })).status,
      "ACTIVE",
    );
  });

  test("wrong codes count against the sign-in limits: past them even the right code is refused, and the owner is told", async () => {
    const admin = await staleBrowser("SERVER_ADMIN", "Sam Server");
    const agent = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
    const path = `/staff/people/${agent.id}/disable`;
    for (let attempt = 1; attempt <= SIGN_IN_LIMITS.consecutiveFailuresPerAccountAndIp; attempt += 1) {
      const response = await admin.post(path, { stepUpCode: String(100000 + attempt) });
      assert.equal(response.status, 403, `attempt ${attempt}`);
    }
    // One failure more than the limit blocks, as at sign-in.
    assert.equal((await admin.post(path, { stepUpCode: "123456" })).status, 429);
    const blocked = await admin.post(path, { stepUpCode: codeNow(admin) });
    assert.equal(blocked.status, 429);
    assert.ok(blocked.headers.get("retry-after"));
    assert.match(await blocked.text(), /too many failed attempts to sign in to this account/);
    assert.equal(
      (await testApp.db.staffUser.findUniqueOrThrow({ where: { id: agent.id } })).status,
      "ACTIVE",
    );
    const [email] = await testApp.db.outboxMessage.findMany();
    assert.equal(email?.kind, "account_blocked");
    assert.equal(email?.recipient, admin.email);
  });

  test("an account without an authenticator (only where STAFF_REQUIRE_2FA=false) has nothing to give again", async () => {
    const admin = await staleBrowser("SERVER_ADMIN");
    await testApp.db.staffUser.update({
      where: { id: admin.id },
      data: { totpSecretSealed: null, totpEnabledAt: null },
    });
    const agent = await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" });
    assert.equal((await admin.post(`/staff/people/${agent.id}/disable`)).status, 303);
  });
});
