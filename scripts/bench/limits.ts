// npm run bench:limits — what the request limiter costs a page. The same app (scripts/bench/
// limitsServer.ts, one process each) serves the home page through every middleware:
//   none      with a limiter that counts nothing (the baseline)
//   postgres  counting in the rate_limits table (the default store)
//   redis     counting in Redis (when redis-server is installed)
// autocannon loads them in turns, none postgres redis none postgres redis …, so that whatever else the
// machine does falls on all alike, and reports each one's requests/s and latency, and the ratio to the
// baseline per round (median, min, max), and what the limiter adds to each request at saturation
// (1/rate with it − 1/rate without: the time the busiest part, here the app's one thread, spends on it),
// in two cases:
//   many clients   requests from 1000 addresses in turn (X-Forwarded-For from a trusted proxy on
//                  loopback): the ordinary traffic of a portal; target: at most 0.5 ms added per request.
//                  The home page is the cheapest page there is (no query of its own), so the ratio shows
//                  the worst case; the time added is what every page pays
//   one client     every request from one address, so each waits for the previous one's update of the
//                  same counters (row locks in Postgres); reported only (a single client that fast is
//                  the one the limits are for)
// Then it counts the store round trips per request on the wire (Postgres Sync/Query messages through a
// counting proxy; Redis calls from INFO commandstats): the hot path must stay at one.
// A benchmark, not a test: a missed target is reported (FAIL); the exit code is non-zero only when the
// run itself failed.
//   BENCH_LIMITS_ROUNDS=5  BENCH_LIMITS_SECONDS=3  BENCH_LIMITS_CONNECTIONS=10
import { type ChildProcess, spawnSync } from "node:child_process";
import { once } from "node:events";
import autocannon from "autocannon";
import { createTestDatabase, startTestPostgresServer } from "../../src/test/postgres.js";
import { startTestRedisServer, type TestRedisServer } from "../../src/test/redis.js";
import { startTcpProxy } from "../../src/test/tcpProxy.js";
import { startChildServer } from "./harness.js";

const ROUNDS = Number(process.env.BENCH_LIMITS_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_LIMITS_SECONDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_LIMITS_CONNECTIONS ?? 10);
const TARGET_ADDED_MS = 0.5;
const ROUND_TRIP_SAMPLE = 200;

type Mode = "none" | "postgres" | "redis";

interface Server {
  mode: Mode;
  url: string;
  child: ChildProcess;
}

async function startServer(mode: Mode, env: Record<string, string>): Promise<Server> {
  const server = await startChildServer("scripts/bench/limitsServer.ts", {
    BENCH_LIMITER: mode,
    PORT: "0",
    ...env,
  });
  return { mode, url: `${server.url}/`, child: server.child };
}

async function stopServer(server: Server): Promise<void> {
  if (server.child.exitCode !== null) return;
  const exited = once(server.child, "exit");
  server.child.kill("SIGTERM");
  await exited;
}

const CLIENTS = 1000;

interface Load {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(url: string, seconds: number, manyClients: boolean): Promise<Load> {
  let next = 0;
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    requests: manyClients
      ? [
          {
            setupRequest: (request) => {
              next = (next + 1) % CLIENTS;
              const address = `10.${Math.floor(next / 256)}.${next % 256}.1`;
              return { ...request, headers: { ...request.headers, "x-forwarded-for": address } };
            },
          },
        ]
      : undefined,
  });
  const failed = result.errors + result.timeouts + result.non2xx;
  return {
    requestsPerSecond: result.requests.total / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: failed,
  };
}

