// The applicant's workspace over HTTP: only with an applicant session, only their own case; editing,
// submitting, resubmitting and withdrawing with the emails each sends (delivered through a real SMTP
// server on loopback) and the audit rows each writes; refused moves shown on the page, never a 500.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { applicantCookieName, startApplicantSession } from "../../applicantSessions.js";
import { formatCaseNumber } from "../../domain/caseNumber.js";
import type { CaseState } from "../../domain/caseStates.js";
import { startTestApp, type TestApp } from "../../test/app.js";
import { deliverQueuedEmails, TestBrowser } from "../../test/browser.js";
import { truncateTables } from "../../test/reset.js";
import { startTestSmtpServer, type TestSmtpServer } from "../../test/smtp.js";
import { createStaffMember, signedInCookie } from "../../test/staff.js";

let smtp: TestSmtpServer;
let testApp: TestApp;

before(async () => {
  smtp = await startTestSmtpServer({ tls: "none" });
  testApp = await startTestApp({ env: { SMTP_PORTS: String(smtp.port) } });
});
after(async () => {
  await testApp.close();
  await smtp.close();
});
beforeEach(async () => {
  smtp.messages.length = 0;
  await truncateTables(testApp.db, [
    "vetting_cases",
    "case_comments",
    "vetting_records",
    "case_decisions",
    "applicant_sessions",
    "link_tokens",
    "outbox_messages",
    "audit_events",
    "staff_sessions",
    "staff_users",
    "graphile_worker._private_jobs",
  ]);
});

const PERSONAL_DATA = [
  "Wren",
  "wren@example.org",
  "7946",
  "@wren:example.org",
  "birdwatching",
  "new statement",
];

interface CaseOptions {
  state?: CaseState;
  origin?: "APPLICANT" | "STAFF";
  fullName?: string;
  email?: string;
  statement?: string;
  privacyNoticeVersion?: string | null;
  assignedToId?: string;
  language?: string;
}

async function createCase(options: CaseOptions = {}) {
  return testApp.db.vettingCase.create({
    data: {
      state: options.state ?? "DRAFT",
      origin: options.origin ?? "APPLICANT",
      fullName: options.fullName ?? "Wren Applicant",
      email: options.email ?? "wren@example.org",
      phone: "+442079460958",
      matrixId: "@wren:example.org",
      statement: options.statement ?? "I know Mara from birdwatching.",
      privacyNoticeVersion:
        options.privacyNoticeVersion === undefined ? "built-in-1" : options.privacyNoticeVersion,
      privacyConsentAt: options.privacyNoticeVersion === null ? null : new Date(),
      emailConfirmedAt: new Date(),
      assignedToId: options.assignedToId ?? null,
      language: options.language ?? "en",
    },
    select: { id: true, number: true },
  });
}

/** A browser holding an applicant session for the case, as after following an emailed link. */
async function applicantBrowser(caseId: string): Promise<TestBrowser> {
  const { token } = await testApp.db.$transaction((tx) =>
    startApplicantSession(tx, { config: testApp.config, caseId }),
  );
  const browser = new TestBrowser(testApp.baseUrl);
  browser.cookies.set(applicantCookieName(testApp.config), token);
  const page = await browser.get("/application");
  assert.equal(page.response.status, 200);
  return browser;
}

async function applicantWithCase(options: CaseOptions = {}) {
  const vettingCase = await createCase(options);
  return {
    ...vettingCase,
    caseNumber: formatCaseNumber(vettingCase.number),
    browser: await applicantBrowser(vettingCase.id),
  };
}

async function caseRow(id: string) {
  return testApp.db.vettingCase.findUniqueOrThrow({ where: { id } });
}

/** The audit rows of the case, oldest first, with their details checked for personal data. */
async function auditOf(caseId: string) {
  const rows = await testApp.db.auditEvent.findMany({
    where: { subjectType: "vetting_case", subjectId: caseId },
    orderBy: { occurredAt: "asc" },
  });
  const details = JSON.stringify(rows.map((row) => row.details));
  for (const personal of PERSONAL_DATA)
    assert.ok(!details.includes(personal), `audit details hold no "${personal}"`);
  return rows;
}

