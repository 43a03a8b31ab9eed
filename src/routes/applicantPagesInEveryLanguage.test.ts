// Every page an applicant (or their referee) can reach, in every offered language, over HTTP against the
// real app and Postgres: the public pages, the pages behind every emailed link, the workspace in every
// state of a case, evidence, referees, withdrawal, and the error pages, each with its refusals and form
// errors. In the pseudo-language (en-XA, English accented and lengthened by FormatJS) every word that
// came through the catalogs is accented, so a word left in plain ASCII letters is text that bypassed
// them, unless it is data this test put in (names, addresses, case numbers) or a date Intl wrote. One
// failure lists every page and every word, so a new string is found with its page. Every page also
// says its language: <html lang> and Content-Language equal the language chosen, in each language.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { applicantCookieName, startApplicantSession } from "../applicantSessions.js";
import { formatCaseNumber } from "../domain/caseNumber.js";
import { CASE_STATES, type CaseState } from "../domain/caseStates.js";
import { EVIDENCE_TYPES } from "../domain/evidenceTypes.js";
import { HttpError, serviceUnavailable } from "../errors.js";
import { LANGUAGE_NAMES, type Language } from "../i18n/languages.js";
import { loadTranslators, type Translator } from "../i18n/translator.js";
import { registrationTokenLookup, sealRegistrationToken } from "../matrix/tokenSecrets.js";
import { startTestApp, type TestApp } from "../test/app.js";
import { TestBrowser } from "../test/browser.js";
import { postEvidence, seedEvidenceFile } from "../test/evidenceFiles.js";
import { pdfDocument } from "../test/evidenceFixtures.js";
import { type FakeSynapse, startFakeSynapse } from "../test/fakeSynapse.js";
import { createStaffMember } from "../test/staff.js";
import { issueLinkToken, type LinkPurpose } from "../tokens.js";

const LANGUAGES = ["en", "de", "fr", "en-XA"] as const satisfies readonly Language[];
const HOUR_MS = 60 * 60 * 1000;

// The data this test puts in. In the pseudo-language these are the only plain words a page may show.
const APPLICANT_NAME = "Wren Applicant";
const APPLICANT_EMAIL_DOMAIN = "example.org";
const MATRIX_ID = "@wren:example.org";
const STATEMENT = "I know Mara from birdwatching.";
const REQUEST_REASON = "Please tell us who referred you.";
const REJECTION_REASON = "Nobody could vouch for you.";
const TEAM_MESSAGE = "Which chapter did you meet Mara at?";
const APPLICANT_MESSAGE = "At the Lisbon meeting.";
const FILE_NAME = "passport.pdf";
/** Uploads that are refused, by their names (and a name's extension, which a refusal quotes). */
const REFUSED_FILE_NAMES = ["page.html", "scan.png", ".png"];
const FILE_NOTE = "Page two is the visa.";
const REFEREE_EMAIL = "mara.referee@example.org";
const RELATIONSHIP = "My choir leader";
const NOTICE_TEXT = "Custom notice for this test.\n\nSecond paragraph of the test notice.";
const NOTICE_VERSION = "test-notice-3";
const REGISTRATION_URL = "https://element.example.org/#/register";
const KNOWN_FOR = "Ten years";
/** What the test types into forms to see their errors: data too, however it looks. */
const TYPED = {
  tooLong: "x".repeat(5001),
  nameTooLong: "x".repeat(101),
  noteTooLong: "x".repeat(1001),
  notAnAddress: "not-an-address",
  matrixIdWithoutServer: "wren",
  tooShortPhone: "12",
} as const;

let synapse: FakeSynapse;
let testApp: TestApp;
let noticeDir: string;
let pseudo: Translator;
let staffId: string;

