// Our security headers as two independent tools judge them, on real responses of the app configured as
// production: Google's CSP Evaluator on the Content-Security-Policy, and the MDN HTTP Observatory on the
// whole site served over https (a throwaway CA trusted for the scan) behind an http→https redirect.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Severity } from "csp_evaluator/dist/finding.js";
import { startTestApp, type TestApp } from "../test/app.js";
import { type HttpsTestApp, productionEnvironment, startHttpsTestApp } from "../test/httpsApp.js";
import { evaluateCsp, type ObservatoryScan, scanWithObservatory } from "../test/securityScanners.js";

describe("Google's CSP Evaluator", () => {
  let production: TestApp;
  before(async () => {
    production = await startTestApp({ env: productionEnvironment("https://vetting.example.org") });
  });
  after(() => production?.close());

  test("finds nothing of severity high, medium or high-maybe (or a syntax error) in the production policy, for browsers of every CSP version", async () => {
    const response = await fetch(`${production.baseUrl}/`);
    await response.text();
    const policy = response.headers.get("content-security-policy") ?? "";
    // The policy really is the production one, reporting directives included.
    assert.match(policy, /report-to csp/);

    const serious = new Set([Severity.HIGH, Severity.SYNTAX, Severity.MEDIUM, Severity.HIGH_MAYBE]);
    const evaluations = evaluateCsp(policy);
    const seriousFindings = evaluations.flatMap(({ version, findings }) =>
      findings
        .filter((finding) => serious.has(finding.severity))
        .map((finding) => `${version} ${finding.directive}: ${finding.description}`),
    );
    assert.deepEqual(seriousFindings, []);

    // What it does suggest, and why we leave it: the CSP1/CSP2 fallbacks ('unsafe-inline', https:)
    // would let old browsers run any inline or https: script (it rates that HIGH for them), and
    // Trusted Types are a hint, not a weakness. Pinned so that a new finding is looked at, not missed.
    const suggestions = new Set(
      evaluations.flatMap(({ findings }) =>
        findings.map((finding) => `${Severity[finding.severity]} ${finding.directive}`),
      ),
    );
    assert.deepEqual([...suggestions].sort(), ["INFO require-trusted-types-for", "STRICT_CSP script-src"]);
  });
});

describe("MDN HTTP Observatory", () => {
  let site: HttpsTestApp;
  let result: ObservatoryScan;
  before(async () => {
    site = await startHttpsTestApp();
    result = await scanWithObservatory(site.host, site.caCertificateFile);
  });
  after(() => site?.close());

  test("grades the portal A+ over https behind an http→https redirect on the same host", () => {
    const failing = Object.entries(result.tests)
      .filter(([, outcome]) => !outcome.pass || outcome.scoreModifier < 0)
      .map(([name, outcome]) => `${name}: ${outcome.result} (${outcome.scoreModifier})`);
    assert.deepEqual(failing, [], "no test failed or took points off");
    assert.equal(result.scan.grade, "A+");
    assert.ok(result.scan.score >= 100, `score ${result.scan.score}`);
  });

  test("scanned the real thing: a verified certificate, the redirect, HSTS, cookies and the production CSP", () => {
    // The redirection and HSTS results below are only given for a certificate the scanner verified.
    assert.equal(result.tests.redirection?.result, "redirection-to-https");
    assert.deepEqual(result.tests.redirection?.route, [`${site.httpUrl}/`, `${site.httpsUrl}/`]);
    assert.equal(
      result.tests["strict-transport-security"]?.result,
      "hsts-implemented-max-age-at-least-six-months",
    );
    // The home page sets the CSRF seed cookie (__Host-csrf: Secure, HttpOnly, SameSite=Lax).
    assert.equal(result.tests.cookies?.result, "cookies-secure-with-httponly-sessions-and-samesite");
    assert.equal(
      result.tests["content-security-policy"]?.result,
      "csp-implemented-with-no-unsafe-default-src-none",
    );
    assert.match(result.scan.responseHeaders["content-security-policy"] ?? "", /report-to csp/);
  });
});