function conflictMessage(html: string): string | null {
  return (
    /<h2 class="error-summary__title" id="conflict-title">Nothing was changed<\/h2>\s*<p>([^<]*)<\/p>/.exec(
      html,
    )?.[1] ?? null
  );
}

describe("who sees a workspace", () => {
  test("nobody without an applicant session; a staff session does not open it", async () => {
    const anonymous = await fetch(`${testApp.baseUrl}/application`, { redirect: "manual" });
    assert.equal(anonymous.status, 303);
    assert.equal(anonymous.headers.get("location"), "/apply/sign-in?expired=1");

    const agent = await createStaffMember(testApp.db, testApp.config, { role: "SUPERADMIN" });
    const cookie = await signedInCookie(testApp.db, testApp.config, agent.id);
    await createCase();
    const asStaff = await fetch(`${testApp.baseUrl}/application`, {
      headers: { cookie },
      redirect: "manual",
    });
    assert.equal(asStaff.status, 303);
    assert.equal(asStaff.headers.get("location"), "/apply/sign-in?expired=1");
    assert.equal(asStaff.headers.get("cache-control"), "no-store");
  });

  test("each applicant sees their own case only", async () => {
    const wren = await applicantWithCase();
    const otto = await applicantWithCase({
      fullName: "Otto Other",
      email: "otto@example.org",
      statement: "Otto here.",
    });

    const wrenPage = await wren.browser.get("/application");
    assert.match(wrenPage.html, new RegExp(`Your application ${wren.caseNumber}`));
    assert.match(wrenPage.html, /value="Wren Applicant"/);
    assert.doesNotMatch(wrenPage.html, /Otto|otto@example\.org/);
    const ottoPage = await otto.browser.get("/application");
    assert.match(ottoPage.html, new RegExp(`Your application ${otto.caseNumber}`));
    assert.doesNotMatch(ottoPage.html, /Wren|wren@example\.org|birdwatching/);

    // Otto's form changes Otto's case, whatever he sends.
    await otto.browser.post("/application/details", {
      fullName: "Otto Renamed",
      matrixId: "",
      phone: "",
      statement: "Otto here.",
      caseId: wren.id,
      id: wren.id,
    });
    assert.equal((await caseRow(wren.id)).fullName, "Wren Applicant");
    assert.equal((await caseRow(otto.id)).fullName, "Otto Renamed");
  });

  test("the session ends after the idle time", async () => {
    const { id, browser } = await applicantWithCase();
    await testApp.db.applicantSession.updateMany({
      where: { caseId: id },
      data: { lastSeenAt: new Date(Date.now() - testApp.config.applicant.sessionIdleMs - 1000) },
    });
    const page = await browser.get("/application");
    assert.equal(page.response.status, 303);
    assert.equal(page.response.headers.get("location"), "/apply/sign-in?expired=1");
    assert.equal(await testApp.db.applicantSession.count(), 0);
    const signInPage = await browser.get("/apply/sign-in?expired=1");
    assert.match(signInPage.html, /Your session ended. Ask for a new link./);
  });

  test("signing out ends the session", async () => {
    const { browser } = await applicantWithCase();
    const signedOut = await browser.post("/application/sign-out", {});
    assert.equal(signedOut.response.status, 303);
    assert.equal(signedOut.response.headers.get("location"), "/apply/sign-in?signed-out=1");
    assert.equal(await testApp.db.applicantSession.count(), 0);
    assert.equal(browser.cookies.has(applicantCookieName(testApp.config)), false);
    assert.equal((await browser.get("/application")).response.status, 303);
  });
});