before(async () => {
  synapse = await startFakeSynapse();
  noticeDir = await mkdtemp(path.join(tmpdir(), "vp-notice-"));
  const noticeFile = path.join(noticeDir, "notice.txt");
  await writeFile(noticeFile, NOTICE_TEXT);
  testApp = await startTestApp({
    env: {
      LANGUAGES: LANGUAGES.join(","),
      ...synapse.environment(),
      MATRIX_BOT_ACCESS_TOKEN: synapse.botToken,
      MATRIX_REGISTRATION_URL: REGISTRATION_URL,
      // One text for every offered language: it is the operator's data, never checked for plain words.
      PRIVACY_NOTICE_FILE: noticeFile,
      PRIVACY_NOTICE_FILE_DE: noticeFile,
      PRIVACY_NOTICE_FILE_FR: noticeFile,
      PRIVACY_NOTICE_VERSION: NOTICE_VERSION,
      NEW_CASE_NOTIFICATIONS: "off",
      // Each browser below comes from its own address (X-Forwarded-For), as different people do, so that
      // the per-address limits of the link pages are not what the pages show.
      TRUSTED_PROXIES: "loopback",
    },
    // The pages no request here can provoke on purpose: an unexpected failure and an outage.
    extend: (app) => {
      app.use(async (ctx, next) => {
        if (ctx.path === "/test/unexpected-failure") throw new Error("a bug in the code");
        if (ctx.path === "/test/outage") throw serviceUnavailable(30);
        if (ctx.path === "/test/forbidden") throw new HttpError(403, "forbidden", "errors.message.forbidden");
        await next();
      });
    },
  });
  pseudo = (await loadTranslators(testApp.config.languages)).for("en-XA");
  staffId = (await createStaffMember(testApp.db, testApp.config, { role: "VETTING_AGENT" })).id;
  // Sign-in link requests from one address are limited per hour; the 429 page is one of the pages.
  const browser = new TestBrowser(testApp.baseUrl);
  browser.headers["x-forwarded-for"] = LIMITED_ADDRESS;
  await browser.get("/apply/sign-in");
  for (let request = 0; request < 20; request += 1) {
    const sent = await browser.post("/apply/sign-in", {
      email: `nobody${request}@${APPLICANT_EMAIL_DOMAIN}`,
    });
    assert.equal(sent.response.status, 303);
  }
});
after(async () => {
  await testApp?.close();
  await synapse?.close();
  await rm(noticeDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------------
// Seeding

let caseCount = 0;

interface SeededCase {
  id: string;
  number: string;
  email: string;
}

async function createCase(
  state: CaseState,
  options: { isIncomplete?: boolean; language?: string } = {},
): Promise<SeededCase> {
  caseCount += 1;
  const email = `wren${caseCount}@${APPLICANT_EMAIL_DOMAIN}`;
  const now = new Date();
  const isSubmitted = state !== "DRAFT";
  const row = await testApp.db.vettingCase.create({
    data: {
      state,
      origin: options.isIncomplete ? "STAFF" : "APPLICANT",
      fullName: APPLICANT_NAME,
      email,
      matrixId: MATRIX_ID,
      statement: options.isIncomplete ? "" : STATEMENT,
      language: options.language ?? "en",
      // A case staff opened has no consent yet; the workspace asks for it.
      privacyNoticeVersion: options.isIncomplete ? null : NOTICE_VERSION,
      privacyConsentAt: options.isIncomplete ? null : now,
      emailConfirmedAt: now,
      ...(isSubmitted ? { submittedAt: now, lastSubmittedAt: now } : {}),
      ...(state === "APPROVED" || state === "REJECTED" ? { decidedAt: now } : {}),
      ...(state === "WITHDRAWN" ? { withdrawnAt: now } : {}),
    },
    select: { id: true, number: true },
  });
  return { id: row.id, number: formatCaseNumber(row.number), email };
}

async function issueLink(
  purpose: LinkPurpose,
  subject: { type: string; id: string },
  options: { isExpired?: boolean; isUsed?: boolean } = {},
): Promise<string> {
  const { id, token } = await testApp.db.$transaction((tx) =>
    issueLinkToken(tx, {
      purpose,
      subject,
      lifetimeMs: HOUR_MS,
      now: options.isExpired ? new Date(Date.now() - 2 * HOUR_MS) : new Date(),
    }),
  );
  if (options.isUsed) await testApp.db.linkToken.update({ where: { id }, data: { usedAt: new Date() } });
  return token;
}

/** The address that asked for too many sign-in links (see before()). */
const LIMITED_ADDRESS = "192.0.2.200";
let addressCount = 0;

/**
 * A browser that chose `language` with the switcher (the cookie), holding a session for the case, from
 * an address of its own (or `address`).
 */
async function applicantBrowser(language: Language, caseId?: string, address?: string): Promise<TestBrowser> {
  const browser = new TestBrowser(testApp.baseUrl);
  addressCount += 1;
  browser.headers["x-forwarded-for"] =
    address ?? `198.51.${Math.floor(addressCount / 250)}.${(addressCount % 250) + 1}`;
  browser.cookies.set("language", language);
  if (caseId) {
    const { token } = await testApp.db.$transaction((tx) =>
      startApplicantSession(tx, { config: testApp.config, caseId }),
    );
    browser.cookies.set(applicantCookieName(testApp.config), token);
  }
  return browser;
}

/** A comment shown to the applicant, and (when the case was asked for more) the request and a reply. */
async function seedConversation(caseId: string, decision: "REQUEST_MORE_INFORMATION" | "REJECT" | null) {
  await testApp.db.caseComment.create({
    data: { caseId, authorId: staffId, body: TEAM_MESSAGE, isVisibleToApplicant: true },
  });
  if (!decision) return;
  const decided = await testApp.db.caseDecision.create({
    data: {
      caseId,
      kind: decision,
      decidedById: staffId,
      reason: decision === "REJECT" ? REJECTION_REASON : REQUEST_REASON,
      isReasonSharedWithApplicant: true,
    },
    select: { id: true },
  });
  if (decision === "REQUEST_MORE_INFORMATION") {
    await testApp.db.caseReply.create({
      data: { caseId, body: APPLICANT_MESSAGE, answersDecisionId: decided.id },
    });
  }
}

async function seedRegistrationToken(
  state: "PENDING" | "CREATED" | "FAILED" | "REVOKED",
  options: { isExpired?: boolean } = {},
): Promise<string> {
  const secret = `regtoken-${Math.random().toString(36).slice(2)}`;
  const key = testApp.config.staff.totpKey;
  const row = await testApp.db.registrationToken.create({
    data: {
      personName: APPLICANT_NAME,
      personEmail: `token@${APPLICANT_EMAIL_DOMAIN}`,
      tokenSealed: sealRegistrationToken(key, secret),
      tokenLookup: registrationTokenLookup(key, secret),
      state,
      expiresAt: new Date(Date.now() + (options.isExpired ? -HOUR_MS : 30 * 24 * HOUR_MS)),
      createdById: staffId,
      ...(state === "REVOKED" ? { revokedAt: new Date() } : {}),
      ...(state === "FAILED" ? { failedAt: new Date() } : {}),
    },
    select: { id: true },
  });
  revealedSecrets.push(secret);
  return issueLink("registration_token_reveal", { type: "registration_token", id: row.id });
}
/** The registration token strings a page may show: data, not words. */
const revealedSecrets: string[] = [];

async function seedReference(caseId: string): Promise<string> {
  const reference = await testApp.db.caseReference.create({
    data: { caseId, refereeEmail: REFEREE_EMAIL, relationship: RELATIONSHIP },
    select: { id: true },
  });
  return issueLink("reference_request", { type: "case_reference", id: reference.id });
}

async function seedMatrixIdProofLink(caseId: string, options: { isUsed?: boolean } = {}): Promise<string> {
  const token = await issueLink("matrix_id_proof", { type: "vetting_case", id: caseId }, options);
  const link = await testApp.db.linkToken.findFirstOrThrow({
    where: { purpose: "matrix_id_proof", subjectId: caseId },
    orderBy: { createdAt: "desc" },
    select: { id: true, expiresAt: true },
  });
  await testApp.db.matrixIdProofRequest.create({
    data: {
      caseId,
      matrixId: MATRIX_ID,
      status: "SENT",
      linkTokenId: link.id,
      attempts: 1,
      sentAt: new Date(),
      roomId: "!room:example.org",
    },
  });
  return token;
}

// ---------------------------------------------------------------------------------------------------
// The pages

interface Visited {
  response: Response;
  html: string;
}

interface PageVisit {
  label: string;
  status: number;
  visit(language: Language): Promise<Visited>;
}

const get = (browser: TestBrowser, path: string) => browser.get(path);

/** A page that a browser in `language` reaches by GET, with no session. */
/** The registration token's page for a token in `state`: opened, or revealed (its form sent). */
function tokenPage(
  label: string,
  status: number,
  state: "PENDING" | "CREATED" | "FAILED" | "REVOKED",
  options: { isExpired?: boolean; isRevealed?: boolean } = {},
): PageVisit {
  return {
    label,
    status,
    visit: async (language) => {
      const browser = await applicantBrowser(language);
      const path = `/registration-token/${await seedRegistrationToken(state, { isExpired: options.isExpired })}`;
      return options.isRevealed ? submit(browser, path, {}) : get(browser, path);
    },
  };
}

function publicPage(label: string, path: string, status = 200): PageVisit {
  return { label, status, visit: async (language) => get(await applicantBrowser(language), path) };
}

/** GET a form, then POST it (with that page's CSRF token). */
async function submit(
  browser: TestBrowser,
  formPath: string,
  fields: Record<string, string>,
  postPath = formPath,
): Promise<Visited> {
  await browser.get(formPath);
  return browser.post(postPath, fields);
}

/** A workspace page of a case seeded for each visit. */
function casePage(
  label: string,
  status: number,
  state: CaseState,
  visit: (browser: TestBrowser, seeded: SeededCase) => Promise<Visited>,
  options: { isIncomplete?: boolean; prepare?: (seeded: SeededCase) => Promise<void> } = {},
): PageVisit {
  return {
    label,
    status,
    visit: async (language) => {
      const seeded = await createCase(state, options);
      await options.prepare?.(seeded);
      return visit(await applicantBrowser(language, seeded.id), seeded);
    },
  };
}

const NOTICES = [
  "confirmed",
  "signed_in",
  "saved",
  "unchanged",
  "submitted",
  "resubmitted",
  "withdrawn",
  "replied",
] as const;

const APPLICANT_LINKS = [
  ["email confirmation", "/apply/confirm", "email_confirmation"],
  ["sign-in link", "/apply/sign-in", "sign_in"],
  ["case invitation", "/apply/invitation", "case_invitation"],
  ["submitted for you", "/apply/submitted", "case_submitted_for_you"],
  ["email change confirmation", "/apply/new-address", "case_email_change"],
] as const;

function pages(): PageVisit[] {
  const list: PageVisit[] = [
    // Public pages.
    publicPage("home (how it works)", "/"),
    publicPage("apply form", "/apply"),
    {
      label: "apply form with every field missing",
      status: 422,
      visit: async (language) =>
        submit(await applicantBrowser(language), "/apply", {
          fullName: "",
          email: "",
          matrixId: "",
          phone: "",
          statement: "",
        }),
    },
    {
      label: "apply form with every field wrong",
      status: 422,
      visit: async (language) =>
        submit(await applicantBrowser(language), "/apply", {
          fullName: TYPED.nameTooLong,
          email: TYPED.notAnAddress,
          matrixId: TYPED.matrixIdWithoutServer,
          phone: TYPED.tooShortPhone,
          statement: TYPED.tooLong,
        }),
    },
    publicPage("application sent", "/apply/sent"),
    publicPage("email me a link", "/apply/sign-in"),
    publicPage("email me a link, session ended", "/apply/sign-in?expired=1"),
    publicPage("email me a link, signed out", "/apply/sign-in?signed-out=1"),
    {
      label: "email me a link with a wrong address",
      status: 422,
      visit: async (language) =>
        submit(await applicantBrowser(language), "/apply/sign-in", { email: TYPED.notAnAddress }),
    },
    {
      label: "email me a link, too many requested (429)",
      status: 429,
      visit: async (language) =>
        submit(await applicantBrowser(language, undefined, LIMITED_ADDRESS), "/apply/sign-in", {
          email: `someone@${APPLICANT_EMAIL_DOMAIN}`,
        }),
    },
    publicPage("link sent", "/apply/sign-in/sent"),
    publicPage("privacy notice", "/privacy"),
    // Error pages.
    publicPage("not found (404)", "/no-such-page", 404),
    publicPage("forbidden (403)", "/test/forbidden", 403),
    publicPage("unexpected failure (500)", "/test/unexpected-failure", 500),
    publicPage("outage (503)", "/test/outage", 503),
    {
      label: "a form without its CSRF token (403)",
      status: 403,
      visit: async (language) => {
        const browser = await applicantBrowser(language);
        await browser.get("/apply");
        browser.csrfToken = "";
        return browser.post("/apply/sign-in", { email: `someone@${APPLICANT_EMAIL_DOMAIN}` });
      },
    },
    {
      label: "the switcher sent a language it does not offer (400)",
      status: 400,
      visit: async (language) =>
        submit(await applicantBrowser(language), "/", { language: "tlh", returnTo: "/" }, "/language"),
    },
    {
      label: "a method the address does not take (405)",
      status: 405,
      visit: async (language) => {
        const browser = await applicantBrowser(language);
        const response = await fetch(`${testApp.baseUrl}/apply/sent`, {
          method: "DELETE",
          headers: { cookie: browser.cookieHeader(), accept: "text/html" },
        });
        return { response, html: await response.text() };
      },
    },
    {
      label: "a form larger than any form of ours (413)",
      status: 413,
      visit: async (language) => {
        const browser = await applicantBrowser(language);
        await browser.get("/apply");
        return browser.post("/apply/sign-in", { email: TYPED.notAnAddress, padding: "x".repeat(100_000) });
      },
    },
    {
      label: "a form sent as JSON (415)",
      status: 415,
      visit: async (language) => {
        const browser = await applicantBrowser(language);
        const response = await fetch(`${testApp.baseUrl}/apply`, {
          method: "POST",
          headers: { cookie: browser.cookieHeader(), accept: "text/html", "content-type": "text/xml" },
          body: "<apply/>",
        });
        return { response, html: await response.text() };
      },
    },
    {
      label: "the workspace without a session",
      status: 200,
      visit: async (language) => {
        const browser = await applicantBrowser(language);
        const redirected = await browser.get("/application");
        assert.equal(redirected.response.headers.get("location"), "/apply/sign-in?expired=1");
        return browser.get("/apply/sign-in?expired=1");
      },
    },
  ];

  // The pages behind the emailed links that open the workspace, and why a link may not work.
  for (const [name, prefix, purpose] of APPLICANT_LINKS) {
    list.push(
      casePage(`${name} link`, 200, "DRAFT", async (browser, seeded) =>
        get(browser, `${prefix}/${await issueLink(purpose, { type: "vetting_case", id: seeded.id })}`),
      ),
      casePage(`${name} link, expired`, 410, "DRAFT", async (browser, seeded) =>
        get(
          browser,
          `${prefix}/${await issueLink(purpose, { type: "vetting_case", id: seeded.id }, { isExpired: true })}`,
        ),
      ),
      casePage(`${name} link, used`, 410, "DRAFT", async (browser, seeded) =>
        get(
          browser,
          `${prefix}/${await issueLink(purpose, { type: "vetting_case", id: seeded.id }, { isUsed: true })}`,
        ),
      ),
    );
  }
  list.push(
    publicPage("a link nobody issued", `/apply/sign-in/${"A".repeat(43)}`, 404),
    casePage("email change confirmed", 200, "SUBMITTED", async (browser, seeded) => {
      await testApp.db.vettingCase.update({
        where: { id: seeded.id },
        data: { pendingEmail: `new-${seeded.email}` },
      });
      const token = await issueLink("case_email_change", { type: "vetting_case", id: seeded.id });
      return submit(browser, `/apply/new-address/${token}`, {});
    }),
  );

  // The workspace in every state of a case, with what each state adds.
  for (const state of CASE_STATES) {
    list.push(
      casePage(`workspace, ${state}`, 200, state, (browser) => get(browser, "/application"), {
        prepare: (seeded) =>
          seedConversation(
            seeded.id,
            state === "MORE_INFORMATION_REQUESTED"
              ? "REQUEST_MORE_INFORMATION"
              : state === "REJECTED"
                ? "REJECT"
                : null,
          ),
      }),
    );
  }
  list.push(
    casePage(
      "workspace of a case opened by staff, details missing",
      200,
      "DRAFT",
      (browser) => get(browser, "/application"),
      { isIncomplete: true },
    ),
    ...NOTICES.map((notice) =>
      casePage(`workspace notice ${notice}`, 200, "DRAFT", (browser) =>
        get(browser, `/application?done=${notice}`),
      ),
    ),
    casePage("workspace, details with mistakes", 422, "DRAFT", (browser) =>
      submit(
        browser,
        "/application",
        { fullName: "", matrixId: TYPED.matrixIdWithoutServer, phone: TYPED.tooShortPhone, statement: "" },
        "/application/details",
      ),
    ),
    casePage(
      "workspace, submitting without details and consent",
      422,
      "DRAFT",
      (browser) => submit(browser, "/application", {}, "/application/submit"),
      { isIncomplete: true },
    ),
    casePage("workspace, submitting twice", 409, "SUBMITTED", (browser) =>
      submit(browser, "/application", {}, "/application/submit"),
    ),
    casePage("workspace, editing once submitted", 409, "SUBMITTED", (browser) =>
      submit(
        browser,
        "/application",
        { fullName: APPLICANT_NAME, matrixId: "", phone: "", statement: STATEMENT },
        "/application/details",
      ),
    ),
    casePage("workspace, a message too long", 422, "IN_REVIEW", (browser) =>
      submit(browser, "/application", { message: TYPED.tooLong }, "/application/messages"),
    ),
    casePage("workspace, a message once decided", 409, "APPROVED", (browser) =>
      submit(browser, "/application", { message: APPLICANT_MESSAGE }, "/application/messages"),
    ),
    casePage("workspace, withdrawing once decided", 409, "APPROVED", (browser) =>
      get(browser, "/application/withdraw"),
    ),
    casePage("withdraw?", 200, "SUBMITTED", (browser) => get(browser, "/application/withdraw")),
    casePage("workspace, Matrix ID proof sent", 200, "DRAFT", (browser) => get(browser, "/application"), {
      prepare: async (seeded) => {
        await seedMatrixIdProofLink(seeded.id);
      },
    }),
    casePage("workspace, Matrix ID proof failed", 200, "DRAFT", (browser) => get(browser, "/application"), {
      prepare: async (seeded) => {
        await testApp.db.matrixIdProofRequest.create({
          data: {
            caseId: seeded.id,
            matrixId: MATRIX_ID,
            status: "FAILED",
            attempts: 3,
            failure: "unknown_user",
            failedAt: new Date(),
          },
        });
      },
    }),
    casePage("workspace, Matrix ID proved", 200, "SUBMITTED", (browser) => get(browser, "/application"), {
      prepare: async (seeded) => {
        await testApp.db.vettingCase.update({
          where: { id: seeded.id },
          data: { matrixIdVerifiedAt: new Date(), matrixIdVerifiedId: MATRIX_ID },
        });
      },
    }),
    // The Matrix ID proof link.
    casePage("Matrix ID proof link", 200, "DRAFT", async (browser, seeded) =>
      get(browser, `/apply/matrix-id/${await seedMatrixIdProofLink(seeded.id)}`),
    ),
    casePage("Matrix ID proof link, used", 410, "DRAFT", async (browser, seeded) =>
      get(browser, `/apply/matrix-id/${await seedMatrixIdProofLink(seeded.id, { isUsed: true })}`),
    ),
    {
      label: "Matrix ID proof link, signed out (403)",
      status: 403,
      visit: async (language) => {
        const seeded = await createCase("DRAFT");
        return get(
          await applicantBrowser(language),
          `/apply/matrix-id/${await seedMatrixIdProofLink(seeded.id)}`,
        );
      },
    },
    casePage("Matrix ID proof link of another application (403)", 403, "DRAFT", async (browser) => {
      const other = await createCase("DRAFT");
      return get(browser, `/apply/matrix-id/${await seedMatrixIdProofLink(other.id)}`);
    }),
    casePage("Matrix ID proof link, Matrix ID changed", 410, "DRAFT", async (browser, seeded) => {
      const token = await seedMatrixIdProofLink(seeded.id);
      await testApp.db.vettingCase.update({
        where: { id: seeded.id },
        data: { matrixId: "@other:example.org" },
      });
      return get(browser, `/apply/matrix-id/${token}`);
    }),
    // Evidence.
    casePage(
      "evidence, draft with a file",
      200,
      "DRAFT",
      (browser) => get(browser, "/application/evidence"),
      {
        prepare: seedFile,
      },
    ),
    casePage("evidence, submitted", 200, "SUBMITTED", (browser) => get(browser, "/application/evidence"), {
      prepare: seedFile,
    }),
    ...(["added", "added_metadata_removed", "deleted"] as const).map((notice) =>
      casePage(`evidence notice ${notice}`, 200, "DRAFT", (browser) =>
        get(browser, `/application/evidence?done=${notice}`),
      ),
    ),
    casePage("evidence, no file chosen", 400, "DRAFT", (browser) => upload(browser, [])),
    casePage("evidence, a file of a type not accepted", 400, "DRAFT", (browser) =>
      upload(browser, [
        { name: "page.html", type: "text/html", bytes: Buffer.from("<html><body>hi</body></html>") },
      ]),
    ),
    casePage("evidence, a name that lies about the content", 400, "DRAFT", (browser) =>
      upload(browser, [{ name: "scan.png", type: "image/png", bytes: pdfDocument("Scan") }]),
    ),
    casePage("evidence, a note too long", 400, "DRAFT", (browser) =>
      upload(
        browser,
        [{ name: FILE_NAME, type: "application/pdf", bytes: pdfDocument("Passport") }],
        TYPED.noteTooLong,
      ),
    ),
    casePage("evidence, adding once submitted", 409, "SUBMITTED", (browser) =>
      upload(browser, [{ name: FILE_NAME, type: "application/pdf", bytes: pdfDocument("Passport") }]),
    ),
    casePage("delete this file?", 200, "DRAFT", async (browser, seeded) =>
      get(browser, `/application/evidence/${await seedFileId(seeded)}/delete`),
    ),
    casePage("deleting a file once submitted", 409, "SUBMITTED", async (browser, seeded) =>
      get(browser, `/application/evidence/${await seedFileId(seeded)}/delete`),
    ),
    casePage("a file that is not there (404)", 404, "DRAFT", (browser) =>
      get(browser, "/application/evidence/00000000-0000-4000-8000-000000000000/delete"),
    ),
    // Referees.
    casePage("referees", 200, "SUBMITTED", (browser) => get(browser, "/application/referees"), {
      prepare: async (seeded) => {
        await seedReference(seeded.id);
      },
    }),
    casePage("referees, named", 200, "SUBMITTED", (browser) =>
      get(browser, "/application/referees?done=requested"),
    ),
    casePage("referees, form with mistakes", 422, "SUBMITTED", (browser) =>
      submit(browser, "/application/referees", { refereeEmail: TYPED.notAnAddress, relationship: "" }),
    ),
    casePage("referees, naming once decided", 409, "APPROVED", (browser) =>
      submit(browser, "/application/referees", { refereeEmail: REFEREE_EMAIL, relationship: RELATIONSHIP }),
    ),
    casePage("referee's page", 200, "SUBMITTED", async (browser, seeded) =>
      get(browser, `/reference/${await seedReference(seeded.id)}`),
    ),
    casePage("referee's page with mistakes", 422, "SUBMITTED", async (browser, seeded) =>
      submit(browser, `/reference/${await seedReference(seeded.id)}`, { answer: "vouch" }),
    ),
    casePage("referee vouched", 200, "SUBMITTED", async (browser, seeded) =>
      submit(browser, `/reference/${await seedReference(seeded.id)}`, {
        answer: "vouch",
        knownHow: RELATIONSHIP,
        knownFor: KNOWN_FOR,
        statement: "",
      }),
    ),
    casePage("referee declined", 200, "SUBMITTED", async (browser, seeded) =>
      submit(browser, `/reference/${await seedReference(seeded.id)}`, { answer: "decline" }),
    ),
    publicPage("referee's link nobody issued", `/reference/${"A".repeat(43)}`, 404),
    // The registration token's pages.
    publicPage("registration token: new link", "/registration-token/new-link"),
    {
      label: "registration token: new link with a wrong address",
      status: 422,
      visit: async (language) =>
        submit(await applicantBrowser(language), "/registration-token/new-link", {
          email: TYPED.notAnAddress,
        }),
    },
    publicPage("registration token: new link sent", "/registration-token/new-link/sent"),
    tokenPage("registration token link", 200, "CREATED"),
    tokenPage("registration token revealed", 200, "CREATED", { isRevealed: true }),
    tokenPage("registration token still being made", 200, "PENDING"),
    tokenPage("registration token FAILED", 410, "FAILED"),
    tokenPage("registration token REVOKED", 410, "REVOKED"),
    tokenPage("registration token expired", 410, "CREATED", { isExpired: true }),
    publicPage("registration token link nobody issued", `/registration-token/${"A".repeat(43)}`, 404),
  );
  return list;
}

async function seedFile(seeded: SeededCase): Promise<void> {
  await seedFileId(seeded);
}

const seededHashes: string[] = [];

async function seedFileId(seeded: SeededCase): Promise<string> {
  const file = await seedEvidenceFile(testApp, {
    caseId: seeded.id,
    bytes: pdfDocument("Passport"),
    displayName: FILE_NAME,
    mediaType: "application/pdf",
    note: FILE_NOTE,
  });
  seededHashes.push(file.sha256);
  return file.id;
}

async function upload(
  browser: TestBrowser,
  files: { name: string; type: string; bytes: Buffer }[],
  note?: string,
): Promise<Visited> {
  await browser.get("/application/evidence");
  const response = await postEvidence(`${testApp.baseUrl}/application/evidence`, {
    cookie: browser.cookieHeader(),
    csrfToken: browser.csrfToken,
    files,
    ...(note !== undefined ? { note } : {}),
  });
  return { response, html: await response.text() };
}

// ---------------------------------------------------------------------------------------------------
// Reading a page

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name.startsWith("#x") || name.startsWith("#X"))
      return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
    if (name.startsWith("#")) return String.fromCodePoint(Number(name.slice(1)));
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

/**
 * What a person sees or hears of the page: the title and the text between tags, plus the attributes a
 * browser shows or a screen reader says (alt, title, aria-label, placeholder, a button's value).
 */
function visibleTextOf(html: string): string {
  const withoutCode = html
    .replace(/<!doctype[^>]*>/i, " ")
    .replace(/<!--[\s\S]*?-->/g, " ")
    .replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, " ");
  const spoken: string[] = [];
  for (const tag of withoutCode.match(/<[a-z][^>]*>/gi) ?? []) {
    for (const [, , value] of tag.matchAll(/\s(alt|title|aria-label|placeholder)="([^"]*)"/gi)) {
      spoken.push(value ?? "");
    }
    if (/^<input\b/i.test(tag) && /\stype="(submit|button|reset)"/i.test(tag)) {
      spoken.push(/\svalue="([^"]*)"/i.exec(tag)?.[1] ?? "");
    }
  }
  return decodeEntities(`${withoutCode.replace(/<[^>]+>/g, " ")} ${spoken.join(" ")}`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Dates are Intl's words, not the catalog's: a pattern for every date and time the pseudo-language's
 * formatter writes, built from the formatter itself (any day, month name, year and time).
 */
function intlDatePattern(translator: Translator): RegExp {
  const sample = new Date(Date.UTC(2031, 10, 23, 17, 45));
  const months = Array.from({ length: 12 }, (_, month) =>
    new Intl.DateTimeFormat("en-GB", { month: "long", timeZone: "UTC" }).format(
      new Date(Date.UTC(2031, month, 1)),
    ),
  );
  const generalise = (formatted: string) =>
    escapeRegExp(formatted)
      .replace("23", "\\d{1,2}")
      .replace(months[10] ?? "November", `(?:${months.join("|")})`)
      .replace("2031", "\\d{4}")
      .replace("17:45", "\\d{2}:\\d{2}");
  return new RegExp(`${generalise(translator.dateTime(sample))}|${generalise(translator.date(sample))}`, "g");
}

/** Each word of plain ASCII letters left once the test's own data and Intl's dates are taken out. */
function plainWordsIn(text: string, knownValues: readonly string[], datePattern: RegExp): string[] {
  // Email addresses the test made up (numbered per case) and case numbers, before anything inside them is.
  let rest = text
    .replace(/https?:\/\/\S+/g, " ")
    .replace(/[\w.+-]+@[\w.-]+/g, " ")
    .replace(/\bVC-\d+\b/g, " ")
    .replace(datePattern, " ");
  for (const value of [...knownValues].sort((a, b) => b.length - a.length))
    rest = rest.replaceAll(value, " ");
  return (rest.match(/\p{L}+/gu) ?? []).filter((word) => /^[A-Za-z]+$/.test(word));
}

/** The words around the first occurrence of `word`, to find it in a template. */
function contextOf(text: string, word: string): string {
  const at =
    new RegExp(`(?<![A-Za-z])${escapeRegExp(word)}(?![A-Za-z])`).exec(text)?.index ?? text.indexOf(word);
  return text
    .slice(Math.max(0, at - 40), at + word.length + 40)
    .replace(/\s+/g, " ")
    .trim();
}

const langOf = (html: string) => /<html lang="([^"]+)"/.exec(html)?.[1];

