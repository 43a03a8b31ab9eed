// The request limits over real sockets, against the real stores: exact counts under concurrency on one
// instance and across instances, the insurance limiter when the store stalls or stops, the 429 answer
// and its headers, what is exempt, and the stricter route tiers.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { buildAssetManifest } from "../assets.js";
import { rateLimitInsuranceDecisionCount, rateLimitRefusalCount } from "../security/requestLimits.js";
import { sessionCookieName } from "../sessions.js";
import { startTestApp, type TestApp } from "../test/app.js";
import { startPortal } from "../test/portalProcess.js";
import { freePort } from "../test/ports.js";
import { createTestDatabase, type TestDatabase } from "../test/postgres.js";
import { startTestRedisServer, type TestRedisServer } from "../test/redis.js";
import { createStaffMember, signedInCookie } from "../test/staff.js";
import { startTcpProxy, type TcpProxy } from "../test/tcpProxy.js";

/** Sends `count` requests at once; every body is read, so each answer is complete. */
async function burst(url: string, count: number, init: RequestInit = {}): Promise<Response[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const response = await fetch(url, { redirect: "manual", ...init });
      await response.arrayBuffer();
      return response;
    }),
  );
}

function statusCounts(responses: Response[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const response of responses) counts[response.status] = (counts[response.status] ?? 0) + 1;
  return counts;
}

// These tests are about counting, not failing over (that is tested below with its own timeout): on a
// loaded test machine a burst of first requests can keep a process busier than the production timeout.
const PATIENT_STORE = { RATE_LIMIT_STORE_TIMEOUT_MS: "5000" };

/** A client behind the trusted proxy (loopback): each test speaks as its own address. */
const from = (address: string, headers: Record<string, string> = {}) => ({
  headers: { "x-forwarded-for": address, ...headers },
});

const logLinesOf = (app: TestApp, event: string) => app.logLines().filter((line) => line.event === event);

/** Polls (a request each time) until the condition holds; gives up after about 15 s. */
async function eventually(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let attempt = 0; attempt < 150; attempt += 1) {
    if (await condition()) return;
    await sleep(100);
  }
  assert.fail(`never happened: ${what}`);
}

