import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import pg from "pg";
import {
  compileProductionBuild,
  type FigureResult,
  isQuick,
  median,
  ratioSummary,
  rssOf,
  startChildServer,
} from "./harness.js";
import { type Fixture, prepareDatabase, startPortalOn } from "./pages.js";

// Eight rounds a side: a round's p99 is its 15th (applications) to 50th (moves) slowest answer, and on
// these shared cores one round's p99 ratio ranged from 0.99 to 2.84 within a run; the median of four
// still moved by as much as 0.7 from run to run (docs/performance.md).
const ROUNDS = Number(process.env.BENCH_WRITE_ROUNDS ?? (isQuick ? 2 : 8));
const SECONDS = Number(process.env.BENCH_SECONDS ?? (isQuick ? 2 : 3));
const CONCURRENCIES = [20, 50];
/**
 * State changes per run, each on its own SUBMITTED case, at either concurrency: about as long a run as an
 * application run (3 s on the portal), so that a round's p99 is the 50th slowest of 5 000, not decided by
 * whether one collection fell into a run of half a second (it was 50 per client: 1 000 moves at 20).
 */
const MOVES_PER_RUN = isQuick ? 400 : 5000;

interface WriteRun {
  requestsPerSecond: number;
  p99: number;
  requests: number;
  /** Answers other than the 303 of a successful form (errors, timeouts, 4xx, 5xx). */
  failed: number;
}

interface LockSamples {
  busy: number;
  waitingOnLock: number;
  /** wait_event of the lock waits seen (relation, tuple, transactionid, object…), with how often. */
  waitEvents: Record<string, number>;
}

/** The production build as npm run start:prod runs it, web only. */
export async function startProductionPortal(
  fixture: Fixture,
  scratch: string,
  buildDir: string,
  overrides: Record<string, string> = {},
) {
  const portal = await startPortalOn(
    fixture,
    scratch,
    overrides,
    ["--enable-source-maps"],
    [path.join(buildDir, "src/main.js")],
  );
  return {
    ...portal,
    /** The distinct error messages the portal logged (level error and above), with how often. */
    loggedErrors(): Record<string, number> {
      const counts: Record<string, number> = {};
      for (const line of readFileSync(portal.logPath, "utf8").split("\n")) {
        if (!line.startsWith("{")) continue;
        const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
        if ((entry.level ?? 0) < 50) continue;
        const message = `${entry.msg ?? ""}: ${entry.err?.message ?? ""}`.slice(0, 160);
        counts[message] = (counts[message] ?? 0) + 1;
      }
      return counts;
    },
  };
}

/**
 * Samples pg_stat_activity every few milliseconds for the connections of one application (the portal's
 * pools are named vetting-portal…, the bare server's bench-bare-writes).
 */
