// The request limits' stores and limiter, without HTTP: one round trip per request whatever the number
// of windows, exact counts under concurrency, rate-limiter-flexible's window semantics, the tier table,
// client keys. (The middleware's behaviour over real sockets is in middleware/rateLimit.test.ts.)
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Redis } from "ioredis";
import pg from "pg";
import { loadConfig } from "../config.js";
import { captureLogs } from "../test/logs.js";
import { createTestDatabase, type TestDatabase } from "../test/postgres.js";
import { startTestRedisServer, type TestRedisServer } from "../test/redis.js";
import { startTcpProxy, type TcpProxy } from "../test/tcpProxy.js";
import {
  clientKey,
  createRequestLimiter,
  postgresCounterStore,
  type RequestCounterStore,
  redisCounterStore,
} from "./requestLimits.js";

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

let database: TestDatabase;
let proxy: TcpProxy;
let pool: pg.Pool;
let redisServer: TestRedisServer;
let redis: Redis;

before(async () => {
  database = await createTestDatabase();
  const address = new URL(database.url);
  proxy = await startTcpProxy({ host: address.hostname, port: Number(address.port) });
  pool = new pg.Pool({ connectionString: proxy.proxiedUrl(database.url), max: 5 });
  redisServer = await startTestRedisServer();
  redis = new Redis(redisServer.url, { enableOfflineQueue: false, lazyConnect: true });
  await redis.connect();
});
after(async () => {
  redis.disconnect();
  await redisServer.stop();
  await pool.end();
  await proxy.close();
  await database.drop();
});

const counters = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, index) => ({
    key: `${prefix}_${index}:192.0.2.1`,
    windowMs: index % 2 === 0 ? MINUTE_MS : HOUR_MS,
  }));

async function storedRow(key: string) {
  const result = await pool.query<{ points: number; expire: string }>(
    "SELECT points, expire FROM rate_limits WHERE key = $1",
    [key],
  );
  return result.rows[0];
}

describe("the Postgres store (rate_limits)", () => {
  test("counts seven windows in one round trip, the first use of a prepared statement included", async () => {
    const store = postgresCounterStore(pool);
    await pool.query("SELECT 1"); // opens a connection, so that only the counting is measured
    const before = proxy.postgresRoundTrips();
    await store.increment(counters("roundtrip_a", 7));
    assert.equal(proxy.postgresRoundTrips() - before, 1);

    const afterFirst = proxy.postgresRoundTrips();
    for (let request = 0; request < 10; request += 1) await store.increment(counters("roundtrip_b", 7));
    assert.equal(proxy.postgresRoundTrips() - afterFirst, 10, "one round trip per request");
  });

  test("gives each of 50 concurrent requests its own count: nothing lost, nothing counted twice", async () => {
    const store = postgresCounterStore(pool);
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => store.increment(counters("concurrent", 3))),
    );
    for (const key of ["concurrent_0:192.0.2.1", "concurrent_1:192.0.2.1", "concurrent_2:192.0.2.1"]) {
      const seen = answers.map((answer) => answer.get(key)?.points).sort((a, b) => (a ?? 0) - (b ?? 0));
      assert.deepEqual(
        seen,
        Array.from({ length: 50 }, (_, index) => index + 1),
      );
      assert.equal((await storedRow(key))?.points, 50);
    }
  });

  test("counts requests that arrive while a statement is on the wire together in the next one", async () => {
    const store = postgresCounterStore(pool);
    await pool.query("SELECT 1");
    const before = proxy.postgresRoundTrips();
    // The first goes alone; the 39 that arrive meanwhile (one client's, so the same keys) go in one more.
    const answers = await Promise.all(
      Array.from({ length: 40 }, () => store.increment(counters("grouped", 3))),
    );
    assert.equal(proxy.postgresRoundTrips() - before, 2);
    const seen = answers.map((answer) => answer.get("grouped_1:192.0.2.1")?.points);
    assert.deepEqual(
      seen,
      Array.from({ length: 40 }, (_, index) => index + 1),
      "arrival order, each its own",
    );
    assert.equal((await storedRow("grouped_2:192.0.2.1"))?.points, 40);
  });

  test("keeps rate-limiter-flexible's semantics: the window runs from its first request, then starts again", async () => {
    const store = postgresCounterStore(pool);
    const key = "semantics:192.0.2.1";
    const startedAt = Date.now();
    const first = await store.increment([{ key, windowMs: MINUTE_MS }]);
    const finishedAt = Date.now();
    const row = await storedRow(key);
    assert.equal(row?.points, 1);
    const expire = Number(row?.expire);
    assert.ok(expire >= startedAt + MINUTE_MS && expire <= finishedAt + MINUTE_MS, "expires a minute on");
    assert.ok((first.get(key)?.msBeforeNext ?? 0) <= MINUTE_MS);

    const second = await store.increment([{ key, windowMs: MINUTE_MS }]);
    assert.equal(second.get(key)?.points, 2);
    assert.equal(Number((await storedRow(key))?.expire), expire, "a later request does not move the window");

    // The window ends: the next request starts a new one at 1.
    await pool.query("UPDATE rate_limits SET expire = $2 WHERE key = $1", [key, Date.now() - 1]);
    const renewed = await store.increment([{ key, windowMs: MINUTE_MS }]);
    assert.equal(renewed.get(key)?.points, 1);
    assert.ok(Number((await storedRow(key))?.expire) > Date.now());
  });
});

