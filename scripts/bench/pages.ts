// Figures 1, 2 and 6 of npm run bench: pages through the whole portal against the bare render of the
// same template with the same data (bareRender.ts), and the portal's memory under many requests.
//   1   public pages (home, apply form, the applicant's status page): req/s ≥ 0.90 × bare
//   2a  the staff queue (signed in, 50 rows from Postgres): req/s ≥ 0.40 × bare (same rows from memory)
//   2b  the queue's p99 latency with 100 000 cases ≤ 1.5 × its p99 with 100 cases
//   2c  SQL statements per request, counted on the wire (Sync and simple Query messages through a proxy)
//   6   RSS of one web process after 100 000 mixed requests vs after 1 000: growth ≤ 10 %
// The portal is `src/main.ts --web` in a child process, with its production middleware and logging at
// info (to /dev/null-like pipes), the limits counted in Postgres for 1000 clients behind a trusted
// proxy (X-Forwarded-For), limits high enough that nobody is refused.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { applicantCookieName, startApplicantSession } from "../../src/applicantSessions.js";
import { loadConfig, projectRoot } from "../../src/config.js";
import { createDatabase } from "../../src/db.js";
import { freePort } from "../../src/test/ports.js";
import { createTestDatabase, type TestDatabase } from "../../src/test/postgres.js";
import { GENEROUS_RATE_LIMITS } from "../../src/test/rateLimits.js";
import { createStaffMember, signedInCookie } from "../../src/test/staff.js";
import { startTcpProxy } from "../../src/test/tcpProxy.js";
import { urls } from "../../src/urls.js";
import { seedCases } from "../seed.js";
import {
  cpuMsOf,
  type FigureResult,
  isQuick,
  type LoadResult,
  loadHttp,
  median,
  PRODUCTION_NODE_FLAGS,
  ratioSummary,
  rssOf,
  startChildServer,
  waitFor200,
} from "./harness.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (isQuick ? 2 : 5));
const SECONDS = Number(process.env.BENCH_SECONDS ?? (isQuick ? 1 : 3));
const LARGE_CASES = Number(process.env.BENCH_LARGE_CASES ?? (isQuick ? 20_000 : 100_000));
const MEMORY_REQUESTS = Number(process.env.BENCH_MEMORY_REQUESTS ?? (isQuick ? 20_000 : 100_000));
const CONNECTIONS = 10;

export interface Fixture {
  database: TestDatabase;
  env: Record<string, string>;
  staffId: string;
  caseId: string;
  staffCookie: string;
  applicantCookie: string;
}

/** A database with `cases` seeded cases, a signed-in agent and an applicant signed in to one case. */
export async function prepareDatabase(cases: number, scratch: string): Promise<Fixture> {
  const database = await createTestDatabase();
  const env: Record<string, string> = {
    NODE_ENV: "test",
    DATABASE_URL: database.url,
    PUBLIC_URL: "http://127.0.0.1:3000",
    HOST: "127.0.0.1",
    UPLOADS_DIR: path.join(scratch, `uploads-${cases}`),
    SESSION_SECRET: randomBytes(48).toString("base64"),
    TOTP_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    SMTP_HOST: "127.0.0.1",
    SMTP_PORTS: "2525",
    // One line per request, as in production (to a file; see startPortalOn).
    LOG_LEVEL: "info",
    TRUSTED_PROXIES: "loopback",
  };
  const seeded = await seedCases(database.url, { cases });
  process.stdout.write(`  seeded ${cases} cases in ${seeded.seconds.toFixed(1)} s\n`);
  const config = loadConfig(env);
  const db = createDatabase(database.url, config.database);
  try {
    const agent = await createStaffMember(db, config, { role: "VETTING_AGENT", name: "Bench Agent" });
    const staffCookie = await signedInCookie(db, config, agent.id);
    const submitted = await db.vettingCase.findFirstOrThrow({
      where: { state: "SUBMITTED" },
      select: { id: true },
    });
    const { token } = await db.$transaction((tx) =>
      startApplicantSession(tx, { config, caseId: submitted.id }),
    );
    return {
      database,
      env,
      staffId: agent.id,
      caseId: submitted.id,
      staffCookie,
      applicantCookie: `${applicantCookieName(config)}=${token}`,
    };
  } finally {
    await db.$disconnect();
  }
}

/**
 * The portal, web only, in a child process. Its log (one line per request, as in production) goes to a
 * file, not to a pipe this process would have to read: the load generator runs here and must not pay
 * for the portal's logging.
 */