// ---------------------------------------------------------------------------------------------------

/**
 * Visits every page in every language and returns what is wrong: pages whose lang or Content-Language is
 * not the language chosen, and (in the pseudo-language) every plain word with the text around it.
 */
async function checkPages(
  app: TestApp,
  list: readonly PageVisit[],
): Promise<{ languageProblems: string[]; findings: string[]; visited: number }> {
  const datePattern = intlDatePattern(pseudo);
  const knownValues = [
    APPLICANT_NAME,
    STATEMENT,
    REQUEST_REASON,
    REJECTION_REASON,
    TEAM_MESSAGE,
    APPLICANT_MESSAGE,
    FILE_NAME,
    FILE_NOTE,
    RELATIONSHIP,
    KNOWN_FOR,
    MATRIX_ID,
    ...REFUSED_FILE_NAMES,
    ...Object.values(TYPED),
    NOTICE_VERSION,
    ...NOTICE_TEXT.split("\n\n"),
    app.config.site.name,
    app.config.site.communityName,
    ...Object.values(LANGUAGE_NAMES),
    // File formats are names, and Intl lists them with its own "or".
    pseudo.orList(EVIDENCE_TYPES.map((type) => type.label)),
    ...EVIDENCE_TYPES.map((type) => type.label),
  ];
  const findings: string[] = [];
  const languageProblems: string[] = [];
  let visited = 0;
  for (const page of list) {
    for (const language of LANGUAGES) {
      const label = `${language} ${page.label}`;
      const { response, html } = await page.visit(language);
      if (response.status !== page.status) languageProblems.push(`${label}: status ${response.status}`);
      if (!/^text\/html/.test(response.headers.get("content-type") ?? "")) {
        languageProblems.push(`${label}: ${response.headers.get("content-type")}, not a page`);
      }
      visited += 1;
      if (langOf(html) !== language) languageProblems.push(`${label}: <html lang="${langOf(html)}">`);
      if (response.headers.get("content-language") !== language) {
        languageProblems.push(`${label}: Content-Language ${response.headers.get("content-language")}`);
      }
      if (language !== "en-XA") continue;
      const text = visibleTextOf(html);
      const pageValues = [
        ...knownValues,
        ...seededHashes,
        ...revealedSecrets,
        response.headers.get("x-request-id") ?? "",
        // The methods an address takes are HTTP's names (the 405 page lists them).
        ...(response.headers.get("allow") ?? "").split(/,\s*/),
      ].filter(Boolean);
      const words = [...new Set(plainWordsIn(text, pageValues, datePattern))];
      if (words.length > 0) {
        findings.push(
          `${page.label} (${page.status}):\n${words.map((word) => `    ${word}   …${contextOf(text, word)}…`).join("\n")}`,
        );
      }
    }
  }
  return { languageProblems, findings, visited };
}