describe("on the Postgres store", () => {
  const LIMIT = 10;
  let database: TestDatabase;
  let proxy: TcpProxy;
  let app: TestApp;

  before(async () => {
    database = await createTestDatabase();
    const address = new URL(database.url);
    // The limiter's pool goes through a proxy that counts its round trips on the wire.
    proxy = await startTcpProxy({ host: address.hostname, port: Number(address.port) });
    app = await startTestApp({
      databaseUrl: database.url,
      rateLimitDatabaseUrl: proxy.proxiedUrl(database.url),
      env: {
        ...PATIENT_STORE,
        TRUSTED_PROXIES: "loopback",
        RATE_LIMIT_PER_MINUTE: String(LIMIT),
        RATE_LIMIT_PER_HOUR: "1000",
        RATE_LIMIT_PER_DAY: "5000",
        RATE_LIMIT_SIGN_IN: "3/minute,20/hour",
        RATE_LIMIT_CSP_REPORTS: "4/minute",
        RATE_LIMIT_CSP_REPORTS_ALL: "6/minute",
      },
    });
  });
  after(async () => {
    await app.close();
    await proxy.close();
    await database.drop();
  });
  const url = (path: string) => `${app.baseUrl}${path}`;

  test("exactly N of 5N parallel requests pass a limit of N; the refusal is logged once and counted", async () => {
    const refusalsBefore = rateLimitRefusalCount();
    const responses = await burst(url("/"), 5 * LIMIT, from("203.0.113.1"));
    assert.deepEqual(statusCounts(responses), { 200: LIMIT, 429: 4 * LIMIT });
    assert.equal(rateLimitRefusalCount() - refusalsBefore, 4 * LIMIT, "every refusal is counted");

    const logged = logLinesOf(app, "rate_limit_exceeded").filter((line) => line.client === "203.0.113.1");
    assert.equal(logged.length, 1, "one line for the key and window, not one per refusal");
    assert.equal(logged[0]?.category, "security");
    assert.equal(logged[0]?.policy, "minute");
    assert.equal(logged[0]?.limit, LIMIT);
    assert.equal(logged[0]?.decidedBy, "store");
    const stored = await app.db.rateLimit.findUnique({
      where: { key: "request_default_minute:203.0.113.1" },
    });
    assert.equal(stored?.points, 5 * LIMIT, "refused requests count too: hammering does not help");
  });

  test("one store round trip per request", async () => {
    await fetch(url("/"), from("203.0.113.2")); // the pool's connection is open and the statement prepared
    const before = proxy.postgresRoundTrips();
    for (let request = 0; request < 5; request += 1) {
      const response = await fetch(url("/"), from("203.0.113.2"));
      assert.equal(response.status, 200);
    }
    assert.equal(proxy.postgresRoundTrips() - before, 5);
  });

  test("a refusal carries Retry-After and the draft's RateLimit fields, exactly", async () => {
    for (let request = 1; request <= LIMIT; request += 1) {
      const allowed = await fetch(url("/"), from("203.0.113.3"));
      assert.equal(allowed.status, 200);
      assert.equal(
        allowed.headers.get("ratelimit-policy"),
        `"minute";q=${LIMIT};w=60, "hour";q=1000;w=3600, "day";q=5000;w=86400`,
      );
      const remaining = /^"minute";r=(\d+);t=(\d+)$/.exec(allowed.headers.get("ratelimit") ?? "");
      assert.ok(remaining, `RateLimit names the tightest window: ${allowed.headers.get("ratelimit")}`);
      assert.equal(Number(remaining[1]), LIMIT - request);
    }
    const sentAt = Date.now();
    const refused = await fetch(url("/"), from("203.0.113.3"));
    const receivedAt = Date.now();
    assert.equal(refused.status, 429);
    const stored = await app.db.rateLimit.findUnique({
      where: { key: "request_default_minute:203.0.113.3" },
    });
    const expire = Number(stored?.expire);
    const retryAfter = Number(refused.headers.get("retry-after"));
    // The server computed it between sending and receiving: ceil((expire - then) / 1000).
    assert.ok(
      retryAfter >= Math.ceil((expire - receivedAt) / 1000) &&
        retryAfter <= Math.ceil((expire - sentAt) / 1000),
      `Retry-After ${retryAfter} is the time left in the window`,
    );
    assert.equal(
      refused.headers.get("ratelimit"),
      `"minute";r=0;t=${retryAfter}`,
      "the same moment as Retry-After",
    );
    assert.equal(
      refused.headers.get("ratelimit-policy"),
      `"minute";q=${LIMIT};w=60, "hour";q=1000;w=3600, "day";q=5000;w=86400`,
    );
    assert.equal(refused.headers.get("x-ratelimit-limit"), null, "one header style only");
    assert.equal(refused.headers.get("cache-control"), "no-store");
  });

  test("the refusal is a page for browsers and JSON for JSON clients", async () => {
    await burst(url("/"), LIMIT, from("203.0.113.4"));
    const page = await fetch(url("/apply"), from("203.0.113.4", { accept: "text/html" }));
    assert.equal(page.status, 429);
    assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
    const html = await page.text();
    assert.match(html, /<h1>Too many requests<\/h1>/);
    assert.match(html, /Too many requests from your address\. Try again in \d+ seconds\./);
    assert.match(html, new RegExp(`Reference: <code>${page.headers.get("x-request-id")}</code>`));

    const json = await fetch(url("/apply"), from("203.0.113.4", { accept: "application/json" }));
    assert.equal(json.status, 429);
    const body = (await json.json()) as { error: Record<string, unknown> };
    assert.equal(body.error.status, 429);
    assert.equal(body.error.id, "rate_limited");
    assert.match(
      String(body.error.message),
      /^Too many requests from your address\. Try again in \d+ seconds\.$/,
    );
    assert.equal(body.error.requestId, json.headers.get("x-request-id"));
  });

  test("static files and health probes are exempt, and carry no RateLimit fields", async () => {
    await burst(url("/"), LIMIT + 1, from("203.0.113.5"));
    assert.equal((await fetch(url("/"), from("203.0.113.5"))).status, 429, "this client is over its limit");
    const stylesheet = buildAssetManifest().urlFor("css/app.css");
    for (const path of [stylesheet, "/healthz", "/readyz"]) {
      const responses = await burst(url(path), 3 * LIMIT, from("203.0.113.5"));
      assert.deepEqual(statusCounts(responses), { 200: 3 * LIMIT }, path);
      assert.equal(responses[0]?.headers.get("ratelimit"), null, path);
    }
  });

  test("the sign-in tier refuses before the every-request tier would", async () => {
    const signIn = () =>
      fetch(url("/staff/sign-in"), {
        method: "POST",
        redirect: "manual",
        headers: { "x-forwarded-for": "203.0.113.6", "content-type": "application/x-www-form-urlencoded" },
        body: "email=a%40example.org&password=wrong",
      });
    for (let attempt = 0; attempt < 3; attempt += 1) assert.notEqual((await signIn()).status, 429);
    const refused = await signIn();
    assert.equal(refused.status, 429);
    assert.match(refused.headers.get("ratelimit") ?? "", /^"sign-in-minute";r=0;t=\d+$/);
    assert.equal(
      refused.headers.get("ratelimit-policy"),
      `"minute";q=${LIMIT};w=60, "hour";q=1000;w=3600, "day";q=5000;w=86400, "sign-in-minute";q=3;w=60, "sign-in-hour";q=20;w=3600`,
    );
    // Other pages still answer this client (4 of its 10 requests a minute are used).
    assert.equal((await fetch(url("/"), from("203.0.113.6"))).status, 200);
    // Another spelling of the address reaches the same route, and the same tier.
    const shouted = await fetch(url("/STAFF/Sign-In/"), {
      method: "POST",
      redirect: "manual",
      headers: { "x-forwarded-for": "203.0.113.6", "content-type": "application/x-www-form-urlencoded" },
      body: "email=a%40example.org&password=wrong",
    });
    assert.equal(shouted.status, 429);
  });

  test("CSP reports have a tier per address and one for all addresses together", async () => {
    const report = (address: string) =>
      fetch(url("/csp-report"), {
        method: "POST",
        headers: { "x-forwarded-for": address, "content-type": "application/csp-report" },
        body: JSON.stringify({
          "csp-report": { "violated-directive": "img-src", "blocked-uri": "https://x.test" },
        }),
      });
    const first = [];
    for (let attempt = 0; attempt < 5; attempt += 1) first.push((await report("198.51.100.1")).status);
    assert.deepEqual(
      first.map((status) => status === 429),
      [false, false, false, false, true],
      "4 a minute per address",
    );
    // Five counted for everyone: one more from elsewhere fits the global 6, the next does not.
    assert.notEqual((await report("198.51.100.2")).status, 429);
    const refused = await report("198.51.100.3");
    assert.equal(refused.status, 429);
    assert.match(refused.headers.get("ratelimit") ?? "", /^"csp-reports-all-minute";r=0;t=\d+$/);
    const logged = logLinesOf(app, "rate_limit_exceeded").find(
      (line) => line.policy === "csp-reports-all-minute",
    );
    assert.equal(logged?.client, "all");
  });
});