export async function startPortalOn(
  fixture: Fixture,
  scratch: string,
  overrides: Record<string, string> = {},
  nodeArgs: string[] = [],
  /** What node runs: the sources through tsx, or a build's dist/src/main.js. */
  entry: string[] = ["--import", "tsx", "src/main.ts"],
) {
  const port = await freePort();
  const logPath = path.join(scratch, `portal-${port}.log`);
  const logFile = await open(logPath, "w");
  const child = spawn(process.execPath, [...PRODUCTION_NODE_FLAGS, ...nodeArgs, ...entry, "--web"], {
    cwd: projectRoot,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/root",
      ...GENEROUS_RATE_LIMITS,
      ...fixture.env,
      PORT: String(port),
      ...overrides,
    },
    stdio: ["ignore", logFile.fd, logFile.fd],
  });
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const exited = once(child, "exit");
  const url = `http://127.0.0.1:${port}`;
  const output = () => readFileSync(logPath, "utf8").slice(-4000);
  await waitFor200(`${url}/readyz`, { child, output, intervalMs: 100 });
  return {
    url,
    pid: child.pid ?? 0,
    logPath,
    stop: async () => {
      process.off("exit", killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
      await logFile.close();
    },
  };
}

/** Same page from both servers must be the same page: sizes compared once nonces and tokens are out. */
async function pageSize(url: string, headers: Record<string, string>): Promise<number> {
  const response = await fetch(url, { headers });
  const html = await response.text();
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}: ${html.slice(0, 300)}`);
  return html.replace(/(nonce|value|content)="[^"]*"/g, "").length;
}

export async function benchPages(): Promise<FigureResult[]> {
  const scratch = await mkdtemp(path.join(tmpdir(), "vp-bench-pages-"));
  const stops: (() => Promise<void>)[] = [];
  try {
    process.stdout.write(`Pages: seeding 100 and ${LARGE_CASES} cases…\n`);
    const small = await prepareDatabase(100, scratch);
    stops.push(small.database.drop);
    const large = await prepareDatabase(LARGE_CASES, scratch);
    stops.push(large.database.drop);

    const bare = await startChildServer("scripts/bench/bareRender.ts", {
      ...small.env,
      BENCH_CASE_ID: small.caseId,
      BENCH_STAFF_ID: small.staffId,
    });
    stops.unshift(bare.stop);
    const portalSmall = await startPortalOn(small, scratch);
    stops.unshift(portalSmall.stop);
    const portalLarge = await startPortalOn(large, scratch);
    stops.unshift(portalLarge.stop);

    const pages = [
      { key: "home", path: urls.home(), headers: (_f: Fixture) => ({}) },
      { key: "apply form", path: urls.apply(), headers: (_f: Fixture) => ({}) },
      {
        key: "applicant status page",
        path: urls.applicantWorkspace(),
        headers: (f: Fixture) => ({ cookie: f.applicantCookie }),
      },
    ];
    const queuePath = urls.staffCases();

    // The same bytes on both sides (apart from nonces, tokens and the request id), or the ratio means nothing.
    const sizes: Record<string, { portal: number; bare: number }> = {};
    for (const page of [
      ...pages,
      { key: "staff queue", path: queuePath, headers: (f: Fixture) => ({ cookie: f.staffCookie }) },
    ]) {
      sizes[page.key] = {
        portal: await pageSize(`${portalSmall.url}${page.path}`, page.headers(small)),
        bare: await pageSize(`${bare.url}${page.path}`, {}),
      };
    }

    // Each run also reads the server's own CPU time: its cost per request, apart from what the load
    // generator, Postgres and the neighbours took of the same cores.
    const pidOf = (url: string) =>
      url.startsWith(bare.url)
        ? (bare.child.pid ?? 0)
        : url.startsWith(portalSmall.url)
          ? portalSmall.pid
          : portalLarge.pid;
    const run = async (url: string, headers: Record<string, string>, seconds = SECONDS) => {
      const pid = pidOf(url);
      const cpuBefore = await cpuMsOf(pid);
      const result = await loadHttp({ url, seconds, connections: CONNECTIONS, headers, manyClients: true });
      if (result.failed > 0) throw new Error(`${url}: ${result.failed} failed requests`);
      return { ...result, cpuMsPerRequest: ((await cpuMsOf(pid)) - cpuBefore) / result.requests };
    };
    const cpu = (loads: { cpuMsPerRequest: number }[]) =>
      `${median(loads.map((load) => load.cpuMsPerRequest)).toFixed(3)} ms`;
    // Warm-up: code compiled, templates cached, pools filled.
    for (const page of pages) {
      await run(`${bare.url}${page.path}`, {}, 1);
      await run(`${portalSmall.url}${page.path}`, page.headers(small), 1);
    }
    await run(`${bare.url}${queuePath}`, {}, 1);
    await run(`${portalSmall.url}${queuePath}`, { cookie: small.staffCookie }, 1);
    await run(`${portalLarge.url}${queuePath}`, { cookie: large.staffCookie }, 1);

    process.stdout.write(`Pages: ${ROUNDS} rounds of ${SECONDS} s per server and page, interleaved…\n`);
    type Measured = Awaited<ReturnType<typeof run>>;
    const publicRounds = new Map<string, { portal: Measured; bare: Measured }[]>();
    const queueRounds: { bare: Measured; small: Measured; large: Measured }[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const page of pages) {
        // Alternate who goes first, so neither always follows the other's after-effects (GC, vacuum).
        const portalFirst = round % 2 === 0;
        const measure = {
          portal: () => run(`${portalSmall.url}${page.path}`, page.headers(small)),
          bare: () => run(`${bare.url}${page.path}`, {}),
        };
        const first = portalFirst ? await measure.portal() : await measure.bare();
        const second = portalFirst ? await measure.bare() : await measure.portal();
        const pair = portalFirst ? { portal: first, bare: second } : { portal: second, bare: first };
        publicRounds.set(page.key, [...(publicRounds.get(page.key) ?? []), pair]);
      }
      const queueBare = await run(`${bare.url}${queuePath}`, {});
      const queueSmall = await run(`${portalSmall.url}${queuePath}`, { cookie: small.staffCookie });
      const queueLarge = await run(`${portalLarge.url}${queuePath}`, { cookie: large.staffCookie });
      queueRounds.push({ bare: queueBare, small: queueSmall, large: queueLarge });
      process.stdout.write(
        `  round ${round + 1}: ${pages
          .map((page) => {
            const last = publicRounds.get(page.key)?.at(-1);
            return `${page.key} ${(last ? last.portal.requestsPerSecond / last.bare.requestsPerSecond : 0).toFixed(2)}`;
          })
          .join(
            ", ",
          )}, queue ${(queueSmall.requestsPerSecond / queueBare.requestsPerSecond).toFixed(2)}, p99 large/small ${(queueLarge.p99 / Math.max(queueSmall.p99, 1)).toFixed(2)}\n`,
      );
    }

    const results: FigureResult[] = [];
    const rps = (loads: LoadResult[]) => median(loads.map((load) => load.requestsPerSecond)).toFixed(0);
    for (const page of pages) {
      const rounds = publicRounds.get(page.key) ?? [];
      const ratio = ratioSummary(rounds.map((r) => r.portal.requestsPerSecond / r.bare.requestsPerSecond));
      results.push({
        id: "1",
        name: `Public page: ${page.key} (GET ${page.path})`,
        portal: `${rps(rounds.map((r) => r.portal))} req/s`,
        baseline: `${rps(rounds.map((r) => r.bare))} req/s (bare Koa render)`,
        ratio,
        target: "≥ 0.90",
        passed: ratio.median >= 0.9,
        notes: `server CPU per request: portal ${cpu(rounds.map((r) => r.portal))}, bare ${cpu(rounds.map((r) => r.bare))}; page ${sizes[page.key]?.portal} vs ${sizes[page.key]?.bare} characters (nonces and tokens left out)`,
        rounds,
      });
    }
    const queueRatio = ratioSummary(
      queueRounds.map((r) => r.small.requestsPerSecond / r.bare.requestsPerSecond),
    );
    results.push({
      id: "2a",
      name: "Staff queue page, signed in, 50 rows from Postgres (100 cases)",
      portal: `${rps(queueRounds.map((r) => r.small))} req/s`,
      baseline: `${rps(queueRounds.map((r) => r.bare))} req/s (bare render, same rows from memory)`,
      ratio: queueRatio,
      target: "≥ 0.40",
      passed: queueRatio.median >= 0.4,
      notes: `server CPU per request: portal ${cpu(queueRounds.map((r) => r.small))} (${cpu(queueRounds.map((r) => r.large))} with ${LARGE_CASES} cases), bare ${cpu(queueRounds.map((r) => r.bare))}; page ${sizes["staff queue"]?.portal} vs ${sizes["staff queue"]?.bare} characters`,
      rounds: queueRounds,
    });
    // autocannon's latencies are whole milliseconds: a p99 of 0 would make any ratio infinite.
    const p99Ratio = ratioSummary(queueRounds.map((r) => r.large.p99 / Math.max(r.small.p99, 1)));
    results.push({
      id: "2b",
      name: `Staff queue p99 latency, ${LARGE_CASES} cases vs 100 cases (${CONNECTIONS} connections)`,
      portal: `${median(queueRounds.map((r) => r.large.p99))} ms p99 (${rps(queueRounds.map((r) => r.large))} req/s)`,
      baseline: `${median(queueRounds.map((r) => r.small.p99))} ms p99 with 100 cases`,
      ratio: p99Ratio,
      target: "≤ 1.5",
      passed: LARGE_CASES >= 100_000 ? p99Ratio.median <= 1.5 : null,
      ...(LARGE_CASES < 100_000
        ? { notes: "quick run: fewer cases than the target's 100 000, reported only" }
        : {}),
    });

    // 2c: statements per request, counted on the wire in a pass of its own (not timed).
    for (const stop of [portalLarge.stop]) await stop();
    stops.splice(stops.indexOf(portalLarge.stop), 1);
    const address = new URL(small.database.url);
    const proxy = await startTcpProxy({ host: address.hostname, port: Number(address.port) });
    stops.unshift(proxy.close);
    const counted = await startPortalOn(small, scratch, {
      DATABASE_URL: proxy.proxiedUrl(small.database.url),
    });
    stops.unshift(counted.stop);
    const statementsPer = async (pagePath: string, headers: Record<string, string>) => {
      const sample = 50;
      const get = async () => {
        const response = await fetch(`${counted.url}${pagePath}`, { headers });
        await response.arrayBuffer();
      };
      for (let i = 0; i < 5; i += 1) await get();
      const before = proxy.postgresRoundTrips();
      for (let i = 0; i < sample; i += 1) await get();
      return (proxy.postgresRoundTrips() - before) / sample;
    };
    const queueStatements = await statementsPer(queuePath, { cookie: small.staffCookie });
    const publicStatements = [];
    for (const page of pages)
      publicStatements.push(
        `${page.key} ${(await statementsPer(page.path, page.headers(small))).toFixed(1)}`,
      );
    results.push({
      id: "2c",
      name: "SQL statements per request (Sync/Query messages counted on the wire, 50 requests)",
      portal: `staff queue ${queueStatements.toFixed(1)}`,
      baseline: publicStatements.join(", "),
      ratio: null,
      target: "reported",
      passed: null,
      notes: "includes the request limiter's one statement and the session's load",
    });
    await counted.stop();
    stops.splice(stops.indexOf(counted.stop), 1);

    // 6: memory after 1 000 and after 100 000 mixed requests, in a fresh process.
    process.stdout.write(`Memory: ${MEMORY_REQUESTS} mixed requests to a fresh portal…\n`);
    const fresh = await startPortalOn(small, scratch);
    stops.unshift(fresh.stop);
    const mixed = {
      url: fresh.url,
      connections: CONNECTIONS,
      manyClients: true,
      headers: { cookie: `${small.staffCookie}; ${small.applicantCookie}` },
      paths: [urls.home(), urls.apply(), urls.applicantWorkspace(), queuePath, `${queuePath}?tab=submitted`],
    };
    // RSS and the V8 heap in use (from the portal's own /metrics, on loopback) along the way: a heap
    // that levels off while RSS still grows is V8 keeping freed pages, not a leak.
    const heapUsedOf = async () => {
      const text = await (await fetch(`${fresh.url}/metrics`)).text();
      return Number(/^nodejs_heap_size_used_bytes (\d+)/m.exec(text)?.[1] ?? Number.NaN);
    };
    const checkpoints = [1000, 10_000, 25_000, 50_000, MEMORY_REQUESTS].filter(
      (count, index, all) => count <= MEMORY_REQUESTS && all.indexOf(count) === index,
    );
    const samples: { requests: number; rss: number; heapUsed: number }[] = [];
    let sent = 0;
    for (const checkpoint of checkpoints) {
      const chunk = await loadHttp({ ...mixed, amount: checkpoint - sent });
      if (chunk.failed > 0) throw new Error(`memory run: ${chunk.failed} failed requests`);
      sent = checkpoint;
      samples.push({ requests: sent, rss: await rssOf(fresh.pid), heapUsed: await heapUsedOf() });
    }
    const rssAfterThousand = samples[0]?.rss ?? 0;
    const rssAfterAll = samples.at(-1)?.rss ?? 0;
    const growth = rssAfterAll / rssAfterThousand - 1;
    const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
    results.push({
      id: "6",
      name: `Memory: RSS of one web process after ${MEMORY_REQUESTS} mixed requests vs after 1 000`,
      portal: `${mb(rssAfterAll)} after ${MEMORY_REQUESTS}`,
      baseline: `${mb(rssAfterThousand)} after 1 000`,
      ratio: { median: 1 + growth, min: 1 + growth, max: 1 + growth },
      target: "growth ≤ 10 % (ratio ≤ 1.10)",
      passed: MEMORY_REQUESTS >= 100_000 ? growth <= 0.1 : null,
      notes: `growth ${(growth * 100).toFixed(1)} %; one run (not a ratio of rounds); RSS / V8 heap used after ${samples
        .map((sample) => `${sample.requests}: ${mb(sample.rss)} / ${mb(sample.heapUsed)}`)
        .join(", ")}${MEMORY_REQUESTS < 100_000 ? "; quick run, reported only" : ""}`,
      rounds: samples,
    });
    return results;
  } finally {
    for (const stop of stops) await stop().catch(() => {});
    await rm(scratch, { recursive: true, force: true });
  }
}