describe("editing the details", () => {
  test("saves changed fields and audits their names only; the email address stays", async () => {
    const { id, browser } = await applicantWithCase();
    const saved = await browser.post("/application/details", {
      fullName: "Wren Applicant",
      email: "someone-else@example.org",
      matrixId: "",
      phone: "+44 20 7946 0000",
      statement: "A new statement.",
    });
    assert.equal(saved.response.status, 303);
    assert.equal(saved.response.headers.get("location"), "/application?done=saved");
    const page = await browser.get("/application?done=saved");
    assert.match(page.html, /Your details were saved./);

    const stored = await caseRow(id);
    assert.equal(stored.email, "wren@example.org");
    assert.equal(stored.matrixId, null);
    assert.equal(stored.phone, "+442079460000");
    assert.equal(stored.statement, "A new statement.");
    const [audit, ...others] = await auditOf(id);
    assert.equal(audit?.action, "case.details_updated");
    assert.deepEqual(audit?.details, { changedFields: ["matrixId", "phone", "statement"] });
    assert.equal(audit?.actorLabel, "applicant");
    assert.ok(others.every((row) => row.action === "case.duplicate_flagged"));

    const unchanged = await browser.post("/application/details", {
      fullName: "Wren Applicant",
      matrixId: "",
      phone: "+442079460000",
      statement: "A new statement.",
    });
    assert.equal(unchanged.response.headers.get("location"), "/application?done=unchanged");
    assert.equal((await auditOf(id)).filter((row) => row.action === "case.details_updated").length, 1);
  });

  test("shows each message next to its field and keeps what was typed", async () => {
    const { id, browser } = await applicantWithCase();
    const { response, html } = await browser.post("/application/details", {
      fullName: "",
      matrixId: "wren",
      phone: "12",
      statement: "Still here",
    });
    assert.equal(response.status, 422);
    assert.match(
      html,
      /<p class="field__error" id="fullName-error"><span class="visually-hidden">Error: <\/span>Enter your full name.<\/p>/,
    );
    assert.match(
      html,
      /id="matrixId-error"><span class="visually-hidden">Error: <\/span>Enter a Matrix ID like/,
    );
    assert.match(
      html,
      /id="phone-error"><span class="visually-hidden">Error: <\/span>Enter a phone number in international format/,
    );
    assert.match(html, /id="matrixId" name="matrixId" type="text" value="wren"[^>]*aria-invalid="true"/);
    assert.match(html, />Still here<\/textarea>/);
    assert.match(html, /<li><a href="#fullName">Enter your full name.<\/a><\/li>/);
    assert.equal((await caseRow(id)).fullName, "Wren Applicant");
  });

  test("is refused with a message once the case is submitted", async () => {
    const { id, browser } = await applicantWithCase({ state: "SUBMITTED" });
    const page = await browser.get("/application");
    assert.doesNotMatch(page.html, /action="\/application\/details"/, "no form while not editable");
    assert.match(page.html, /<dt>Full name<\/dt><dd>Wren Applicant<\/dd>/);
    const { response, html } = await browser.post("/application/details", {
      fullName: "Changed",
      matrixId: "",
      phone: "",
      statement: "Changed",
    });
    assert.equal(response.status, 409);
    assert.match(
      conflictMessage(html) ?? "",
      /Your details can be changed only while your application is a draft/,
    );
    assert.equal((await caseRow(id)).fullName, "Wren Applicant");
  });
});