describe("across two portal processes sharing the Postgres store", () => {
  test("exactly N of 5N parallel requests pass, and one of them logs the refusal", async () => {
    const LIMIT = 8;
    const database = await createTestDatabase();
    const dataRoot = await mkdtemp(path.join(tmpdir(), "vp-limits-"));
    const portals: ReturnType<typeof startPortal>[] = [];
    try {
      const ports = [await freePort(), await freePort()];
      for (const [index, port] of ports.entries()) {
        portals.push(
          startPortal({
            NODE_ENV: "test",
            DATABASE_URL: database.url,
            PORT: String(port),
            SMTP_HOST: "127.0.0.1",
            UPLOADS_DIR: path.join(dataRoot, `uploads-${index}`),
            LOG_LEVEL: "info",
            ...PATIENT_STORE,
            TRUSTED_PROXIES: "loopback",
            RATE_LIMIT_PER_MINUTE: String(LIMIT),
          }),
        );
      }
      await Promise.all(portals.map((portal) => portal.waitForOutput(/web server listening/)));
      // A first page from elsewhere, so that the burst does not also pay for compiling templates.
      for (const port of ports) await fetch(`http://127.0.0.1:${port}/`, from("192.0.2.99"));
      const responses = (
        await Promise.all(
          ports.map((port) => burst(`http://127.0.0.1:${port}/`, (5 * LIMIT) / 2, from("192.0.2.1"))),
        )
      ).flat();
      assert.deepEqual(statusCounts(responses), { 200: LIMIT, 429: 4 * LIMIT });
      // Stopped first, so that every line they wrote has arrived.
      for (const portal of portals) portal.child.kill("SIGTERM");
      await Promise.all(portals.map((portal) => portal.exited));
      const refusalLines = portals
        .flatMap((portal) => portal.output().split("\n"))
        .filter((line) => line.includes('"event":"rate_limit_exceeded"'));
      assert.equal(refusalLines.length, 1, refusalLines.join("\n"));
    } finally {
      for (const portal of portals) portal.child.kill("SIGTERM");
      await Promise.all(portals.map((portal) => portal.exited));
      await database.drop();
      await rm(dataRoot, { recursive: true, force: true });
    }
  });
});