/** One failure that lists every page answered wrongly and every plain word, so all are fixed at once. */
function assertNoProblems(outcome: { languageProblems: string[]; findings: string[] }): void {
  const report = [
    ...(outcome.languageProblems.length > 0
      ? ["Pages that did not answer as expected, or not in their language:", ...outcome.languageProblems]
      : []),
    ...(outcome.findings.length > 0
      ? [
          `${outcome.findings.length} applicant pages show words that bypassed the catalogs (in en-XA):`,
          ...outcome.findings,
        ]
      : []),
  ];
  assert.equal(report.length, 0, report.join("\n"));
}

describe("every applicant page in every language", () => {
  test("in the pseudo-language every word of every applicant page comes from the catalogs, and every page says its language", async () => {
    const list = pages();
    const outcome = await checkPages(testApp, list);
    assert.equal(outcome.visited, list.length * LANGUAGES.length);
    assertNoProblems(outcome);
  });

  test("the check can fail: in English the same page is plain words, and dates are Intl's", async () => {
    const { html } = await get(await applicantBrowser("en"), "/apply");
    const words = plainWordsIn(visibleTextOf(html), [], intlDatePattern(pseudo));
    assert.ok(words.includes("application"), words.join(" "));
    const date = pseudo.dateTime(new Date("2026-03-07T09:05:00Z"));
    assert.deepEqual(plainWordsIn(`[Ƒīīŀḗḗḓ] ${date}`, [], intlDatePattern(pseudo)), []);
    assert.deepEqual(plainWordsIn(`[Ƒīīŀḗḗḓ] ${date} by hand`, [], intlDatePattern(pseudo)), ["by", "hand"]);
  });
});