async function sequential(url: string, count: number): Promise<void> {
  for (let request = 0; request < count; request += 1) {
    const response = await fetch(url);
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

const verdict = (passed: boolean) => (passed ? "PASS" : "FAIL");

const emptyRounds = (): Record<Mode, Load[]> => ({ none: [], postgres: [], redis: [] });

function summary(loads: Load[]): string {
  return `${median(loads.map((load) => load.requestsPerSecond)).toFixed(0)} (${median(loads.map((load) => load.p50))} / ${median(loads.map((load) => load.p99))} ms)`;
}

async function benchLimits(): Promise<number> {
  const postgres = await startTestPostgresServer();
  const database = await createTestDatabase();
  const hasRedis = spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0;
  let redis: TestRedisServer | undefined;
  const servers: Server[] = [];
  try {
    redis = hasRedis ? await startTestRedisServer() : undefined;
    const env = { DATABASE_URL: database.url, ...(redis ? { REDIS_URL: redis.url } : {}) };
    const modes: Mode[] = redis ? ["none", "postgres", "redis"] : ["none", "postgres"];
    for (const mode of modes) servers.push(await startServer(mode, env));
    if (!redis) process.stdout.write("redis-server is not installed: the Redis store is left out.\n");

    process.stdout.write(
      `Warming up, then ${ROUNDS} rounds of ${SECONDS} s each per server and case, ${CONNECTIONS} connections…\n`,
    );
    for (const server of servers) await load(server.url, 1, true);
    const cases = { manyClients: emptyRounds(), oneClient: emptyRounds() };
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const [name, rounds] of Object.entries(cases)) {
        for (const server of servers) {
          const result = await load(server.url, SECONDS, name === "manyClients");
          if (result.errors > 0) throw new Error(`${server.mode}: ${result.errors} failed requests`);
          rounds[server.mode].push(result);
        }
      }
    }

    // Round trips, counted on the wire, in a pass of their own (not timed).
    const address = new URL(database.url);
    const proxy = await startTcpProxy({ host: address.hostname, port: Number(address.port) });
    const counted = await startServer("postgres", {
      ...env,
      RATE_LIMIT_DATABASE_URL: proxy.proxiedUrl(database.url),
    });
    let postgresRoundTrips: number;
    try {
      await sequential(counted.url, 5);
      const before = proxy.postgresRoundTrips();
      await sequential(counted.url, ROUND_TRIP_SAMPLE);
      postgresRoundTrips = (proxy.postgresRoundTrips() - before) / ROUND_TRIP_SAMPLE;
    } finally {
      await stopServer(counted);
      await proxy.close();
    }
    let redisCalls: number | undefined;
    const redisServer = servers.find((server) => server.mode === "redis");
    if (redis && redisServer) {
      await redis.resetStatistics();
      await sequential(redisServer.url, ROUND_TRIP_SAMPLE);
      const calls = await redis.commandCalls();
      // Top-level calls only: the script's own set/incr/pttl run inside the one EVALSHA.
      redisCalls =
        ((calls.evalsha ?? 0) + (calls.eval ?? 0) + (calls.multi ?? 0) + (calls.get ?? 0)) /
        ROUND_TRIP_SAMPLE;
    }

    const lines = [
      "",
      `| measure (${ROUNDS} rounds × ${SECONDS} s, GET / through every middleware) | value | target |`,
      "|---|---|---|",
    ];
    let allPassed = true;
    for (const [name, rounds] of Object.entries(cases)) {
      const label = name === "manyClients" ? `${CLIENTS} clients` : "one client";
      const hasTarget = name === "manyClients";
      const baseline = rounds.none;
      lines.push(`| ${label}, no limiter: requests/s, median (p50 / p99 latency) | ${summary(baseline)} | |`);
      for (const mode of ["postgres", "redis"] as const) {
        const measured = rounds[mode];
        if (measured.length === 0) continue;
        const ratios = measured.map(
          (result, index) => result.requestsPerSecond / (baseline[index]?.requestsPerSecond ?? 1),
        );
        const ratio = median(ratios);
        const addedMs =
          1000 / median(measured.map((result) => result.requestsPerSecond)) -
          1000 / median(baseline.map((result) => result.requestsPerSecond));
        if (hasTarget) allPassed &&= addedMs <= TARGET_ADDED_MS;
        lines.push(
          `| ${label}, ${mode} store: requests/s, median (p50 / p99 latency) | ${summary(measured)} | |`,
          `| ${label}, ${mode} store: ratio to no limiter, median (min – max) | ${ratio.toFixed(2)} (${Math.min(...ratios).toFixed(2)} – ${Math.max(...ratios).toFixed(2)}) | (reported) |`,
          `| ${label}, ${mode} store: time added per request at saturation | ${addedMs.toFixed(3)} ms | ${hasTarget ? `≤ ${TARGET_ADDED_MS} ms ${verdict(addedMs <= TARGET_ADDED_MS)}` : "(reported)"} |`,
        );
      }
    }
    lines.push(
      `| postgres store: round trips per request (Sync/Query on the wire, ${ROUND_TRIP_SAMPLE} requests) | ${postgresRoundTrips.toFixed(2)} | ≤ 1 ${verdict(postgresRoundTrips <= 1)} |`,
    );
    allPassed &&= postgresRoundTrips <= 1;
    if (redisCalls !== undefined) {
      lines.push(
        `| redis store: calls per request (INFO commandstats, ${ROUND_TRIP_SAMPLE} requests) | ${redisCalls.toFixed(2)} | ≤ 1 ${verdict(redisCalls <= 1)} |`,
      );
      allPassed &&= redisCalls <= 1;
    }
    lines.push("", allPassed ? "All targets met." : "Some targets missed (FAIL above).", "");
    process.stdout.write(lines.join("\n"));
    return 0;
  } finally {
    for (const server of servers) await stopServer(server);
    await redis?.stop();
    await database.drop();
    await postgres.stop();
  }
}

benchLimits()
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    process.stderr.write(
      `bench:limits failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  });