function sampleLocks(databaseUrl: string, applicationPrefix: string) {
  const client = new pg.Client({ connectionString: databaseUrl });
  const samples: LockSamples = { busy: 0, waitingOnLock: 0, waitEvents: {} };
  let isRunning = true;
  const done = (async () => {
    await client.connect();
    while (isRunning) {
      const { rows } = await client.query<{ wait_event_type: string | null; wait_event: string | null }>(
        `SELECT wait_event_type, wait_event FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'
           AND application_name LIKE $1`,
        [`${applicationPrefix}%`],
      );
      samples.busy += rows.length;
      for (const row of rows) {
        if (row.wait_event_type !== "Lock") continue;
        samples.waitingOnLock += 1;
        const event = row.wait_event ?? "unknown";
        samples.waitEvents[event] = (samples.waitEvents[event] ?? 0) + 1;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await client.end();
  })();
  return {
    async stop(): Promise<LockSamples> {
      isRunning = false;
      await done;
      return samples;
    },
  };
}

/** One autocannon run of POSTs; every answer must be the 303 a successful form gets. */
export async function postLoad(options: {
  url: string;
  connections: number;
  seconds?: number;
  amount?: number;
  headers: Record<string, string>;
  request: (sequence: number) => { path: string; body: string };
  /** What the server printed, shown when a run fails. */
  serverOutput?: () => string;
}): Promise<WriteRun> {
  let sequence = 0;
  // Timed here, to the last answer: autocannon reports a run of `amount` requests in whole seconds, and
  // ends it only at its next one-second tick (1 000 requests answered in 0.4 s counted as 1 s).
  const startedAt = performance.now();
  let lastAnswerAt = startedAt;
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    ...(options.amount ? { amount: options.amount } : { duration: options.seconds ?? SECONDS }),
    requests: [
      {
        method: "POST",
        setupRequest: (request) => {
          sequence += 1;
          const next = options.request(sequence);
          return {
            ...request,
            method: "POST",
            path: next.path,
            body: next.body,
            headers: {
              ...request.headers,
              ...options.headers,
              "content-type": "application/x-www-form-urlencoded",
            },
          };
        },
        onResponse: () => {
          lastAnswerAt = performance.now();
        },
      },
    ],
  });
  const elapsedSeconds = (lastAnswerAt - startedAt) / 1000;
  const refused = result.errors + result.timeouts + result["2xx"] + result["4xx"] + result["5xx"];
  // A run in which nothing succeeded is broken; failures beside successes are reported in the figure.
  if (result["3xx"] === 0) {
    // One more, to show what the server said.
    const sample = options.request(sequence + 1);
    const answer = await fetch(`${options.url}${sample.path}`, {
      method: "POST",
      redirect: "manual",
      headers: { ...options.headers, "content-type": "application/x-www-form-urlencoded" },
      body: sample.body,
    });
    throw new Error(
      `${answer.status} ${(await answer.text()).slice(0, 600)}\n${options.serverOutput?.().slice(-600) ?? ""}\n` +
        `${options.url}: ${result["3xx"]} redirects, ${result["4xx"]} 4xx, ${result["5xx"]} 5xx, ` +
        `${result.errors} errors, ${result.timeouts} timeouts`,
    );
  }
  return {
    requestsPerSecond: result["3xx"] / (options.amount ? elapsedSeconds : (options.seconds ?? SECONDS)),
    p99: result.latency.p99,
    requests: result["3xx"],
    failed: refused,
  };
}

/** The application form's fields for the n-th applicant of a run: each a different person. */
export function applicationBody(runId: string, sequence: number, csrfToken: string): string {
  return new URLSearchParams({
    fullName: `Bench Applicant ${sequence}`,
    email: `bench-${runId}-${sequence}@example.org`,
    matrixId: "",
    phone: "",
    statement: "I organise the reading group. Mara knows me from there.",
    consent: "yes",
    _csrf: csrfToken,
  }).toString();
}

