// The emailed links that open an applicant's workspace: GET shows a button and changes nothing, POST
// consumes the link once and starts a new applicant session. Links of another purpose, used, expired
// or unknown links, and links to erased cases open nothing. The invitation link arrives by email from
// a real staff action elsewhere; here its token is issued the way the outbox issues it.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { applicantCookieName } from "../../applicantSessions.js";
import { startTestApp, type TestApp } from "../../test/app.js";
import { TestBrowser } from "../../test/browser.js";
import { truncateTables } from "../../test/reset.js";
import type { LinkPurpose } from "../../tokens.js";
import { issueLinkToken } from "../../tokens.js";

let testApp: TestApp;

before(async () => {
  testApp = await startTestApp();
});
after(async () => {
  await testApp.close();
});
beforeEach(async () => {
  await truncateTables(testApp.db, [
    "vetting_cases",
    "applicant_sessions",
    "link_tokens",
    "outbox_messages",
    "audit_events",
    "graphile_worker._private_jobs",
  ]);
});

const LINKS: { purpose: LinkPurpose; path: (token: string) => string; action: string; notice: string }[] = [
  {
    purpose: "email_confirmation",
    path: (token) => `/apply/confirm/${token}`,
    action: "case.email_confirmed",
    notice: "confirmed",
  },
  {
    purpose: "sign_in",
    path: (token) => `/apply/sign-in/${token}`,
    action: "case.applicant_signed_in",
    notice: "signed_in",
  },
  {
    purpose: "case_invitation",
    path: (token) => `/apply/invitation/${token}`,
    action: "case.applicant_signed_in",
    notice: "signed_in",
  },
];

async function createCase(fullName = "Dee Draft", extra: { origin?: "STAFF"; emailConfirmedAt?: Date } = {}) {
  return testApp.db.vettingCase.create({
    data: {
      origin: extra.origin ?? "APPLICANT",
      fullName,
      email: "dee@example.org",
      statement: "Hi",
      ...extra,
    },
    select: { id: true, number: true },
  });
}

async function issueToken(purpose: LinkPurpose, caseId: string, lifetimeMs = 60_000): Promise<string> {
  const issued = await testApp.db.$transaction((tx) =>
    issueLinkToken(tx, { purpose, subject: { type: "vetting_case", id: caseId }, lifetimeMs }),
  );
  return issued.token;
}

