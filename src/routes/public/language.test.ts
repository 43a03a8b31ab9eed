// Which language a page speaks: the browser's Accept-Language on a first visit, the switcher's choice
// (a POST with the CSRF token, remembered in a cookie) after that, and English on staff pages.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { applicantCookieName, startApplicantSession } from "../../applicantSessions.js";
import { loadForm, postForm, startTestApp, type TestApp } from "../../test/app.js";
import { TestBrowser } from "../../test/browser.js";
import { truncateTables } from "../../test/reset.js";

const langOf = (html: string) => /<html lang="([^"]+)"/.exec(html)?.[1];

describe("the page's language", () => {
  let testApp: TestApp;
  before(async () => {
    testApp = await startTestApp();
  });
  after(() => testApp.close());

  test("a first visit follows Accept-Language, and says so in lang, Content-Language and Vary", async () => {
    for (const [header, expected] of [
      ["de-CH,de;q=0.9,en;q=0.5", "de"],
      ["fr-FR", "fr"],
      ["ja, it;q=0.5", "en"],
      ["", "en"],
    ] as const) {
      const response = await fetch(`${testApp.baseUrl}/`, {
        headers: header ? { "accept-language": header } : {},
      });
      assert.equal(langOf(await response.text()), expected, header);
      assert.equal(response.headers.get("content-language"), expected);
      assert.match(response.headers.get("vary") ?? "", /Accept-Language/i);
    }
  });

  test("the switcher's choice is remembered and wins over the browser's", async () => {
    const { cookie, csrfToken, html } = await loadForm(`${testApp.baseUrl}/apply`);
    assert.match(html, /<button[^>]+name="language" value="de" lang="de">Deutsch<\/button>/);
    const response = await postForm(
      `${testApp.baseUrl}/language`,
      { _csrf: csrfToken, language: "fr", returnTo: "/apply?from=switcher" },
      { cookie },
    );
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), "/apply?from=switcher");
    const languageCookie = response.headers.getSetCookie().find((line) => line.startsWith("language="));
    assert.match(
      languageCookie ?? "",
      /^language=fr; path=\/; expires=[^;]+ 202[7-9][^;]*; samesite=lax; httponly$/i,
    );
    const page = await fetch(`${testApp.baseUrl}/apply`, {
      headers: { cookie: `${cookie}; language=fr`, "accept-language": "de" },
    });
    const pageHtml = await page.text();
    assert.equal(langOf(pageHtml), "fr");
    assert.match(
      pageHtml,
      /<span class="language-switcher__current" lang="fr" aria-current="true">Français<\/span>/,
    );
  });

  test("an application is stored with the language of the page it was sent from", async () => {
    const { cookie, csrfToken } = await loadForm(`${testApp.baseUrl}/apply`);
    const response = await postForm(
      `${testApp.baseUrl}/apply`,
      {
        _csrf: csrfToken,
        fullName: "Grete Bewerberin",
        email: "grete@example.org",
        matrixId: "",
        phone: "",
        statement: "Ich möchte beitreten.",
        consent: "yes",
      },
      { cookie, "accept-language": "de-AT,de;q=0.9" },
    );
    assert.equal(response.status, 303);
    const stored = await testApp.db.vettingCase.findFirstOrThrow({ where: { email: "grete@example.org" } });
    assert.equal(stored.language, "de");
  });

  test("a page in German says what is wrong with the application in German", async () => {
    const { cookie, csrfToken } = await loadForm(`${testApp.baseUrl}/apply`);
    const response = await postForm(
      `${testApp.baseUrl}/apply`,
      { _csrf: csrfToken, fullName: " ", email: "kein-at-zeichen", matrixId: "", phone: "12", statement: "" },
      { cookie, "accept-language": "de" },
    );
    assert.equal(response.status, 422);
    const html = await response.text();
    assert.equal(langOf(html), "de");
    assert.match(html, /<title>Fehler: Bei [^<]+ bewerben — /);
    assert.match(html, /<h2 class="error-summary__title" id="error-summary-title">Es gibt ein Problem<\/h2>/);
    for (const [field, message] of [
      ["fullName", "Geben Sie Ihren vollständigen Namen ein."],
      ["email", "Geben Sie eine E-Mail-Adresse wie name@example.org ein."],
      [
        "phone",
        "Geben Sie eine Telefonnummer im internationalen Format ein, beginnend mit + und der Ländervorwahl (etwa +49 30 901820), oder lassen Sie das Feld leer.",
      ],
      ["statement", "Sagen Sie uns, warum Sie beitreten möchten."],
      [
        "consent",
        "Setzen Sie das Häkchen, um dem Datenschutzhinweis zuzustimmen; ohne Zustimmung können wir Ihren Antrag nicht bearbeiten.",
      ],
    ]) {
      assert.ok(
        html.includes(`id="${field}-error"><span class="visually-hidden">Fehler: </span>${message}</p>`),
        `${field}: ${message}`,
      );
      assert.ok(html.includes(`<li><a href="#${field}">${message}</a></li>`), `summary: ${field}`);
    }
    assert.doesNotMatch(html, /validation\./, "no catalog id shows");
    assert.equal(await testApp.db.vettingCase.count({ where: { email: "kein-at-zeichen" } }), 0);
  });

  describe("a signed-in applicant", () => {
    async function signedInApplicant(language: string) {
      await truncateTables(testApp.db, ["vetting_cases", "applicant_sessions", "audit_events"]);
      const vettingCase = await testApp.db.vettingCase.create({
        data: {
          state: "DRAFT",
          origin: "APPLICANT",
          fullName: "Zoé Candidate",
          email: "zoe@example.org",
          statement: "Je connais Mara.",
          language,
          privacyNoticeVersion: "built-in-1",
          privacyConsentAt: new Date(),
          emailConfirmedAt: new Date(),
        },
        select: { id: true },
      });
      const { token } = await testApp.db.$transaction((tx) =>
        startApplicantSession(tx, { config: testApp.config, caseId: vettingCase.id }),
      );
      const browser = new TestBrowser(testApp.baseUrl);
      browser.cookies.set(applicantCookieName(testApp.config), token);
      return { caseId: vettingCase.id, browser };
    }

    test("sees their workspace in the case's language when the browser holds no choice", async () => {
      const { browser } = await signedInApplicant("fr");
      browser.headers["accept-language"] = "de";
      const page = await browser.get("/application");
      assert.equal(page.response.status, 200);
      assert.equal(langOf(page.html), "fr");
      assert.equal(page.response.headers.get("content-language"), "fr");
      assert.match(page.html, /<h1>Votre candidature [^<]+<\/h1>/);
      assert.match(page.html, /<dt>Statut<\/dt><dd><strong>Brouillon<\/strong><\/dd>/);
      // A choice made in this browser wins over the case's language.
      browser.cookies.set("language", "de");
      const chosen = await browser.get("/application");
      assert.equal(langOf(chosen.html), "de");
      assert.match(chosen.html, /<h1>Ihr Antrag [^<]+<\/h1>/);
    });

    test("changes their case's language with the switcher, with an audit row, so later emails follow", async () => {
      const { caseId, browser } = await signedInApplicant("en");
      await browser.get("/application");
      const switched = await browser.post("/language", { language: "de", returnTo: "/application" });
      assert.equal(switched.response.status, 303);
      assert.equal(switched.response.headers.get("location"), "/application");
      const stored = await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: caseId } });
      assert.equal(stored.language, "de");
      const audit = await testApp.db.auditEvent.findMany({
        where: { action: "case.language_changed", subjectId: caseId },
      });
      assert.equal(audit.length, 1);
      assert.deepEqual(audit[0]?.details, { from: "en", to: "de" });
      assert.equal(audit[0]?.actorLabel, "applicant");
      // The same choice again changes nothing and writes nothing.
      await browser.post("/language", { language: "de", returnTo: "/application" });
      assert.equal(await testApp.db.auditEvent.count({ where: { action: "case.language_changed" } }), 1);
      // Without the cookie (another device), the workspace speaks the case's new language.
      browser.cookies.delete("language");
      assert.equal(langOf((await browser.get("/application")).html), "de");
    });

    test("a visitor without a session changes only their own cookie", async () => {
      const { caseId } = await signedInApplicant("en");
      const { cookie, csrfToken } = await loadForm(`${testApp.baseUrl}/`);
      const response = await postForm(
        `${testApp.baseUrl}/language`,
        { _csrf: csrfToken, language: "fr", returnTo: "/" },
        { cookie },
      );
      assert.equal(response.status, 303);
      const stored = await testApp.db.vettingCase.findUniqueOrThrow({ where: { id: caseId } });
      assert.equal(stored.language, "en");
      assert.equal(await testApp.db.auditEvent.count({ where: { action: "case.language_changed" } }), 0);
    });
  });

  test("staff pages stay in English and offer no switcher", async () => {
    const response = await fetch(`${testApp.baseUrl}/staff/sign-in`, {
      headers: { cookie: "language=de", "accept-language": "de" },
    });
    const html = await response.text();
    assert.equal(langOf(html), "en");
    assert.doesNotMatch(html, /language-switcher/);
  });

  test("a language not offered, another site's address or a missing CSRF token is refused", async () => {
    const { cookie, csrfToken } = await loadForm(`${testApp.baseUrl}/`);
    for (const fields of [
      { language: "xx", returnTo: "/" },
      { language: "de", returnTo: "//evil.example/" },
      { language: "de", returnTo: "/\\evil.example/" },
      { language: "de", returnTo: "https://evil.example/" },
    ]) {
      const response = await postForm(
        `${testApp.baseUrl}/language`,
        { _csrf: csrfToken, ...fields },
        { cookie },
      );
      assert.equal(response.status, 400, JSON.stringify(fields));
      assert.equal(response.headers.getSetCookie().filter((line) => line.startsWith("language=")).length, 0);
    }
    const withoutToken = await postForm(`${testApp.baseUrl}/language`, { language: "de" }, { cookie });
    assert.equal(withoutToken.status, 403);
  });

  test("LANGUAGES limits what is offered; en-XA is refused in production", async () => {
    const { loadConfig, ConfigError } = await import("../../config.js");
    assert.deepEqual(loadConfig({ LANGUAGES: "fr, en" }).languages, ["fr", "en"]);
    assert.throws(
      () => loadConfig({ LANGUAGES: "en,tlh" }),
      (error) => error instanceof ConfigError && /LANGUAGES/.test(error.message),
    );
    assert.deepEqual(loadConfig({ LANGUAGES: "en,en-XA" }).languages, ["en", "en-XA"]);
  });
});
