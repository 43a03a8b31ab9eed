// Which language a page speaks: the browser's Accept-Language on a first visit, the switcher's choice
// (a POST with the CSRF token, remembered in a cookie) after that, and English on staff pages.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { loadForm, postForm, startTestApp, type TestApp } from "../../test/app.js";

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