describe("the upload script's answers in every language", () => {
  test("the upload form carries the script's messages from the catalogs, in the page's language", async () => {
    const messagesIn = async (language: Language) => {
      const { html } = await get(
        await applicantBrowser(language, (await createCase("DRAFT")).id),
        "/application/evidence",
      );
      // Autoescaped like any attribute: the JSON's own quotes are entities, so the value ends at its quote.
      const attribute = /\sdata-messages="([^"]*)"/.exec(html)?.[1];
      assert.ok(attribute, `${language}: the form has data-messages`);
      return JSON.parse(decodeEntities(attribute)) as Record<string, unknown>;
    };
    const german = await messagesIn("de");
    assert.equal(german.locale, "de-DE");
    assert.equal(german.dropZoneChoose, "Dateien auswählen");
    assert.equal(german.tooLarge, "Diese Datei ist {size} groß: Die Grenze liegt bei 20 MB je Datei.");
    assert.equal(german.notAccepted, "Dies ist keine Datei vom Typ PDF, PNG, JPEG, GIF oder WebP.");
    assert.deepEqual(german.stillUploading, {
      one: "{count} Datei wird noch hochgeladen.",
      other: "{count} Dateien werden noch hochgeladen.",
    });
    const french = await messagesIn("fr");
    assert.deepEqual((french.fileSize as Record<string, unknown>).MB, {
      one: "{size} Mo",
      many: "{size} Mo",
      other: "{size} Mo",
    });

    // In the pseudo-language every word of every message is accented, once the script's placeholders
    // and the file formats' names are taken out.
    const pseudoMessages = await messagesIn("en-XA");
    assert.equal(pseudoMessages.locale, "en-GB");
    const { locale: _locale, ...messages } = pseudoMessages;
    const leavesOf = (value: unknown): string[] =>
      typeof value === "string"
        ? [value]
        : value && typeof value === "object"
          ? Object.values(value).flatMap(leavesOf)
          : [];
    const leaves = leavesOf(messages);
    assert.ok(leaves.length > 40, `${leaves.length} messages`);
    const known = [pseudo.orList(EVIDENCE_TYPES.map((type) => type.label))];
    const plain = leaves.flatMap((text) =>
      plainWordsIn(text.replace(/\{\w+\}/g, " "), known, intlDatePattern(pseudo)).map(
        (word) => `${word} in “${text}”`,
      ),
    );
    assert.deepEqual(plain, []);
  });

  test("a refused upload's JSON says why in the page's language, file by file", async () => {
    const answers: Record<string, { message: string; files: { fileName: string; message: string }[] }> = {};
    for (const language of LANGUAGES) {
      const seeded = await createCase("DRAFT");
      const browser = await applicantBrowser(language, seeded.id);
      await browser.get("/application/evidence");
      const response = await postEvidence(`${testApp.baseUrl}/application/evidence`, {
        cookie: browser.cookieHeader(),
        csrfToken: browser.csrfToken,
        files: [{ name: "scan.png", type: "image/png", bytes: pdfDocument("Scan") }],
        json: true,
        headers: browser.headers,
      });
      assert.equal(response.status, 400, language);
      answers[language] = ((await response.json()) as { error: (typeof answers)[string] }).error;
    }
    assert.equal(
      answers.de?.message,
      "„scan.png“ kann nicht angenommen werden. Der Name endet auf .png, aber der Inhalt ist ein PDF-Dokument.",
    );
    assert.deepEqual(
      answers.fr?.files.map((file) => file.fileName),
      ["scan.png"],
    );
    assert.match(answers.fr?.files[0]?.message ?? "", /^Le nom se termine par \.png/);
    const pseudoAnswer = answers["en-XA"];
    assert.ok(pseudoAnswer);
    const datePattern = intlDatePattern(pseudo);
    const known = [...REFUSED_FILE_NAMES, ...EVIDENCE_TYPES.map((type) => type.label)];
    assert.deepEqual(plainWordsIn(pseudoAnswer.message, known, datePattern), []);
    assert.deepEqual(plainWordsIn(pseudoAnswer.files[0]?.message ?? "", known, datePattern), []);
  });
});