describe("submitting", () => {
  test("moves a complete draft to submitted, emails the applicant, and refuses a second submission", async () => {
    const { id, caseNumber, browser } = await applicantWithCase();
    const page = await browser.get("/application");
    assert.match(page.html, /Your application is a draft/);
    assert.doesNotMatch(page.html, /id="consent"/, "consent to the current notice is already given");

    const submitted = await browser.post("/application/submit", {});
    assert.equal(submitted.response.status, 303);
    assert.equal(submitted.response.headers.get("location"), "/application?done=submitted");
    const after = await browser.get("/application?done=submitted");
    assert.match(after.html, /Your application was submitted/);
    assert.match(after.html, /<dt>Status<\/dt><dd><strong>Submitted<\/strong><\/dd>/);
    assert.match(after.html, /waiting for a vetting agent/);

    const stored = await caseRow(id);
    assert.equal(stored.state, "SUBMITTED");
    assert.ok(stored.submittedAt);
    assert.deepEqual(stored.lastSubmittedAt, stored.submittedAt);
    const audit = await auditOf(id);
    assert.deepEqual(
      audit.map((row) => [row.action, row.details]),
      [["case.submitted", { from: "DRAFT", to: "SUBMITTED" }]],
    );

    const messages = await deliverQueuedEmails(testApp, smtp);
    const toApplicant = messages.filter((message) => message.to.includes("wren@example.org"));
    assert.equal(toApplicant.length, 1);
    assert.equal(toApplicant[0]?.subject, `We received your application ${caseNumber} — Vetting Portal`);
    assert.match(toApplicant[0]?.text ?? "", /Hello Wren Applicant/);

    const again = await browser.post("/application/submit", {});
    assert.equal(again.response.status, 409);
    assert.equal(conflictMessage(again.html), "This case is submitted, so it cannot be submitted now.");
    assert.equal((await auditOf(id)).length, 1);
  });

  test("a staff-opened case needs its missing details and consent to the notice first", async () => {
    const { id, browser } = await applicantWithCase({
      origin: "STAFF",
      statement: "",
      privacyNoticeVersion: null,
    });
    const page = await browser.get("/application");
    assert.match(page.html, /Before you can submit, complete these details and save them:/);
    assert.match(
      page.html,
      /<li><a href="#statement">Your statement<\/a>: Tell us why you would like to join.<\/li>/,
    );
    assert.match(page.html, /<input type="checkbox" id="consent" name="consent" value="yes"/);

    const refused = await browser.post("/application/submit", {});
    assert.equal(refused.response.status, 422);
    assert.match(
      refused.html,
      /id="statement-error"><span class="visually-hidden">Error: <\/span>Tell us why you would like to join./,
    );
    assert.match(
      refused.html,
      /id="consent-error"><span class="visually-hidden">Error: <\/span>Tick the box to accept the privacy notice/,
    );
    assert.equal((await caseRow(id)).state, "DRAFT");

    await browser.post("/application/details", {
      fullName: "Wren Applicant",
      matrixId: "@wren:example.org",
      phone: "+442079460958",
      statement: "I know Mara from birdwatching.",
    });
    await browser.get("/application");
    const withoutConsent = await browser.post("/application/submit", {});
    assert.equal(withoutConsent.response.status, 422);
    assert.doesNotMatch(withoutConsent.html, /id="statement-error"/);
    assert.match(withoutConsent.html, /id="consent-error"/);

    const submitted = await browser.post("/application/submit", { consent: "yes" });
    assert.equal(submitted.response.status, 303);
    const stored = await caseRow(id);
    assert.equal(stored.state, "SUBMITTED");
    assert.equal(stored.privacyNoticeVersion, "built-in-1");
    assert.ok(stored.privacyConsentAt);
    const submittedAudit = (await auditOf(id)).find((row) => row.action === "case.submitted");
    assert.deepEqual(submittedAudit?.details, {
      from: "DRAFT",
      to: "SUBMITTED",
      privacyNoticeVersion: "built-in-1",
      privacyNoticeLanguage: "en",
    });
  });

  test("consent to an older notice is asked for again", async () => {
    const { id, browser } = await applicantWithCase({ privacyNoticeVersion: "old-0" });
    const page = await browser.get("/application");
    assert.match(page.html, /privacy notice \(version built-in-1\)/);
    const refused = await browser.post("/application/submit", {});
    assert.equal(refused.response.status, 422);
    assert.equal((await caseRow(id)).privacyNoticeVersion, "old-0");
    await browser.post("/application/submit", { consent: "yes" });
    assert.equal((await caseRow(id)).privacyNoticeVersion, "built-in-1");
  });

  test("in a German case, the workspace links the German notice and the consent records German", async () => {
    const { id, browser } = await applicantWithCase({ privacyNoticeVersion: "old-0", language: "de" });
    // This browser never chose a language and asks for English: the case's language wins for its person.
    browser.headers["accept-language"] = "en";
    const page = await browser.get("/application");
    assert.match(page.html, /<html lang="de"/);
    assert.match(page.html, /<a href="\/privacy">Datenschutzhinweis \(Version built-in-1\)<\/a>/);
    const notice = await browser.get("/privacy");
    assert.match(notice.html, /<html lang="de"/);
    assert.match(notice.html, /<div class="privacy-notice">\s*<p>Wir verwenden, was Sie uns hier geben/);
    await browser.get("/application");
    assert.equal((await browser.post("/application/submit", { consent: "yes" })).response.status, 303);
    const stored = await caseRow(id);
    assert.deepEqual(
      [stored.state, stored.privacyNoticeVersion, stored.privacyNoticeLanguage],
      ["SUBMITTED", "built-in-1", "de"],
    );
    const submittedAudit = (await auditOf(id)).find((row) => row.action === "case.submitted");
    assert.deepEqual(submittedAudit?.details, {
      from: "DRAFT",
      to: "SUBMITTED",
      privacyNoticeVersion: "built-in-1",
      privacyNoticeLanguage: "de",
    });
  });
});

