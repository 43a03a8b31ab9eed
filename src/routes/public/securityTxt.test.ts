// /.well-known/security.txt (RFC 9116) over HTTP against the real app: the fields from config, exactly;
// text/plain in UTF-8 under the same security headers and the same request limits as any page (no
// stricter tier); a 404 when no contact is configured; and what the configuration accepts and refuses.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ConfigError, loadConfig } from "../../config.js";
import { startTestApp, type TestApp } from "../../test/app.js";

const DAY_MS = 86_400_000;
/** A date (YYYY-MM-DD) this many days from now. */
const dateIn = (days: number) => new Date(Date.now() + days * DAY_MS).toISOString().slice(0, 10);

describe("with a contact configured", () => {
  let testApp: TestApp;
  const expires = dateIn(200);
  before(async () => {
    testApp = await startTestApp({
      env: {
        PUBLIC_URL: "https://vetting.example.org",
        SECURITY_CONTACT: "mailto:security@example.org, https://example.org/security",
        SECURITY_TXT_EXPIRES: expires,
        SECURITY_TXT_PREFERRED_LANGUAGES: "en, de",
      },
    });
  });
  after(() => testApp.close());

  test("serves the RFC 9116 fields from config, as UTF-8 plain text", async () => {
    const response = await fetch(`${testApp.baseUrl}/.well-known/security.txt`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(
      await response.text(),
      [
        "Contact: mailto:security@example.org",
        "Contact: https://example.org/security",
        `Expires: ${expires}T00:00:00.000Z`,
        "Preferred-Languages: en, de",
        "Canonical: https://vetting.example.org/.well-known/security.txt",
        "",
      ].join("\n"),
    );
  });

  test("under the same security headers and request limits as any page, nothing stricter", async () => {
    const [securityTxt, home] = await Promise.all([
      fetch(`${testApp.baseUrl}/.well-known/security.txt`),
      fetch(`${testApp.baseUrl}/`),
    ]);
    for (const header of [
      "content-security-policy",
      "x-content-type-options",
      "referrer-policy",
      "cross-origin-opener-policy",
      "cross-origin-resource-policy",
    ]) {
      assert.ok(securityTxt.headers.get(header), `${header} is sent`);
    }
    assert.equal(securityTxt.headers.get("x-content-type-options"), "nosniff");
    assert.equal(securityTxt.headers.get("ratelimit-policy"), home.headers.get("ratelimit-policy"));
    assert.match(securityTxt.headers.get("ratelimit-policy") ?? "", /^"minute";q=\d+;w=60, /);
  });

  test("HEAD answers too; other methods do not", async () => {
    const head = await fetch(`${testApp.baseUrl}/.well-known/security.txt`, { method: "HEAD" });
    assert.equal(head.status, 200);
    const post = await fetch(`${testApp.baseUrl}/.well-known/security.txt`, { method: "POST" });
    assert.ok(post.status === 405 || post.status === 403, `POST: ${post.status}`);
  });
});

describe("without a contact", () => {
  let testApp: TestApp;
  before(async () => {
    testApp = await startTestApp();
  });
  after(() => testApp.close());

  test("the address is a plain 404", async () => {
    const response = await fetch(`${testApp.baseUrl}/.well-known/security.txt`);
    assert.equal(response.status, 404);
    assert.doesNotMatch(await response.text(), /Contact:/);
  });
});

describe("the configuration", () => {
  const problemsOf = (env: Record<string, string>): string[] => {
    try {
      loadConfig({ NODE_ENV: "test", ...env });
      return [];
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
  };

  test("a contact needs an expiry, and an expiry or languages need a contact", () => {
    assert.deepEqual(problemsOf({ SECURITY_CONTACT: "mailto:security@example.org" }), [
      "SECURITY_TXT_EXPIRES: required with SECURITY_CONTACT, a date less than a year ahead",
    ]);
    assert.deepEqual(problemsOf({ SECURITY_TXT_EXPIRES: dateIn(30) }), [
      "SECURITY_CONTACT: required with SECURITY_TXT_EXPIRES or SECURITY_TXT_PREFERRED_LANGUAGES",
    ]);
  });

  test("contacts are mailto:, https:// or tel: URIs", () => {
    const expires = dateIn(30);
    assert.deepEqual(
      problemsOf({
        SECURITY_CONTACT: "mailto:a@example.org,tel:+44-20-7946-0000",
        SECURITY_TXT_EXPIRES: expires,
      }),
      [],
    );
    const [problem] = problemsOf({
      SECURITY_CONTACT: "security@example.org, http://example.org/security, mailto:not an address",
      SECURITY_TXT_EXPIRES: expires,
    });
    assert.equal(
      problem,
      "SECURITY_CONTACT: each entry must be a mailto:, https:// or tel: URI, e.g. mailto:security@example.org (not: security@example.org, http://example.org/security, mailto:not an address)",
    );
  });

  test("the expiry is a real date or RFC 3339 time, less than a year ahead; a past one is served stale", () => {
    const contact = { SECURITY_CONTACT: "mailto:security@example.org" };
    for (const bad of ["2027-02-30", "next year", "2027-06-30 12:00", "1780000000"]) {
      assert.deepEqual(problemsOf({ ...contact, SECURITY_TXT_EXPIRES: bad }), [
        "SECURITY_TXT_EXPIRES: must be a date (2027-06-30) or an RFC 3339 time (2027-06-30T12:00:00Z)",
      ]);
    }
    assert.deepEqual(problemsOf({ ...contact, SECURITY_TXT_EXPIRES: dateIn(366) }), [
      "SECURITY_TXT_EXPIRES: must be less than a year ahead (RFC 9116), so the file is reviewed yearly",
    ]);
    const time = new Date(Date.now() + 10 * DAY_MS).toISOString().replace(/\.\d{3}Z$/, "+02:00");
    assert.deepEqual(problemsOf({ ...contact, SECURITY_TXT_EXPIRES: time }), []);
    // A routine restart after the date must not take the portal down over its security.txt.
    const stale = loadConfig({ NODE_ENV: "test", ...contact, SECURITY_TXT_EXPIRES: dateIn(-3) });
    assert.equal(stale.securityTxt?.expiresAt.toISOString(), `${dateIn(-3)}T00:00:00.000Z`);
  });

  test("languages are language tags", () => {
    assert.deepEqual(
      problemsOf({
        SECURITY_CONTACT: "mailto:security@example.org",
        SECURITY_TXT_EXPIRES: dateIn(30),
        SECURITY_TXT_PREFERRED_LANGUAGES: "en, English please",
      }),
      ["SECURITY_TXT_PREFERRED_LANGUAGES: must be language tags separated by commas, e.g. en, de"],
    );
  });
});
