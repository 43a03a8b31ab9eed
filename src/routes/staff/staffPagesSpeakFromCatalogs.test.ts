// Staff pages stay in English, but every word they show comes from the catalogs, so translating them
// later is data. In the pseudo-language (offered here, and chosen with the language cookie) every
// catalog word is accented: a plain English word left on a staff page bypassed the catalogs. The page's
// own content (<main>, its title) and the shared layout around it (header, navigation, footer) are
// checked.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { recordCspViolations } from "../../commands/operations/recordCspViolations.js";
import { formatCaseNumber } from "../../domain/caseNumber.js";
import { totpCodeAt } from "../../domain/totp.js";
import type { Prisma } from "../../generated/prisma/client.js";
import { postForm, startTestApp, type TestApp } from "../../test/app.js";
import { startOidcProvider, type TestOidcProvider } from "../../test/oidcProvider.js";
import { scriptMessagesOf } from "../../test/pseudoLanguage.js";
import {
  ageSecondFactor,
  createStaffMember,
  type SignedInStaffBrowser,
  signedInCookie,
  signedInStaffBrowser,
} from "../../test/staff.js";

const PSEUDO_COOKIE = "language=en-XA";
// What the test's own requests say they are; shown on the profile's list of sessions. (The test
// helpers' own requests say "node", which the audit log shows beside the invitation they sent.)
const USER_AGENT = "Mozilla/5.0";
const HELPERS_USER_AGENT = "node";

let testApp: TestApp;
let superadmin: SignedInStaffBrowser;
/** Values the test put in, or that the portal shows as data (names, addresses, case numbers). */
const knownValues: string[] = [USER_AGENT, HELPERS_USER_AGENT];
/**
 * Each page with the status it answers (a filter with mistakes is refused with the form shown again),
 * and what shows that the state meant to be seen was reached.
 */
const pagesToVisit: { label: string; path: string; status: number; shows?: RegExp }[] = [];