describe("answering a request for more information", () => {
  async function caseWaitingForMoreInformation(options: { assigned: boolean }) {
    const agent = await createStaffMember(testApp.db, testApp.config, {
      role: "VETTING_AGENT",
      name: "Agnes Agent",
      email: "agnes@example.org",
    });
    const admin = await createStaffMember(testApp.db, testApp.config, {
      role: "INVITING_ADMIN",
      name: "Adam Admin",
      email: "adam@example.org",
    });
    const applicant = await applicantWithCase({
      state: "MORE_INFORMATION_REQUESTED",
      ...(options.assigned ? { assignedToId: agent.id } : {}),
    });
    await testApp.db.caseDecision.create({
      data: {
        caseId: applicant.id,
        kind: "REQUEST_MORE_INFORMATION",
        decidedById: admin.id,
        reason: "Please tell us who <b>referred</b> you.",
        isReasonSharedWithApplicant: true,
        decidedAt: new Date(Date.now() - 60_000),
      },
    });
    await testApp.db.caseComment.createMany({
      data: [
        {
          caseId: applicant.id,
          authorId: agent.id,
          body: "We spoke on the phone, thanks!",
          isVisibleToApplicant: true,
        },
        {
          caseId: applicant.id,
          authorId: agent.id,
          body: "Internal: check the referral.",
          isVisibleToApplicant: false,
        },
      ],
    });
    return { ...applicant, agent, admin };
  }

  test("shows the reason and visible comments, never internal ones; resubmitting notifies the assigned agent", async () => {
    const { id, caseNumber, browser, agent } = await caseWaitingForMoreInformation({ assigned: true });
    const page = await browser.get("/application");
    assert.match(page.html, /<strong>More information requested<\/strong>/);
    assert.match(
      page.html,
      /<h3>What the vetting team asks you<\/h3>\s*<p class="applicant-text">Please tell us who &lt;b&gt;referred&lt;\/b&gt; you.<\/p>/,
    );
    assert.match(page.html, /We spoke on the phone, thanks!/);
    assert.match(page.html, /Request for more information/);
    assert.doesNotMatch(page.html, /Internal: check the referral/);
    assert.doesNotMatch(page.html, /Agnes|Adam/, "staff names are not shown");
    assert.match(page.html, /action="\/application\/details"/, "the details are editable again");
    assert.match(page.html, /<button class="button" type="submit">Resubmit my application<\/button>/);

    await browser.post("/application/details", {
      fullName: "Wren Applicant",
      matrixId: "@wren:example.org",
      phone: "+442079460958",
      statement: "Mara referred me.",
    });
    await browser.get("/application");
    const resubmitted = await browser.post("/application/resubmit", {});
    assert.equal(resubmitted.response.status, 303);
    assert.equal(resubmitted.response.headers.get("location"), "/application?done=resubmitted");

    const stored = await caseRow(id);
    assert.equal(stored.state, "IN_REVIEW");
    assert.ok(stored.lastSubmittedAt);
    const resubmittedAudit = (await auditOf(id)).find((row) => row.action === "case.resubmitted");
    assert.deepEqual(resubmittedAudit?.details, {
      from: "MORE_INFORMATION_REQUESTED",
      to: "IN_REVIEW",
      notifiedStaffUserId: agent.id,
    });

    const messages = await deliverQueuedEmails(testApp, smtp);
    assert.deepEqual(
      messages.map((message) => [message.to, message.subject]),
      [[["agnes@example.org"], `${caseNumber} was resubmitted — Vetting Portal`]],
    );
    assert.match(messages[0]?.text ?? "", /Hello Agnes Agent/);

    const again = await browser.post("/application/resubmit", {});
    assert.equal(again.response.status, 409);
    assert.equal(conflictMessage(again.html), "This case is in review, so it cannot be resubmitted now.");
  });

  test("when nobody is assigned, the admin who asked hears of the resubmission", async () => {
    const { browser } = await caseWaitingForMoreInformation({ assigned: false });
    await browser.post("/application/resubmit", {});
    const messages = await deliverQueuedEmails(testApp, smtp);
    assert.deepEqual(
      messages.map((message) => message.to),
      [["adam@example.org"]],
    );
  });
});

