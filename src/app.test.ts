// The middleware stack over a real socket against a real database: request ids, the request log,
// security headers, error pages, static assets, health probes.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import Router from "@koa/router";
import { rateLimited } from "./errors.js";
import { startTestApp, type TestApp } from "./test/app.js";

let testApp: TestApp;

before(async () => {
  testApp = await startTestApp({
    extend(app) {
      // Conditions no real route produces yet: a crash carrying secrets, and a rate limit.
      const router = new Router();
      router.get("/test/crash", () => {
        throw new Error('relation "staff_users" violates constraint; password=hunter2');
      });
      router.get("/test/limited", () => {
        throw rateLimited(42);
      });
      app.use(router.routes());
    },
  });
});
after(() => testApp.close());

const url = (path: string) => `${testApp.baseUrl}${path}`;

describe("request ids and the request log", () => {
  test("a valid incoming X-Request-Id is honoured, echoed and logged", async () => {
    const response = await fetch(url("/healthz"), { headers: { "x-request-id": "edge-1234-abcd" } });
    assert.equal(response.headers.get("x-request-id"), "edge-1234-abcd");
    const line = testApp
      .logLines()
      .find((entry) => entry.requestId === "edge-1234-abcd" && entry.msg === "request");
    assert.ok(line, "the request was logged with its id");
    assert.equal(line.method, "GET");
    assert.equal(line.route, "/healthz");
    assert.equal(line.status, 200);
    assert.equal(typeof line.durationMs, "number");
    assert.equal(line.category, "http");
  });

  test("an invalid incoming id is replaced by a fresh UUID", async () => {
    const response = await fetch(url("/healthz"), { headers: { "x-request-id": "bad id\twith tab" } });
    assert.match(response.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
  });

  test("each request is logged exactly once, with tokens, cookies and control characters removed", async () => {
    const token = "Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXg";
    const response = await fetch(url(`/setup/${token}?reset_token=abc123`), {
      headers: {
        "x-request-id": "log-once-0001",
        cookie: "csrf=secret-seed-value",
        "user-agent": "evil\tagent",
      },
    });
    assert.equal(response.status, 404);
    const lines = testApp
      .logLines()
      .filter((entry) => entry.requestId === "log-once-0001" && entry.msg === "request");
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.route, "/setup/:token");
    assert.equal(lines[0]?.url, "/setup/[REDACTED]?reset_token=[REDACTED]");
    assert.equal(lines[0]?.userAgent, "evilagent");
    for (const secret of [token, "abc123", "secret-seed-value"]) {
      assert.ok(!testApp.logText().includes(secret), `${secret} must not reach the log`);
    }
  });
});

