// The footer's "Source code" link (AGPL section 13): on every page when SOURCE_URL is set, on none when
// it is not, and only an http(s) address is accepted.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ConfigError, loadConfig } from "../../config.js";
import { startTestApp, type TestApp } from "../../test/app.js";

const footerOf = (html: string) => /<footer class="site-footer">([\s\S]*?)<\/footer>/.exec(html)?.[1] ?? "";

describe("with SOURCE_URL set", () => {
  let testApp: TestApp;
  before(async () => {
    testApp = await startTestApp({ env: { SOURCE_URL: "https://git.example.org/vetting-portal?ref=a&b" } });
  });
  after(() => testApp.close());

  test("public, applicant and staff pages link to it from the footer, escaped", async () => {
    for (const path of ["/", "/apply", "/apply/sign-in", "/staff/sign-in", "/no-such-page"]) {
      const footer = footerOf(await (await fetch(`${testApp.baseUrl}${path}`)).text());
      assert.match(
        footer,
        /<a href="https:\/\/git\.example\.org\/vetting-portal\?ref=a&amp;b">Source code<\/a>/,
        path,
      );
    }
  });
});

describe("without SOURCE_URL", () => {
  let testApp: TestApp;
  before(async () => {
    testApp = await startTestApp();
  });
  after(() => testApp.close());

  test("no page has the link", async () => {
    const footer = footerOf(await (await fetch(`${testApp.baseUrl}/`)).text());
    assert.ok(footer.length > 0, "the page has its footer");
    assert.doesNotMatch(footer, /Source code/);
  });
});

test("only an http(s) address is accepted", () => {
  assert.throws(
    () => loadConfig({ SOURCE_URL: "javascript:alert(1)" }),
    (error) => error instanceof ConfigError && /SOURCE_URL/.test(error.message),
  );
  assert.equal(loadConfig({ SOURCE_URL: "" }).site.sourceUrl, null);
});