describe("withdrawing", () => {
  test("asks for confirmation, then withdraws and emails a confirmation", async () => {
    const { id, caseNumber, browser } = await applicantWithCase({ state: "SUBMITTED" });
    const confirmation = await browser.get("/application/withdraw");
    assert.equal(confirmation.response.status, 200);
    assert.match(confirmation.html, new RegExp(`<h1>Withdraw your application ${caseNumber}\\?</h1>`));
    assert.match(confirmation.html, /<form class="form" method="post" action="\/application\/withdraw">/);
    assert.equal((await caseRow(id)).state, "SUBMITTED", "the confirmation page changes nothing");

    const withdrawn = await browser.post("/application/withdraw", {});
    assert.equal(withdrawn.response.status, 303);
    assert.equal(withdrawn.response.headers.get("location"), "/application?done=withdrawn");
    const stored = await caseRow(id);
    assert.equal(stored.state, "WITHDRAWN");
    assert.ok(stored.withdrawnAt);
    const audit = await auditOf(id);
    assert.deepEqual(
      audit.map((row) => [row.action, row.details]),
      [["case.withdrawn", { from: "SUBMITTED", to: "WITHDRAWN" }]],
    );
    const messages = await deliverQueuedEmails(testApp, smtp);
    assert.deepEqual(
      messages.map((message) => [message.to, message.subject]),
      [[["wren@example.org"], `Your application ${caseNumber} was withdrawn — Vetting Portal`]],
    );

    const page = await browser.get("/application");
    assert.match(page.html, /You withdrew your application/);
    assert.doesNotMatch(page.html, /Withdraw my application/);
  });

  test("is refused with a message after a decision", async () => {
    const { id, browser } = await applicantWithCase({ state: "SUBMITTED" });
    await testApp.db.vettingCase.update({
      where: { id },
      data: { state: "APPROVED", decidedAt: new Date() },
    });

    const confirmation = await browser.get("/application/withdraw");
    assert.equal(confirmation.response.status, 409);
    assert.match(conflictMessage(confirmation.html) ?? "", /can no longer be withdrawn/);
    const refused = await browser.post("/application/withdraw", {});
    assert.equal(refused.response.status, 409);
    assert.equal(conflictMessage(refused.html), "This case is approved, so it cannot be withdrawn now.");
    assert.match(refused.html, /Your application was approved/);
    assert.equal((await caseRow(id)).state, "APPROVED");
    assert.equal(await testApp.db.outboxMessage.count(), 0);
  });
});

describe("every refused move", () => {
  test("is shown on the page, never as a server error", async () => {
    const states: CaseState[] = [
      "DRAFT",
      "SUBMITTED",
      "IN_REVIEW",
      "MORE_INFORMATION_REQUESTED",
      "APPROVED",
      "REJECTED",
      "WITHDRAWN",
    ];
    for (const state of states) {
      const { browser } = await applicantWithCase({ state });
      for (const path of [
        "/application/submit",
        "/application/resubmit",
        "/application/withdraw",
        "/application/details",
      ]) {
        await browser.get("/application");
        const { response } = await browser.post(path, {
          fullName: "Wren Applicant",
          matrixId: "",
          phone: "",
          statement: "Same",
        });
        assert.ok([303, 409].includes(response.status), `${state} ${path}: ${response.status}`);
      }
    }
  });
});

describe("a decided case", () => {
  test("shows a rejection's reason only when the admin chose to share it", async () => {
    const admin = await createStaffMember(testApp.db, testApp.config, { role: "INVITING_ADMIN" });
    for (const isShared of [true, false]) {
      const { id, browser } = await applicantWithCase({ state: "REJECTED" });
      await testApp.db.caseDecision.create({
        data: {
          caseId: id,
          kind: "REJECT",
          decidedById: admin.id,
          reason: "We could not verify you.",
          isReasonSharedWithApplicant: isShared,
        },
      });
      const page = await browser.get("/application");
      assert.match(page.html, /Your application was not approved/);
      assert.equal(page.html.includes("We could not verify you."), isShared);
      assert.doesNotMatch(page.html, /action="\/application\/(submit|resubmit|details)"/);
    }
  });
});