describe("the Redis store", () => {
  test("counts seven windows with one command, and keeps the count under concurrency", async () => {
    const store = redisCounterStore(redis);
    await store.increment(counters("redis_warm", 1)); // the first call loads the script (EVALSHA, then EVAL)
    await redisServer.resetStatistics();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => store.increment(counters("redis_a", 7))),
    );
    const calls = await redisServer.commandCalls();
    assert.equal(calls.evalsha, 20, "one EVALSHA per request");
    assert.equal(calls.eval, undefined, "the script was not sent again");
    const clientCommands = Object.keys(calls).filter(
      (name) => !["set", "incr", "pttl", "pexpire"].includes(name),
    );
    assert.deepEqual(clientCommands, ["evalsha"], "nothing else went to the server");
    const seen = answers
      .map((answer) => answer.get("redis_a_0:192.0.2.1")?.points)
      .sort((a, b) => (a ?? 0) - (b ?? 0));
    assert.deepEqual(
      seen,
      Array.from({ length: 20 }, (_, index) => index + 1),
    );
  });

  test("a window runs from its first request and expires in Redis", async () => {
    const store = redisCounterStore(redis);
    const key = "redis_semantics:192.0.2.1";
    await store.increment([{ key, windowMs: HOUR_MS }]);
    const second = await store.increment([{ key, windowMs: HOUR_MS }]);
    assert.equal(second.get(key)?.points, 2);
    const ttl = await redis.pttl(key);
    assert.ok(ttl > HOUR_MS - MINUTE_MS && ttl <= HOUR_MS, `expires within the hour (${ttl} ms)`);
    assert.ok((second.get(key)?.msBeforeNext ?? 0) >= ttl);
  });
});

describe("the limiter", () => {
  const limiterWith = (store: RequestCounterStore, env: Record<string, string>) => {
    const logs = captureLogs();
    const config = loadConfig({ NODE_ENV: "test", ...env });
    return {
      limiter: createRequestLimiter({ settings: config.rateLimits, store, logger: logs.logger }),
      logs,
    };
  };

  test("applies the route tiers by method and path, whatever the case or a trailing slash", async () => {
    const { limiter } = limiterWith(postgresCounterStore(pool), {});
    const tiersOf = async (method: string, path: string) =>
      [
        ...new Set(
          (await limiter.check({ method, path, clientAddress: "198.51.100.20" })).windows.map(
            (window) => window.tier,
          ),
        ),
      ].join(" ");
    assert.equal(await tiersOf("GET", "/"), "default");
    assert.equal(await tiersOf("GET", "/staff/sign-in"), "default", "showing the form is not signing in");
    assert.equal(await tiersOf("POST", "/staff/sign-in"), "default sign-in");
    assert.equal(await tiersOf("POST", "/Staff/Sign-In/"), "default sign-in");
    assert.equal(await tiersOf("post", "/staff/sign%2Din"), "default sign-in");
    assert.equal(await tiersOf("POST", "/staff/sign-in/verify"), "default sign-in");
    assert.equal(await tiersOf("POST", "/apply"), "default apply");
    assert.equal(await tiersOf("POST", "/apply/sign-in"), "default link-requests");
    assert.equal(await tiersOf("POST", "/staff/password-reset"), "default link-requests");
    assert.equal(await tiersOf("POST", "/registration-token/new-link"), "default link-requests");
    assert.equal(await tiersOf("POST", "/application/evidence"), "default uploads");
    assert.equal(
      await tiersOf("POST", "/staff/cases/8d7f0a52-2f4e-4a8e-9d61-6c1f2b3a4c5d/evidence"),
      "default uploads",
    );
    assert.equal(await tiersOf("POST", "/csp-report"), "default csp-reports csp-reports-all");
  });

  test("names its windows as the headers do, with the configured numbers", async () => {
    const { limiter } = limiterWith(postgresCounterStore(pool), {
      RATE_LIMIT_PER_MINUTE: "31",
      RATE_LIMIT_SIGN_IN: "4/minute,19/hour",
    });
    const decision = await limiter.check({
      method: "POST",
      path: "/staff/sign-in",
      clientAddress: "198.51.100.21",
    });
    assert.deepEqual(
      decision.windows.map((window) => [window.policy, window.limit, window.windowSeconds, window.consumed]),
      [
        ["minute", 31, 60, 1],
        ["hour", 300, 3600, 1],
        ["day", 1000, 86_400, 1],
        ["sign-in-minute", 4, 60, 1],
        ["sign-in-hour", 19, 3600, 1],
      ],
    );
    assert.equal(decision.binding.policy, "sign-in-minute", "the window with the fewest requests left");
    assert.equal(decision.decidedBy, "store");
  });

  test("one address of a /64 is the same client; IPv4 is itself, also when IPv4-mapped", () => {
    assert.equal(clientKey("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
    assert.equal(clientKey("2001:0db8:0001:0002:ffff:ffff:ffff:ffff"), "2001:db8:1:2::/64");
    assert.equal(clientKey("2001:db8:1:3::1"), "2001:db8:1:3::/64");
    assert.equal(clientKey("203.0.113.9"), "203.0.113.9");
    assert.equal(clientKey("::ffff:203.0.113.9"), "203.0.113.9");
  });
});