describe("an applicant's emailed link", () => {
  for (const link of LINKS) {
    test(`${link.purpose}: GET shows a button and consumes nothing; POST opens the workspace once`, async () => {
      const vettingCase = await createCase(
        undefined,
        link.purpose === "case_invitation" ? { origin: "STAFF" } : {},
      );
      const token = await issueToken(link.purpose, vettingCase.id);
      const browser = new TestBrowser(testApp.baseUrl);

      const page = await browser.get(link.path(token));
      assert.equal(page.response.status, 200);
      assert.equal(page.response.headers.get("cache-control"), "no-store");
      assert.match(page.html, new RegExp(`<form class="form" method="post" action="${link.path(token)}">`));
      assert.doesNotMatch(
        page.html,
        /Dee Draft|dee@example\.org/,
        "a prefetched page shows nothing personal",
      );
      assert.equal(await testApp.db.linkToken.count({ where: { usedAt: { not: null } } }), 0);
      assert.equal(await testApp.db.applicantSession.count(), 0);
      assert.equal(await testApp.db.auditEvent.count(), 0);

      const opened = await browser.post(link.path(token), {});
      assert.equal(opened.response.status, 303);
      assert.equal(opened.response.headers.get("location"), `/application?done=${link.notice}`);
      const cookie = opened.response.headers.getSetCookie().find((line) => line.startsWith("applicant="));
      assert.match(cookie ?? "", /; path=\/; samesite=lax; httponly$/);
      const workspace = await browser.get("/application");
      assert.equal(workspace.response.status, 200);
      assert.match(
        workspace.html,
        new RegExp(`<h1>Your application VC-${String(vettingCase.number).padStart(5, "0")}</h1>`),
      );

      const stored = await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: vettingCase.id } });
      assert.ok(stored.emailConfirmedAt, "following any of these links proves the address");
      const session = await testApp.db.applicantSession.findFirstOrThrow();
      assert.equal(session.caseId, vettingCase.id);
      const audit = await testApp.db.auditEvent.findFirstOrThrow();
      assert.equal(audit.action, link.action);
      assert.equal(audit.subjectId, vettingCase.id);
      assert.equal(audit.actorLabel, "applicant");
      assert.deepEqual(audit.details, {
        via: link.purpose,
        linkTokenId: (await testApp.db.linkToken.findFirstOrThrow()).id,
        isNewlyConfirmed: true,
      });

      // Once used, the link says so (410) and offers a new one; POST does nothing either.
      const other = new TestBrowser(testApp.baseUrl);
      const usedPage = await other.get(link.path(token));
      assert.equal(usedPage.response.status, 410);
      assert.match(usedPage.html, /This link has already been used/);
      assert.match(usedPage.html, /<button class="button" type="submit">Email me a link<\/button>/);
      const usedPost = await other.post(link.path(token), {});
      assert.equal(usedPost.response.status, 410);
      assert.equal(await testApp.db.applicantSession.count(), 1);
    });
  }

  test("a link of another purpose opens nothing and is not used up", async () => {
    const vettingCase = await createCase();
    const signInToken = await issueToken("sign_in", vettingCase.id);
    const browser = new TestBrowser(testApp.baseUrl);
    for (const path of [`/apply/confirm/${signInToken}`, `/apply/invitation/${signInToken}`]) {
      const page = await browser.get(path);
      assert.equal(page.response.status, 404);
      assert.match(page.html, /This link is not valid/);
      const posted = await browser.post(path, {});
      assert.equal(posted.response.status, 404);
    }
    assert.equal(await testApp.db.linkToken.count({ where: { usedAt: { not: null } } }), 0);
    assert.equal(await testApp.db.applicantSession.count(), 0);
    // A staff link token cannot open an applicant's page either.
    const staffToken = await testApp.db.$transaction((tx) =>
      issueLinkToken(tx, {
        purpose: "password_reset",
        subject: { type: "staff_user", id: vettingCase.id },
        lifetimeMs: 60_000,
      }),
    );
    assert.equal((await browser.get(`/apply/sign-in/${staffToken.token}`)).response.status, 404);
  });

  test("an unknown or malformed link says so with 404", async () => {
    const browser = new TestBrowser(testApp.baseUrl);
    for (const path of [
      `/apply/confirm/${"A".repeat(43)}`,
      "/apply/confirm/short",
      "/apply/invitation/%3Cscript%3E",
    ]) {
      const page = await browser.get(path);
      assert.equal(page.response.status, 404, path);
      assert.match(page.html, /This link is not valid/);
      assert.doesNotMatch(page.html, /<script>/);
    }
  });

  test("an expired link says so with 410, and opens nothing", async () => {
    const vettingCase = await createCase();
    const token = await issueToken("sign_in", vettingCase.id);
    await testApp.db.linkToken.updateMany({ data: { expiresAt: new Date(Date.now() - 1000) } });
    const browser = new TestBrowser(testApp.baseUrl);
    const page = await browser.get(`/apply/sign-in/${token}`);
    assert.equal(page.response.status, 410);
    assert.match(page.html, /This link has expired/);
    assert.match(page.html, /action="\/apply\/sign-in"/);
    const posted = await browser.post(`/apply/sign-in/${token}`, {});
    assert.equal(posted.response.status, 410);
    assert.equal(await testApp.db.applicantSession.count(), 0);
  });

  test("the link of an erased case opens nothing", async () => {
    const vettingCase = await createCase();
    const token = await issueToken("sign_in", vettingCase.id);
    await testApp.db.vettingCase.update({ where: { id: vettingCase.id }, data: { erasedAt: new Date() } });
    const browser = new TestBrowser(testApp.baseUrl);
    const page = await browser.get(`/apply/sign-in/${token}`);
    assert.equal(page.response.status, 404);
    await browser.post(`/apply/sign-in/${token}`, {});
    assert.equal(await testApp.db.applicantSession.count(), 0);
    assert.equal(await testApp.db.auditEvent.count(), 0);
    assert.equal(await testApp.db.linkToken.count({ where: { usedAt: { not: null } } }), 0);
  });

  test("a confirmed address stays confirmed when it was confirmed before", async () => {
    const confirmedAt = new Date("2026-01-02T03:04:05Z");
    const vettingCase = await createCase(undefined, { emailConfirmedAt: confirmedAt });
    const token = await issueToken("sign_in", vettingCase.id);
    const browser = new TestBrowser(testApp.baseUrl);
    await browser.get(`/apply/sign-in/${token}`);
    await browser.post(`/apply/sign-in/${token}`, {});
    const stored = await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: vettingCase.id } });
    assert.deepEqual(stored.emailConfirmedAt, confirmedAt);
    const audit = await testApp.db.auditEvent.findFirstOrThrow();
    assert.equal((audit.details as { isNewlyConfirmed: boolean }).isNewlyConfirmed, false);
  });

  test("a link used in a browser with another applicant's session replaces that session", async () => {
    const first = await createCase("First Person");
    const second = await createCase("Second Person");
    const browser = new TestBrowser(testApp.baseUrl);
    const firstToken = await issueToken("sign_in", first.id);
    await browser.get(`/apply/sign-in/${firstToken}`);
    await browser.post(`/apply/sign-in/${firstToken}`, {});
    const firstCookie = browser.cookies.get(applicantCookieName(testApp.config));
    assert.match((await browser.get("/application")).html, /value="First Person"/);

    const secondToken = await issueToken("sign_in", second.id);
    await browser.get(`/apply/sign-in/${secondToken}`);
    const opened = await browser.post(`/apply/sign-in/${secondToken}`, {});
    assert.equal(opened.response.status, 303);
    assert.notEqual(browser.cookies.get(applicantCookieName(testApp.config)), firstCookie);
    const sessions = await testApp.db.applicantSession.findMany({ select: { caseId: true } });
    assert.deepEqual(sessions, [{ caseId: second.id }], "the first session row is gone");
    const workspace = await browser.get("/application");
    assert.match(workspace.html, /value="Second Person"/);
    assert.doesNotMatch(workspace.html, /First Person/);
  });
});