/** `count` SUBMITTED cases made for one run, outside its timing. */
async function submittedCases(databaseUrl: string, count: number): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO vetting_cases (id, state, origin, "fullName", email, statement, "updatedAt",
                                  "submittedAt", "lastSubmittedAt")
       SELECT gen_random_uuid(), 'SUBMITTED', 'APPLICANT', 'Bench Applicant', 'moves' || n || '@example.org',
              'I would like to join.', now(), now(), now()
       FROM generate_series(1, $1::int) AS n RETURNING id`,
      [count],
    );
    return rows.map((row) => row.id);
  } finally {
    await client.end();
  }
}

async function countsAreExact(databaseUrl: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ kept: string; real: string }>(
      `SELECT (SELECT json_object_agg(state, total ORDER BY state) FROM
                 (SELECT state, sum(count) AS total FROM case_state_counts GROUP BY state HAVING sum(count) <> 0) AS k)::text AS kept,
              (SELECT json_object_agg(state, total ORDER BY state) FROM
                 (SELECT state, count(*) AS total FROM vetting_cases GROUP BY state) AS r)::text AS real`,
    );
    return rows[0]?.kept === rows[0]?.real;
  } finally {
    await client.end();
  }
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

export async function benchWrites(): Promise<FigureResult[]> {
  const scratch = await mkdtemp(path.join(tmpdir(), "vp-bench-writes-"));
  const stops: (() => Promise<void>)[] = [];
  try {
    const buildDir = compileProductionBuild();
    const fixture = await prepareDatabase(100, scratch);
    stops.push(fixture.database.drop);
    const portal = await startProductionPortal(fixture, scratch, buildDir);
    stops.unshift(portal.stop);
    // Idle: started, one page served (templates compiled), then left alone for a moment.
    await (await fetch(`${portal.url}/apply`)).arrayBuffer();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const idleRss = await rssOf(portal.pid);

    const bare = await startChildServer("scripts/bench/bareWriteServer.ts", {
      ...fixture.env,
      BENCH_STAFF_ID: fixture.staffId,
    });
    stops.unshift(bare.stop);

    // A browser's CSRF pairs: the public form's cookie seed and token, and the staff session's token. The
    // agent's browser sends the seed cookie too (it has had it since its first page), so the portal does
    // not answer every move with a fresh one.
    const formPage = await fetch(`${portal.url}/apply`);
    const seedCookie = (formPage.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    const applyToken = /name="_csrf" value="([^"]+)"/.exec(await formPage.text())?.[1] ?? "";
    const profile = await fetch(`${portal.url}/staff/profile`, { headers: { cookie: fixture.staffCookie } });
    const staffToken = /name="_csrf" value="([^"]+)"/.exec(await profile.text())?.[1] ?? "";
    if (!seedCookie || !applyToken || !staffToken) throw new Error("no CSRF token on the forms");

    const results: FigureResult[] = [];
    const servers = {
      portal: { url: portal.url, application: "vetting-portal", output: undefined },
      bare: { url: bare.url, application: "bench-bare-writes", output: bare.output },
    } as const;
    type Side = keyof typeof servers;
    let runNumber = 0;

    const measure = async (
      operation: "apply" | "move",
      side: Side,
      connections: number,
    ): Promise<{ run: WriteRun; locks: LockSamples }> => {
      runNumber += 1;
      const runId = `${runNumber}`;
      const cases = operation === "move" ? await submittedCases(fixture.database.url, MOVES_PER_RUN) : [];
      const sampling = sampleLocks(fixture.database.url, servers[side].application);
      try {
        const run =
          operation === "apply"
            ? await postLoad({
                url: servers[side].url,
                serverOutput: servers[side].output,
                connections,
                headers: { cookie: seedCookie, origin: "http://127.0.0.1:3000" },
                request: (sequence) => ({
                  path: "/apply",
                  body: applicationBody(runId, sequence, applyToken),
                }),
              })
            : await postLoad({
                url: servers[side].url,
                serverOutput: servers[side].output,
                connections,
                amount: cases.length,
                headers: { cookie: `${fixture.staffCookie}; ${seedCookie}`, origin: "http://127.0.0.1:3000" },
                request: (sequence) => ({
                  path: `/staff/cases/${cases[(sequence - 1) % cases.length]}/start-review`,
                  body: new URLSearchParams({ _csrf: staffToken }).toString(),
                }),
              });
        return { run, locks: await sampling.stop() };
      } catch (error) {
        await sampling.stop();
        throw error;
      }
    };

    let id = 0;
    for (const operation of ["apply", "move"] as const) {
      for (const connections of CONCURRENCIES) {
        const runs: Record<Side, WriteRun[]> = { portal: [], bare: [] };
        const locks: LockSamples = { busy: 0, waitingOnLock: 0, waitEvents: {} };
        // The bare handler's too: it takes the same NOTIFY lock at commit (graphile-worker's add_job).
        const bareLocks: LockSamples = { busy: 0, waitingOnLock: 0, waitEvents: {} };
        // One unmeasured run each, so that neither side pays for first-use compilation.
        if (connections === CONCURRENCIES[0])
          for (const side of ["portal", "bare"] as const) await measure(operation, side, 10);
        for (let round = 0; round < ROUNDS; round += 1) {
          const order: Side[] = round % 2 === 0 ? ["portal", "bare"] : ["bare", "portal"];
          for (const side of order) {
            const measured = await measure(operation, side, connections);
            runs[side].push(measured.run);
            const sideLocks = side === "portal" ? locks : bareLocks;
            sideLocks.busy += measured.locks.busy;
            sideLocks.waitingOnLock += measured.locks.waitingOnLock;
            for (const [event, count] of Object.entries(measured.locks.waitEvents))
              sideLocks.waitEvents[event] = (sideLocks.waitEvents[event] ?? 0) + count;
          }
          process.stdout.write(
            `  ${operation} ×${connections} round ${round + 1}: portal ${runs.portal.at(-1)?.requestsPerSecond.toFixed(0)} req/s ` +
              `p99 ${runs.portal.at(-1)?.p99} ms, bare ${runs.bare.at(-1)?.requestsPerSecond.toFixed(0)} req/s p99 ${runs.bare.at(-1)?.p99} ms\n`,
          );
        }
        const throughput = ratioSummary(
          runs.portal.map((run, index) => run.requestsPerSecond / (runs.bare[index]?.requestsPerSecond ?? 1)),
        );
        const latency = ratioSummary(
          runs.portal.map((run, index) => run.p99 / Math.max(runs.bare[index]?.p99 ?? 1, 1)),
        );
        const lockShare = locks.busy === 0 ? 0 : locks.waitingOnLock / locks.busy;
        const bareLockShare = bareLocks.busy === 0 ? 0 : bareLocks.waitingOnLock / bareLocks.busy;
        const failed = runs.portal.reduce((sum, run) => sum + run.failed, 0);
        const bareFailed = runs.bare.reduce((sum, run) => sum + run.failed, 0);
        const label = operation === "apply" ? "POST /apply" : "staff: take a case into review";
        const letter = String.fromCharCode(97 + id);
        id += 1;
        results.push({
          id: `7${letter}`,
          name: `Writes: ${label}, ${connections} concurrent (portal vs bare Koa + pg, same rows)`,
          portal: `${median(runs.portal.map((run) => run.requestsPerSecond)).toFixed(0)} req/s, p99 ${median(runs.portal.map((run) => run.p99))} ms`,
          baseline: `${median(runs.bare.map((run) => run.requestsPerSecond)).toFixed(0)} req/s, p99 ${median(runs.bare.map((run) => run.p99))} ms`,
          ratio: throughput,
          target: "req/s ≥ 0.50 × bare; p99 ≤ 2 × bare; lock waits < 20 % of busy connections",
          passed: throughput.median >= 0.5 && latency.median <= 2 && lockShare < 0.2 && failed === 0,
          notes:
            `p99 ratio ${latency.median.toFixed(2)} (${latency.min.toFixed(2)}–${latency.max.toFixed(2)}); ` +
            `failed answers: portal ${failed}, bare ${bareFailed}; ` +
            `lock waits ${(lockShare * 100).toFixed(1)} % of ${locks.busy} busy-connection samples` +
            (locks.waitingOnLock > 0
              ? ` (${Object.entries(locks.waitEvents)
                  .map(([event, count]) => `${event} ${count}`)
                  .join(", ")})`
              : "") +
            `; the bare handler's: ${(bareLockShare * 100).toFixed(1)} % of ${bareLocks.busy}` +
            (bareLocks.waitingOnLock > 0
              ? ` (${Object.entries(bareLocks.waitEvents)
                  .map(([event, count]) => `${event} ${count}`)
                  .join(", ")})`
              : ""),
          rounds: { ...runs, locks, bareLocks },
        });
      }
    }
    if (!(await countsAreExact(fixture.database.url))) {
      throw new Error("after the write runs the queue's counts differ from the real counts");
    }

    const loadedRss = await rssOf(portal.pid);
    const loggedErrors = Object.entries(portal.loggedErrors());
    if (loggedErrors.length > 0) {
      const first = results.find((result) => result.id.startsWith("7"));
      if (first)
        first.notes += `; the portal logged during the write runs: ${loggedErrors
          .map(([message, count]) => `${count} × ${message}`)
          .join("; ")}`;
    }
    results.push({
      id: "8",
      name: "Memory: RSS of the production build (`node dist/src/main.js --web`), idle and after the write runs",
      portal: `${mb(loadedRss)} loaded`,
      baseline: `${mb(idleRss)} idle`,
      ratio: null,
      target: "reported",
      passed: null,
      notes:
        "idle: after start and one page, 2 s quiet; loaded: right after the last write run (docs/performance.md)",
    });
    return results;
  } finally {
    for (const stop of stops) await stop().catch(() => {});
    await rm(scratch, { recursive: true, force: true });
  }
}