describe("on the Redis store, two instances", () => {
  const LIMIT = 6;
  let redis: TestRedisServer;
  let first: TestApp;
  let second: TestApp;

  before(async () => {
    redis = await startTestRedisServer();
    const env = {
      ...PATIENT_STORE,
      RATE_LIMIT_STORE: "redis",
      REDIS_URL: redis.url,
      TRUSTED_PROXIES: "loopback",
      RATE_LIMIT_PER_MINUTE: String(LIMIT),
    };
    first = await startTestApp({ env });
    second = await startTestApp({ env });
  });
  after(async () => {
    await Promise.all([first.close(), second.close()]);
    await redis.stop();
  });

  test("exactly N of 5N parallel requests pass across both", async () => {
    const responses = (
      await Promise.all([
        burst(`${first.baseUrl}/`, (5 * LIMIT) / 2, from("192.0.2.10")),
        burst(`${second.baseUrl}/`, (5 * LIMIT) / 2, from("192.0.2.10")),
      ])
    ).flat();
    assert.deepEqual(statusCounts(responses), { 200: LIMIT, 429: 4 * LIMIT });
  });

  test("a healthy store's refusal is final: an instance that never saw the client refuses it too", async () => {
    const spent = await burst(`${first.baseUrl}/`, LIMIT, from("192.0.2.11"));
    assert.deepEqual(statusCounts(spent), { 200: LIMIT });
    const insuranceBefore = rateLimitInsuranceDecisionCount();
    // The second instance's in-memory limiter has never counted this client; the store has.
    assert.equal((await fetch(`${second.baseUrl}/`, from("192.0.2.11"))).status, 429);
    assert.equal(rateLimitInsuranceDecisionCount(), insuranceBefore, "the insurance limiter was not asked");
    assert.deepEqual(logLinesOf(second, "control_failure"), []);
  });

  test("when Redis stops, each instance limits in memory, logs the control failure once, and recovers", async () => {
    await redis.stop();
    const responses = await burst(`${first.baseUrl}/`, 5 * LIMIT, from("192.0.2.12"));
    assert.deepEqual(statusCounts(responses), { 200: LIMIT, 429: 4 * LIMIT }, "the limit still holds");
    assert.match(responses[0]?.headers.get("ratelimit-policy") ?? "", /^"minute";q=6;w=60/);
    // Requests go on failing over for a while: still one line.
    await burst(`${first.baseUrl}/`, 5, from("192.0.2.13"));
    const failures = logLinesOf(first, "control_failure");
    assert.equal(failures.length, 1, JSON.stringify(failures));
    assert.equal(failures[0]?.category, "security");
    assert.equal(failures[0]?.store, "redis");
    assert.equal(failures[0]?.level, 50, "logged as an error");

    await redis.restart();
    await eventually(async () => {
      await fetch(`${first.baseUrl}/`, from("192.0.2.14"));
      return logLinesOf(first, "control_restored").length === 1;
    }, "the instance uses Redis again");
    assert.equal(logLinesOf(first, "control_failure").length, 1);
  });
});

describe("on a Postgres store that stalls", () => {
  test("the insurance limiter decides after the timeout, limits hold, and the shared store takes over again", async () => {
    const LIMIT = 5;
    const database = await createTestDatabase();
    const address = new URL(database.url);
    const proxy = await startTcpProxy({ host: address.hostname, port: Number(address.port) });
    const app = await startTestApp({
      databaseUrl: database.url,
      rateLimitDatabaseUrl: proxy.proxiedUrl(database.url),
      env: {
        TRUSTED_PROXIES: "loopback",
        RATE_LIMIT_PER_MINUTE: String(LIMIT),
        RATE_LIMIT_STORE_TIMEOUT_MS: "200",
      },
    });
    const url = `${app.baseUrl}/`;
    try {
      assert.equal((await fetch(url, from("192.0.2.20"))).status, 200);
      assert.deepEqual(logLinesOf(app, "control_failure"), []);

      proxy.stall();
      const responses = await burst(url, 5 * LIMIT, from("192.0.2.21"));
      assert.deepEqual(statusCounts(responses), { 200: LIMIT, 429: 4 * LIMIT }, "the limit still holds");
      assert.equal((await fetch(url, from("192.0.2.21"))).status, 429);
      const failures = logLinesOf(app, "control_failure");
      assert.equal(failures.length, 1);
      assert.equal(failures[0]?.store, "postgres");
      assert.match(String((failures[0]?.err as { message?: string })?.message), /no answer within 200 ms/);
      const refusal = logLinesOf(app, "rate_limit_exceeded").find((line) => line.client === "192.0.2.21");
      assert.equal(refusal?.decidedBy, "insurance");

      proxy.resume();
      await eventually(async () => {
        await fetch(url, from("192.0.2.22"));
        return logLinesOf(app, "control_restored").length === 1;
      }, "the instance uses Postgres again");
      const pool = new pg.Pool({ connectionString: database.url, max: 1 });
      try {
        const counted = await pool.query("SELECT points FROM rate_limits WHERE key = $1", [
          "request_default_minute:192.0.2.22",
        ]);
        assert.ok(counted.rows.length === 1, "the shared store counts again");
      } finally {
        await pool.end();
      }
      assert.equal(logLinesOf(app, "control_failure").length, 1, "one control-failure line for the outage");
    } finally {
      proxy.resume();
      await app.close();
      await proxy.close();
      await database.drop();
    }
  });
});