describe("planned maintenance in every language", () => {
  const hoursFromNow = (hours: number) => new Date(Date.now() + hours * HOUR_MS).toISOString();
  let announcedApp: TestApp;
  let readOnlyApp: TestApp;
  before(async () => {
    announcedApp = await startTestApp({
      env: {
        LANGUAGES: LANGUAGES.join(","),
        MAINTENANCE_FROM: hoursFromNow(24),
        MAINTENANCE_UNTIL: hoursFromNow(26.5),
      },
    });
    readOnlyApp = await startTestApp({
      env: {
        LANGUAGES: LANGUAGES.join(","),
        MAINTENANCE_FROM: hoursFromNow(-1),
        MAINTENANCE_UNTIL: hoursFromNow(1),
        MAINTENANCE_READ_ONLY: "true",
      },
    });
  });
  after(async () => {
    await announcedApp.close();
    await readOnlyApp.close();
  });

  const fetchIn = async (app: TestApp, language: Language, path: string, init: RequestInit = {}) => {
    const response = await fetch(`${app.baseUrl}${path}`, {
      ...init,
      redirect: "manual",
      headers: { cookie: `language=${language}`, accept: "text/html", ...init.headers },
    });
    return { response, html: await response.text() };
  };

  test("the banner, announced and under way, and the refusal of a form say everything in the page's language", async () => {
    const list: PageVisit[] = [
      {
        label: "home, maintenance announced",
        status: 200,
        visit: (language) => fetchIn(announcedApp, language, "/"),
      },
      {
        label: "home, maintenance under way",
        status: 200,
        visit: (language) => fetchIn(readOnlyApp, language, "/"),
      },
      {
        label: "a form sent during maintenance (503)",
        status: 503,
        visit: (language) =>
          fetchIn(readOnlyApp, language, "/apply/sign-in", {
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded" },
            body: "email=someone%40example.org",
          }),
      },
    ];
    const outcome = await checkPages(announcedApp, list);
    for (const language of LANGUAGES) {
      const { html } = await fetchIn(announcedApp, language, "/");
      assert.match(html, /class="maintenance-banner"/, `${language}: the banner is there to check`);
    }
    assertNoProblems(outcome);
  });
});
