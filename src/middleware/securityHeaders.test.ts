// CSP reporting: in production over https every response (pages and error pages alike) tells the browser
// where to report violations; anywhere else nothing is reported and the policy is otherwise the same.
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import Koa from "koa";
import { startTestApp, type TestApp } from "../test/app.js";
import { productionEnvironment } from "../test/httpsApp.js";
import { securityHeaders } from "./securityHeaders.js";

/** The policy's directives by name; the nonce (fresh per response) replaced so two policies compare. */
function directivesOf(response: Response): Record<string, string[]> {
  const policy = response.headers.get("content-security-policy") ?? "";
  return Object.fromEntries(
    policy
      .split(";")
      .map((part) => part.trim().split(/\s+/))
      .map(([name = "", ...values]) => [
        name,
        values.map((value) => value.replace(/^'nonce-[A-Za-z0-9+/=]+'$/, "'nonce-…'")),
      ]),
  );
}

const withoutReporting = (directives: Record<string, string[]>) =>
  Object.fromEntries(
    Object.entries(directives).filter(([name]) => name !== "report-uri" && name !== "report-to"),
  );

describe("CSP reporting", () => {
  let production: TestApp;
  let development: TestApp;
  before(async () => {
    [production, development] = await Promise.all([
      startTestApp({ env: productionEnvironment("https://vetting.example.org") }),
      startTestApp({
        env: {
          NODE_ENV: "development",
          PUBLIC_URL: "https://vetting.example.org",
          // Given, so that development does not generate and keep secrets of its own in .data/.
          SESSION_SECRET: "d".repeat(40),
          TOTP_ENCRYPTION_KEY: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        },
      }),
    ]);
  });
  after(async () => {
    await Promise.all([production?.close(), development?.close()]);
  });

  test("in production over https the CSP reports to /csp-report, named in Reporting-Endpoints with the public URL", async () => {
    for (const path of ["/", "/no/such/page"]) {
      const response = await fetch(`${production.baseUrl}${path}`);
      await response.text();
      const directives = directivesOf(response);
      assert.deepEqual(directives["report-uri"], ["/csp-report"], path);
      assert.deepEqual(directives["report-to"], ["csp"], path);
      assert.equal(
        response.headers.get("reporting-endpoints"),
        'csp="https://vetting.example.org/csp-report"',
        path,
      );
    }
  });

  test("in development nothing is reported, and the policy is otherwise the same as production's", async () => {
    const [developmentResponse, productionResponse] = await Promise.all([
      fetch(`${development.baseUrl}/`),
      fetch(`${production.baseUrl}/`),
    ]);
    await Promise.all([developmentResponse.text(), productionResponse.text()]);
    const developmentDirectives = directivesOf(developmentResponse);
    assert.equal(developmentDirectives["report-uri"], undefined);
    assert.equal(developmentDirectives["report-to"], undefined);
    assert.equal(developmentResponse.headers.get("reporting-endpoints"), null);
    assert.deepEqual(developmentDirectives, withoutReporting(directivesOf(productionResponse)));
  });
});

describe("CSP reporting needs an https public URL", () => {
  // Production configuration refuses an http:// PUBLIC_URL, so the middleware is mounted on its own to
  // show that it does not rely on that: reporting endpoints must be secure origins, so none is named.
  let server: http.Server;
  let baseUrl: string;
  before(async () => {
    const app = new Koa();
    app.use(securityHeaders({ isProduction: true, publicUrl: new URL("http://vetting.example.org") }));
    app.use((ctx) => {
      ctx.body = "ok";
    });
    server = http.createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test("production with an http:// public URL sends the policy without reporting", async () => {
    const response = await fetch(`${baseUrl}/`);
    await response.text();
    const directives = directivesOf(response);
    assert.deepEqual(directives["default-src"], ["'none'"], "the policy itself is sent");
    assert.equal(directives["report-uri"], undefined);
    assert.equal(directives["report-to"], undefined);
    assert.equal(response.headers.get("reporting-endpoints"), null);
    assert.equal(
      response.headers.get("strict-transport-security"),
      "max-age=63072000; includeSubDomains",
      "it is production",
    );
  });
});