describe("signed-in staff, counted per account across two instances", () => {
  const ADDRESS_LIMIT = 4;
  const STAFF_LIMIT = 6;
  let database: TestDatabase;
  let first: TestApp;
  let second: TestApp;

  before(async () => {
    database = await createTestDatabase();
    const env = {
      ...PATIENT_STORE,
      TRUSTED_PROXIES: "loopback",
      RATE_LIMIT_PER_MINUTE: String(ADDRESS_LIMIT),
      RATE_LIMIT_STAFF: `${STAFF_LIMIT}/minute,1000/hour`,
    };
    first = await startTestApp({ databaseUrl: database.url, env });
    second = await startTestApp({ databaseUrl: database.url, env });
  });
  after(async () => {
    await Promise.all([first.close(), second.close()]);
    await database.drop();
  });

  /** Half the requests to each instance, at once, from the given address with the given cookie. */
  async function acrossBoth(path: string, count: number, address: string, cookie?: string) {
    const init = from(address, cookie ? { cookie } : {});
    return (
      await Promise.all([
        burst(`${first.baseUrl}${path}`, count / 2, init),
        burst(`${second.baseUrl}${path}`, count / 2, init),
      ])
    ).flat();
  }

  test("reviewers behind one office address each get their own limit, shared by both instances", async () => {
    const office = "192.0.2.20";
    const [ada, grace] = await Promise.all([
      createStaffMember(first.db, first.config, { role: "VETTING_AGENT" }),
      createStaffMember(first.db, first.config, { role: "VETTING_AGENT" }),
    ]);
    const adaCookie = await signedInCookie(first.db, first.config, ada.id);
    const graceCookie = await signedInCookie(first.db, first.config, grace.id);

    // Ada: more than the address's 4, exactly her own 6, counted together on both instances.
    const adaResponses = await acrossBoth("/staff/profile", 2 * STAFF_LIMIT, office, adaCookie);
    assert.deepEqual(statusCounts(adaResponses), { 200: STAFF_LIMIT, 429: STAFF_LIMIT });
    const refused = adaResponses.find((response) => response.status === 429);
    assert.match(refused?.headers.get("ratelimit") ?? "", /^"staff-minute";r=0;t=\d+$/);
    assert.equal(
      refused?.headers.get("ratelimit-policy"),
      `"staff-minute";q=${STAFF_LIMIT};w=60, "staff-hour";q=1000;w=3600`,
    );

    // Grace, same address: her own budget, untouched by Ada's.
    const graceResponses = await acrossBoth("/staff/profile", STAFF_LIMIT, office, graceCookie);
    assert.deepEqual(statusCounts(graceResponses), { 200: STAFF_LIMIT });

    // The address itself was not spent by their work: a visitor from it still has all 4.
    const visitor = await acrossBoth("/", 2 * ADDRESS_LIMIT, office);
    assert.deepEqual(statusCounts(visitor), { 200: ADDRESS_LIMIT, 429: ADDRESS_LIMIT });
  });

  test("a cookie that names no live session counts against the address", async () => {
    const responses = await acrossBoth(
      "/",
      2 * ADDRESS_LIMIT,
      "192.0.2.21",
      `${sessionCookieName(first.config)}=${"x".repeat(43)}`,
    );
    assert.deepEqual(statusCounts(responses), { 200: ADDRESS_LIMIT, 429: ADDRESS_LIMIT });
  });
});