describe("security headers", () => {
  test("a strict CSP with a fresh nonce, and the other security headers", async () => {
    const [first, second] = await Promise.all([fetch(url("/")), fetch(url("/"))]);
    const csp = first.headers.get("content-security-policy") ?? "";
    const directives = Object.fromEntries(
      csp.split(";").map((part) => {
        const [name, ...values] = part.trim().split(/\s+/);
        return [name, values];
      }),
    );
    assert.deepEqual(directives["default-src"], ["'none'"]);
    assert.deepEqual(directives["style-src"], ["'self'"]);
    assert.deepEqual(directives["img-src"], ["'self'", "data:"]);
    assert.deepEqual(directives["object-src"], ["'none'"]);
    assert.deepEqual(directives["base-uri"], ["'none'"]);
    assert.deepEqual(directives["frame-ancestors"], ["'none'"]);
    assert.deepEqual(directives["form-action"], ["'self'"]);
    const nonceSource = directives["script-src"]?.[0] ?? "";
    const nonce = /^'nonce-([A-Za-z0-9+/=]+)'$/.exec(nonceSource)?.[1] ?? "";
    assert.ok(Buffer.from(nonce, "base64").length >= 16, "nonce carries at least 128 bits");
    assert.ok(!csp.includes("unsafe-inline") && !csp.includes("unsafe-eval"));
    assert.ok(!/report-(uri|to)/.test(csp), "no reporting directives in development");

    const secondNonce = /'nonce-([^']+)'/.exec(second.headers.get("content-security-policy") ?? "")?.[1];
    assert.notEqual(secondNonce, nonce, "each response has its own nonce");

    const h = first.headers;
    assert.equal(h.get("x-content-type-options"), "nosniff");
    assert.equal(h.get("referrer-policy"), "same-origin");
    assert.match(h.get("permissions-policy") ?? "", /camera=\(\)/);
    assert.equal(h.get("cross-origin-opener-policy"), "same-origin");
    assert.equal(h.get("cross-origin-resource-policy"), "same-origin");
    assert.equal(h.get("x-frame-options"), "DENY");
    assert.equal(h.get("x-powered-by"), null);
    assert.equal(h.get("strict-transport-security"), null, "no HSTS outside production");
    await Promise.all([first.text(), second.text()]);
  });

  test("the page uses no inline script, inline style or on* attribute", async () => {
    const html = await (await fetch(url("/"))).text();
    assert.ok(!/<script(?![^>]*\bsrc=)[^>]*>/i.test(html), "no inline <script>");
    assert.ok(!/<style/i.test(html), "no <style>");
    assert.ok(!/\sstyle=/i.test(html), "no style attributes");
    assert.ok(!/\son[a-z]+=/i.test(html), "no event-handler attributes");
  });

  test("HSTS is sent in production, and the development mailbox is never mounted there", async () => {
    const production = await startTestApp({
      devMailboxDir: "/nonexistent",
      env: {
        NODE_ENV: "production",
        PUBLIC_URL: "https://vetting.example.org",
        SESSION_SECRET: "p".repeat(40),
        MAIL_FROM_ADDRESS: "vetting@example.org",
        TOTP_ENCRYPTION_KEY: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
      },
    });
    try {
      const response = await fetch(`${production.baseUrl}/healthz`);
      assert.equal(response.headers.get("strict-transport-security"), "max-age=63072000; includeSubDomains");
      assert.equal((await fetch(`${production.baseUrl}/dev/mailbox`)).status, 404);
    } finally {
      await production.close();
    }
  });
});

describe("static assets", () => {
  test("hashed names are served with a year-long immutable cache; unhashed names are not served", async () => {
    const html = await (await fetch(url("/"))).text();
    const stylesheet = /href="(\/static\/css\/app\.[0-9a-f]{12}\.css)"/.exec(html)?.[1];
    assert.ok(stylesheet, "the layout links the hashed stylesheet");
    const response = await fetch(url(stylesheet));
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/css/);
    assert.equal(response.headers.get("cache-control"), "max-age=31536000,immutable");
    assert.ok((await response.text()).length > 100);
    assert.equal((await fetch(url("/static/css/app.css"))).status, 404);
    assert.equal((await fetch(url("/static/css/app.000000000000.css"))).status, 404);
  });
});