before(async () => {
  testApp = await startTestApp({ env: { LANGUAGES: "en,de,fr,en-XA" } });
  superadmin = await signedInStaffBrowser(testApp, "SUPERADMIN", "Grace Hopper");
  const agent = await createStaffMember(testApp.db, testApp.config, {
    role: "VETTING_AGENT",
    name: "Alan Turing",
  });
  knownValues.push(
    superadmin.name,
    superadmin.email,
    agent.name,
    agent.email,
    testApp.config.site.name,
    testApp.config.site.communityName,
  );

  // Cases in most states, one assigned to the superadmin, within the statistics period below.
  const at = (iso: string) => new Date(iso);
  const cases: Prisma.VettingCaseCreateManyInput[] = (
    [
      { state: "IN_REVIEW", submittedAt: at("2026-03-02T10:00:00Z"), assignedToId: superadmin.id },
      { state: "SUBMITTED", submittedAt: at("2026-03-03T10:00:00Z"), assignedToId: agent.id },
      { state: "APPROVED", submittedAt: at("2026-03-03T00:00:00Z"), decidedAt: at("2026-03-05T00:00:00Z") },
      { state: "REJECTED", submittedAt: at("2026-03-04T00:00:00Z"), decidedAt: at("2026-03-10T00:00:00Z") },
      {
        state: "WITHDRAWN",
        submittedAt: at("2026-03-10T00:00:00Z"),
        withdrawnAt: at("2026-03-11T00:00:00Z"),
      },
      { state: "CLOSED", submittedAt: at("2026-03-11T00:00:00Z"), closedAt: at("2026-03-12T00:00:00Z") },
      { state: "DRAFT" },
    ] satisfies Partial<Prisma.VettingCaseCreateManyInput>[]
  ).map((fields, index) => ({
    origin: "APPLICANT",
    fullName: `Applicant Number${index}`,
    email: `applicant${index}@example.org`,
    statement: "I would like to join.",
    lastSubmittedAt: fields.submittedAt ?? null,
    ...fields,
  }));
  await testApp.db.vettingCase.createMany({ data: cases });
  for (const row of await testApp.db.vettingCase.findMany({ select: { number: true, fullName: true } }))
    knownValues.push(formatCaseNumber(row.number), row.fullName);
  // Recent activity on the superadmin's case (by the applicant and by staff) and a recent decision. The
  // audit log shows the label recorded for an actor without an account as it was written: a record.
  knownValues.push("applicant");
  const assigned = await testApp.db.vettingCase.findFirstOrThrow({ where: { assignedToId: superadmin.id } });
  const approved = await testApp.db.vettingCase.findFirstOrThrow({ where: { state: "APPROVED" } });
  await testApp.db.auditEvent.createMany({
    data: [
      {
        action: "case.resubmitted",
        subjectType: "vetting_case",
        subjectId: assigned.id,
        actorLabel: "applicant",
      },
      {
        action: "case.review_started",
        subjectType: "vetting_case",
        subjectId: assigned.id,
        actorId: superadmin.id,
        actorLabel: superadmin.email,
      },
    ],
  });
  await testApp.db.caseDecision.create({
    data: { caseId: approved.id, kind: "APPROVE", decidedById: superadmin.id, decidedAt: new Date() },
  });

  // An invitation through the page (it writes the audit row and queues the email), a CSP report and a
  // registration token (no homeserver is configured, so the page says tokens are off).
  const invited = await superadmin.post("/staff/invitations", {
    name: "Ada Lovelace",
    email: "ada@example.org",
    role: "VETTING_AGENT",
  });
  assert.equal(invited.status, 303);
  knownValues.push("Ada Lovelace", "ada@example.org");
  const invitation = await testApp.db.staffInvitation.findFirstOrThrow({ select: { id: true } });
  const message = await testApp.db.outboxMessage.findFirstOrThrow({ select: { id: true } });
  // What waits for a second admin: an invitation a server admin wrote, and raising the agent's role.
  const serverAdmin = await signedInStaffBrowser(testApp, "SERVER_ADMIN", "Barbara Liskov");
  knownValues.push(serverAdmin.name, serverAdmin.email, "Edsger Dijkstra", "edsger@example.org");
  const pending = await serverAdmin.post("/staff/invitations", {
    name: "Edsger Dijkstra",
    email: "edsger@example.org",
    role: "VETTING_AGENT",
  });
  assert.equal(pending.status, 303);
  const pendingInvitation = await testApp.db.staffInvitation.findFirstOrThrow({
    where: { status: "PENDING_APPROVAL" },
    select: { id: true },
  });
  const raised = await superadmin.post(`/staff/people/${agent.id}/role`, { role: "INVITING_ADMIN" });
  assert.equal(raised.status, 303);
  assert.equal(await testApp.db.staffRoleChange.count({ where: { status: "PENDING" } }), 1);
  await recordCspViolations(
    testApp.db,
    [
      {
        directive: "script-src-elem",
        blockedUrl: "inline",
        documentUrl: "https://portal.example/apply",
        disposition: "enforce",
        sourceFile: "https://portal.example/static/app.js",
        lineNumber: 7,
        columnNumber: 3,
        sample: "alert",
      },
    ],
    new Date(),
  );
  const token = await testApp.db.registrationToken.create({
    data: {
      personName: "Olga Tokarczuk",
      personEmail: "olga@example.org",
      tokenSealed: "sealed",
      tokenLookup: "lookup",
      state: "CREATED",
      expiresAt: new Date(Date.now() + 86_400_000),
      createdById: superadmin.id,
    },
    select: { id: true },
  });
  knownValues.push("Olga Tokarczuk", "olga@example.org");

  pagesToVisit.push(
    {
      label: "home",
      path: "/staff",
      status: 200,
      shows: /id="activity-heading"[\s\S]*<tbody>[\s\S]*id="decisions-heading"[\s\S]*<tbody>/,
    },
    { label: "profile", path: "/staff/profile", status: 200 },
    { label: "staff accounts", path: "/staff/people", status: 200 },
    { label: "a person", path: `/staff/people/${agent.id}`, status: 200, shows: /id="pending-heading"/ },
    { label: "oneself", path: `/staff/people/${superadmin.id}`, status: 200 },
    {
      label: "invitations",
      path: "/staff/invitations",
      status: 200,
      shows: /\/staff\/role-changes\/[^"]+\/cancel/,
    },
    { label: "an invitation", path: `/staff/invitations/${invitation.id}`, status: 200 },
    {
      label: "an invitation waiting for approval",
      path: `/staff/invitations/${pendingInvitation.id}`,
      status: 200,
      shows: /name="decision" value="approve"/,
    },
    { label: "audit log", path: "/staff/audit", status: 200 },
    { label: "audit log, a bad filter", path: "/staff/audit?from=someday&actor=nobody", status: 400 },
    { label: "outbox", path: "/staff/outbox", status: 200 },
    { label: "outbox, a bad filter", path: "/staff/outbox?status=lost", status: 400 },
    { label: "an outbox message", path: `/staff/outbox/${message.id}`, status: 200 },
    { label: "CSP violations", path: "/staff/csp-violations", status: 200 },
    { label: "CSP violations, a bad filter", path: "/staff/csp-violations?from=someday", status: 400 },
    { label: "registration tokens", path: "/staff/registration-tokens", status: 200 },
    {
      label: "revoking a registration token",
      path: `/staff/registration-tokens/${token.id}/revoke`,
      status: 200,
    },
    { label: "asking for a registration token", path: "/staff/registration-tokens/new", status: 200 },
    { label: "statistics", path: "/staff/statistics?from=2026-03-01&to=2026-03-15", status: 200 },
    {
      label: "statistics, a bad period",
      path: "/staff/statistics?from=2026-03-15&to=2026-03-01",
      status: 400,
    },
  );
});
after(() => testApp.close());

const HTML_ENTITIES: Record<string, string> = { lt: "<", gt: ">", quot: '"', "#39": "'", amp: "&" };

/**
 * What a reader of the page's own content sees: the title (without the site's name) and <main>, its
 * text and the texts of its labelling attributes. Machine text (<code>, an email's source in <pre>)
 * is data, not words of the page.
 */
function visibleTextOf(html: string): string {
  const title = /<title>([\s\S]*?)<\/title>/.exec(html)?.[1] ?? "";
  const main = /<main[^>]*>([\s\S]*?)<\/main>/.exec(html)?.[1] ?? "";
  const content = main
    .replace(/<script[\s\S]*?<\/script>/g, " ")
    .replace(/<code[^>]*>[\s\S]*?<\/code>/g, " ")
    .replace(/<pre[^>]*>[\s\S]*?<\/pre>/g, " ");
  const attributes = [...content.matchAll(/\s(?:aria-label|alt|title|placeholder)="([^"]*)"/g)].map(
    (match) => match[1],
  );
  return [title, content.replace(/<[^>]+>/g, " "), ...attributes]
    .join("\n")
    .replace(/&(lt|gt|quot|#39|amp);/g, (_, entity: string) => HTML_ENTITIES[entity] ?? "");
}

/**
 * The shared layout around a staff page: the header (the site's name, the navigation, who is signed in,
 * signing out) and the footer, with the header's labelling attributes.
 */
function layoutTextOf(html: string): string {
  const header = /<header class="site-header">([\s\S]*?)<\/header>/.exec(html)?.[1] ?? "";
  const footer = /<footer class="site-footer">([\s\S]*?)<\/footer>/.exec(html)?.[1] ?? "";
  const labels = [...header.matchAll(/\s(?:aria-label|alt|title)="([^"]*)"/g)].map((match) => match[1]);
  return [header, footer, ...labels]
    .join("\n")
    .replace(/<[^>]+>/g, " ")
    .replace(/&(lt|gt|quot|#39|amp);/g, (_, entity: string) => HTML_ENTITIES[entity] ?? "");
}

const MONTH = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*";
/** Dates and times as Intl writes them ("2 Mar 2026, 10:00 UTC", "2 March 2026"), and chart days ("2 Mar"). */
const FORMATTED_DATE = new RegExp(`\\b\\d{1,2} ${MONTH}\\.?( \\d{4})?(,? (at )?\\d{2}:\\d{2}( UTC)?)?`, "g");

/** Timestamps as the records pages write them ("2026-03-02 10:00:00 UTC"). */
const ISO_TIMESTAMP = /\b\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?( UTC)?)?/g;
const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g;

/**
 * The words of `text` written in plain ASCII letters once data is taken out: the known values, URLs,
 * email addresses, dates, and identifiers such as `staff.invited` or `staff_invitation`. In the
 * pseudo-language every catalog word is accented, so any word left bypassed the catalogs.
 */
function plainWordsIn(text: string): string[] {
  // Whole tokens first (an address or identifier may contain a known word), then the known values.
  let rest = text
    .replace(/https?:\/\/\S+/g, " ")
    .replace(/\S+@\S+\.\w+/g, " ")
    .replace(FORMATTED_DATE, " ")
    .replace(ISO_TIMESTAMP, " ")
    .replace(UUID, " ")
    .replace(/\b[a-z]+(?:[._][a-z0-9]+)+\b/g, " ");
  // The longest first, so a value that contains another (a subject naming the site) goes whole.
  for (const value of [...knownValues].sort((a, b) => b.length - a.length))
    rest = rest.replaceAll(value, " ");
  return (rest.match(/\p{L}+/gu) ?? []).filter((word) => /^[A-Za-z]+$/.test(word));
}

async function fetchPage(path: string, cookie: string, status = 200): Promise<string> {
  const response = await fetch(`${testApp.baseUrl}${path}`, {
    redirect: "manual",
    headers: { cookie, "user-agent": USER_AGENT },
  });
  assert.equal(response.status, status, path);
  return response.text();
}

describe("staff pages in the pseudo-language", () => {
  test("every word of every staff page comes from the catalogs, error states included", async () => {
    const cookie = `${superadmin.cookie}; ${PSEUDO_COOKIE}`;
    const leaks: string[] = [];
    const check = (label: string, html: string) => {
      assert.match(html, /<html lang="en-XA"/, label);
      // What the page's scripts will say (the password meter, the passkey ceremony) too.
      const words = [...new Set(plainWordsIn([visibleTextOf(html), ...scriptMessagesOf(html)].join("\n")))];
      if (words.length) leaks.push(`${label}: ${words.join(" ")}`);
    };
    for (const { label, path, status, shows } of pagesToVisit) {
      const html = await fetchPage(path, cookie, status);
      if (status !== 200) assert.match(html, /class="error-summary"/, label);
      if (shows) assert.match(html, shows, label);
      // The email's own subject, shown as the outbox message's heading, is what was sent (staff emails
      // are written in English): data of the message, not words of the page.
      const subject = /<h1 class="message__subject">([^<]*)<\/h1>/.exec(html)?.[1];
      if (subject) knownValues.push(subject.replace(/&#39;/g, "'"));
      check(label, html);
      const layoutWords = [...new Set(plainWordsIn(layoutTextOf(html)))];
      if (layoutWords.length) leaks.push(`${label}, the layout: ${layoutWords.join(" ")}`);
    }

    // The profile's forms with mistakes: a wrong current password and a weak new one.
    const passwordChange = await postForm(
      `${testApp.baseUrl}/staff/profile/password`,
      { _csrf: superadmin.csrfToken, currentPassword: "not it", password: "short", passwordConfirmation: "" },
      { cookie },
    );
    assert.equal(passwordChange.status, 422);
    check("a refused password change", await passwordChange.text());

    // Signed out: sign-in, a refused sign-in, the second factor, and the password reset pages.
    const signIn = await fetch(`${testApp.baseUrl}/staff/sign-in`, { headers: { cookie: PSEUDO_COOKIE } });
    const signInHtml = await signIn.text();
    check("sign-in", signInHtml);
    const csrfCookie = (signIn.headers.getSetCookie()[0] ?? "").split(";")[0] ?? "";
    const csrfToken = /name="_csrf" value="([^"]+)"/.exec(signInHtml)?.[1] ?? "";
    const signedOut = `${csrfCookie}; ${PSEUDO_COOKIE}`;
    const refused = await postForm(
      `${testApp.baseUrl}/staff/sign-in`,
      { _csrf: csrfToken, email: superadmin.email, password: "not the password" },
      { cookie: signedOut },
    );
    assert.equal(refused.status, 422);
    check("a refused sign-in", await refused.text());
    const empty = await postForm(
      `${testApp.baseUrl}/staff/sign-in`,
      { _csrf: csrfToken, email: "", password: "" },
      { cookie: signedOut },
    );
    check("an empty sign-in", await empty.text());
    const password = await postForm(
      `${testApp.baseUrl}/staff/sign-in`,
      { _csrf: csrfToken, email: superadmin.email, password: "a long and unusual passphrase 42" },
      { cookie: signedOut },
    );
    assert.equal(password.status, 303);
    const halfSignedIn = (password.headers.getSetCookie()[0] ?? "").split(";")[0] ?? "";
    const verifyCookie = `${halfSignedIn}; ${signedOut}`;
    const verifyHtml = await fetchPage("/staff/sign-in/verify", verifyCookie);
    check("the second factor", verifyHtml);
    const wrongCode = await postForm(
      `${testApp.baseUrl}/staff/sign-in/verify`,
      { _csrf: /name="_csrf" value="([^"]+)"/.exec(verifyHtml)?.[1] ?? "", code: "000000" },
      { cookie: verifyCookie },
    );
    check("a wrong code", await wrongCode.text());
    check("asking for a password reset", await fetchPage("/staff/password-reset", signedOut));
    check(
      "an unknown password reset link",
      await fetchPage("/staff/password-reset/no-such-token", signedOut, 404),
    );

    check(
      "a password reset asked for",
      await (
        await postForm(
          `${testApp.baseUrl}/staff/password-reset`,
          { _csrf: csrfToken, email: superadmin.email },
          { cookie: signedOut },
        )
      ).text(),
    );
    const ceremony = await postForm(
      `${testApp.baseUrl}/staff/sign-in/passkey`,
      { _csrf: csrfToken },
      { cookie: signedOut },
    );
    assert.equal(ceremony.status, 200);
    check("signing in with a passkey", await ceremony.text());

    // A sensitive action after a while asks for the code again, and refuses a wrong one.
    await ageSecondFactor(testApp.db, superadmin.id, 60);
    const askForNewCodes = (stepUpCode: string) =>
      postForm(
        `${testApp.baseUrl}/staff/profile/recovery-codes`,
        { _csrf: superadmin.csrfToken, stepUpCode },
        { cookie },
      );
    const stepUp = await askForNewCodes("");
    assert.equal(stepUp.status, 403);
    check("the step-up", await stepUp.text());
    const wrongStepUpCode = await askForNewCodes("000000");
    assert.equal(wrongStepUpCode.status, 403);
    check("a wrong step-up code", await wrongStepUpCode.text());
    const newCodes = await askForNewCodes(totpCodeAt(superadmin.totpSecret, new Date()));
    assert.equal(newCodes.status, 200);
    check("new recovery codes", await newCodes.text());

    assert.deepEqual(leaks, [], `words that bypassed the catalogs:\n${leaks.join("\n")}`);
  });

  test("the check can fail: the same page in English is plain words", async () => {
    // A session of its own: the first test's step-up renewed the superadmin's.
    const html = await fetchPage(
      "/staff/audit",
      await signedInCookie(testApp.db, testApp.config, superadmin.id),
    );
    assert.match(html, /<html lang="en"/);
    assert.ok(plainWordsIn(visibleTextOf(html)).includes("Audit"));
  });
});

describe("staff sign-in through single sign-on, in the pseudo-language", () => {
  let provider: TestOidcProvider;
  let ssoApp: TestApp;
  before(async () => {
    provider = await startOidcProvider({ portalUrl: "http://127.0.0.1:3000", accounts: {} });
    // Only single sign-on: with no account left unlinked, password sign-in gives way to the emergency one.
    ssoApp = await startTestApp({
      env: { ...provider.env, OIDC_ONLY: "true", LANGUAGES: "en,de,fr,en-XA" },
    });
  });
  after(async () => {
    await ssoApp.close();
    await provider.stop();
  });

  test("the sign-in page, the emergency sign-in and its refusal, and a refused answer from the provider", async () => {
    const ssoName = ssoApp.config.oidc?.displayName ?? "";
    assert.ok(ssoName);
    knownValues.push(ssoName, ssoApp.config.site.name);
    const leaks: string[] = [];
    const check = (label: string, html: string, shows: RegExp) => {
      assert.match(html, /<html lang="en-XA"/, label);
      assert.match(html, shows, label);
      const words = [...new Set(plainWordsIn(visibleTextOf(html)))];
      if (words.length) leaks.push(`${label}: ${words.join(" ")}`);
    };
    const signIn = await fetch(`${ssoApp.baseUrl}/staff/sign-in`, { headers: { cookie: PSEUDO_COOKIE } });
    const signInHtml = await signIn.text();
    check("sign-in", signInHtml, /href="\/staff\/sign-in\/break-glass"/);
    const cookie = `${(signIn.headers.getSetCookie()[0] ?? "").split(";")[0]}; ${PSEUDO_COOKIE}`;
    const csrfToken = /name="_csrf" value="([^"]+)"/.exec(signInHtml)?.[1] ?? "";
    const breakGlass = await fetch(`${ssoApp.baseUrl}/staff/sign-in/break-glass`, { headers: { cookie } });
    check("the emergency sign-in", await breakGlass.text(), /name="recoveryCode"/);
    const refused = await postForm(
      `${ssoApp.baseUrl}/staff/sign-in/break-glass`,
      {
        _csrf: csrfToken,
        email: "nobody@example.org",
        password: "not a password",
        recoveryCode: "abcd-efgh",
      },
      { cookie },
    );
    assert.equal(refused.status, 422);
    check("a refused emergency sign-in", await refused.text(), /class="error-summary"/);
    const empty = await postForm(
      `${ssoApp.baseUrl}/staff/sign-in/break-glass`,
      { _csrf: csrfToken },
      { cookie },
    );
    check("an empty emergency sign-in", await empty.text(), /class="error-summary"/);
    // An answer from the provider that this browser never asked for.
    const answer = await fetch(`${ssoApp.baseUrl}/staff/sign-in/sso/callback?code=forged&state=forged`, {
      headers: { cookie },
      redirect: "manual",
    });
    assert.equal(answer.status, 400);
    // The refusal page, which leads back to sign-in (not the generic error page).
    check("a refused answer from the provider", await answer.text(), /<main[\s\S]*href="\/staff\/sign-in"/);
    assert.deepEqual(leaks, [], `words that bypassed the catalogs:\n${leaks.join("\n")}`);
  });
});

describe("the page that asks for a passkey, in the pseudo-language", () => {
  let strictApp: TestApp;
  before(async () => {
    // A domain, as passkeys need (browsers refuse an IP address as the relying party).
    strictApp = await startTestApp({
      env: {
        STAFF_PASSKEYS_REQUIRED_FOR: "admins",
        PUBLIC_URL: "http://localhost:3000",
        LANGUAGES: "en,de,fr,en-XA",
      },
    });
  });
  after(() => strictApp.close());

  test("an admin without a passkey is asked for one in words from the catalogs", async () => {
    const admin = await createStaffMember(strictApp.db, strictApp.config, {
      role: "INVITING_ADMIN",
      name: "Frances Allen",
    });
    knownValues.push(admin.name, admin.email, strictApp.config.site.name);
    const cookie = `${await signedInCookie(strictApp.db, strictApp.config, admin.id)}; ${PSEUDO_COOKIE}`;
    const page = await fetch(`${strictApp.baseUrl}/staff/passkey-required`, { headers: { cookie } });
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /<html lang="en-XA"/);
    assert.match(html, /id="passkeyName"/);
    assert.deepEqual(plainWordsIn(visibleTextOf(html)), []);
  });
});