describe("error pages", () => {
  async function expectPage(response: Response, status: number, heading: RegExp) {
    assert.equal(response.status, status);
    assert.match(response.headers.get("content-type") ?? "", /^text\/html/);
    const html = await response.text();
    assert.match(html, heading);
    const requestId = response.headers.get("x-request-id") ?? "";
    assert.ok(html.includes(requestId), "the page shows the reference id");
    assert.ok(response.headers.get("content-security-policy"), "error pages carry the CSP");
    return html;
  }

  test("404 for an unknown address", async () => {
    await expectPage(await fetch(url("/no/such/page")), 404, /Page not found/);
  });

  test("405 with the allowed methods", async () => {
    const response = await fetch(url("/healthz"), { method: "DELETE" });
    assert.equal(response.headers.get("allow"), "HEAD, GET");
    await expectPage(response, 405, /Method not allowed/);
  });

  test("400 for a malformed JSON body", async () => {
    const response = await fetch(url(`/setup/${"A".repeat(43)}`), {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/html" },
      body: "{not json",
    });
    await expectPage(response, 400, /Bad request/);
  });

  test("403 for a form without a valid CSRF token or from another site", async () => {
    const withoutToken = await fetch(url(`/setup/${"A".repeat(43)}`), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "x=1",
    });
    const html = await expectPage(withoutToken, 403, /Not allowed/);
    assert.match(html, /This form has expired or did not come from this site/);
    const crossSite = await fetch(url(`/setup/${"A".repeat(43)}`), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example" },
      body: "x=1",
    });
    assert.match(await expectPage(crossSite, 403, /Not allowed/), /sent from another site/);
  });

  test("413 for a body over the form limit", async () => {
    const response = await fetch(url("/setup/x"), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `name=${"a".repeat(70 * 1024)}`,
    });
    await expectPage(response, 413, /Too large/);
  });

  test("415 for a content type no form accepts", async () => {
    const response = await fetch(url("/setup/x"), {
      method: "POST",
      headers: { "content-type": "text/xml" },
      body: "<a/>",
    });
    await expectPage(response, 415, /Unsupported content type/);
  });

  test("429 with Retry-After", async () => {
    const response = await fetch(url("/test/limited"));
    assert.equal(response.headers.get("retry-after"), "42");
    await expectPage(response, 429, /Too many requests/);
  });

  test("500 hides the error, shows the reference id, and logs the error under that id", async () => {
    const response = await fetch(url("/test/crash"));
    const html = await expectPage(response, 500, /Something went wrong/);
    assert.ok(!html.includes("staff_users") && !html.includes("hunter2"), "no error text");
    assert.doesNotMatch(html, /at .+:\d+:\d+/, "no stack trace");
    const requestId = response.headers.get("x-request-id");
    const logged = testApp
      .logLines()
      .find((entry) => entry.msg === "unexpected error" && entry.requestId === requestId);
    assert.ok(logged, "the error is logged with the request id");
    assert.match(JSON.stringify(logged.err), /violates constraint/);
  });

  test("JSON requests get JSON errors, never HTML or internals", async () => {
    const notFound = await fetch(url("/no/such/thing"), { headers: { accept: "application/json" } });
    assert.equal(notFound.status, 404);
    const body = (await notFound.json()) as { error: Record<string, unknown> };
    assert.deepEqual(Object.keys(body.error).sort(), ["id", "message", "requestId", "status"]);
    assert.equal(body.error.id, "not_found");
    assert.equal(body.error.requestId, notFound.headers.get("x-request-id"));

    const crash = await fetch(url("/test/crash"), { headers: { accept: "application/json" } });
    assert.equal(crash.status, 500);
    const crashBody = await crash.text();
    assert.deepEqual(Object.keys((JSON.parse(crashBody) as { error: object }).error).sort(), [
      "id",
      "message",
      "requestId",
      "status",
    ]);
    assert.ok(!crashBody.includes("staff_users") && !crashBody.includes("hunter2"));
  });
});

describe("health", () => {
  test("/healthz answers without touching anything", async () => {
    const response = await fetch(url("/healthz"));
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: "ok" });
  });

  test("/readyz checks database, migrations and uploads", async () => {
    const response = await fetch(url("/readyz"));
    assert.equal(response.status, 200);
    // The mail relay check (ok or degraded, never failing) is proven in routes/health/health.test.ts.
    const body = (await response.json()) as { failing: string[]; checks: Record<string, string> };
    assert.deepEqual(body.failing, []);
    assert.deepEqual(
      { database: body.checks.database, migrations: body.checks.migrations, uploads: body.checks.uploads },
      { database: "ok", migrations: "ok", uploads: "ok" },
    );
  });

  test("/readyz names a missing migration", async () => {
    await testApp.db.$executeRawUnsafe(
      `UPDATE _prisma_migrations SET migration_name = 'renamed_' || migration_name`,
    );
    try {
      const response = await fetch(url("/readyz"));
      assert.equal(response.status, 503);
      const body = (await response.json()) as { failing: string[] };
      assert.deepEqual(body.failing, ["migrations"]);
    } finally {
      await testApp.db.$executeRawUnsafe(
        `UPDATE _prisma_migrations SET migration_name = substr(migration_name, length('renamed_') + 1)`,
      );
    }
  });

  test("/version gives version and commit only", async () => {
    const body = (await (await fetch(url("/version"))).json()) as Record<string, string>;
    assert.deepEqual(Object.keys(body).sort(), ["commit", "version"]);
    assert.match(body.version ?? "", /^\d+\.\d+\.\d+/);
  });
});
