// Reliability drill: the database stops answering without closing anything, as when its host freezes
// or a network partition drops packets silently. Simulated by pausing the Postgres server (SIGSTOP to
// the postmaster and every backend): connections stay open, the kernel still accepts new ones, nothing
// answers, and TCP would take many minutes to give up. The portal (a real web process and a real worker
// process) must answer every request that needs the database with 503 within its client-side query
// timeout (DATABASE_QUERY_TIMEOUT_MS, 2 s here) plus a margin, keep serving pages that need none, and
// recover by itself once the server runs again: the same processes, and nothing lost (what was accepted
// before the pause is there, what was refused during it left nothing behind).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import pg from "pg";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "../database/embeddedPostgres.js";
import { migrateDatabase } from "../database/migrate.js";
import { createLogger } from "../logger.js";
import { type PortalProcess, setupTokenOf, startPortal } from "../test/portalProcess.js";
import { freePort } from "../test/ports.js";
import {
  createTestCertificate,
  startTestSmtpServer,
  type TestSmtpServer,
  writeCertificateFile,
} from "../test/smtp.js";
import { waitFor } from "../test/waitFor.js";

const STATEMENT_TIMEOUT_MS = 1_000;
const QUERY_TIMEOUT_MS = 2_000;
/** Opening a connection to the paused server (accepted by the kernel, never answered) gives up as fast. */
const CONNECTION_TIMEOUT_MS = 2_000;
/**
 * What a request may take beyond the query timeout: the request limiter's wait for its own store
 * (RATE_LIMIT_STORE_TIMEOUT_MS, 250 ms by default) before the in-memory limiter decides, rendering the
 * error page, and a machine shared with the server and the test.
 */
const MARGIN_MS = 1_500;
/** Far longer than any answer should take: a request still open after this is a hang. */
const HANG_MS = 20_000;

type Phase = "before" | "paused" | "resumed" | "recovered";

interface Sample {
  what: string;
  /** When the request ran; "between" when it began in one phase and ended in another. */
  phase: Phase | "between";
  status: number | null;
  body: string;
  retryAfter: string | null;
  /** A network error, or no answer within HANG_MS. */
  failure: string | null;
  durationMs: number;
  /** For applications: the address the application was sent for. */
  email?: string;
}

let dataRoot: string;
let postgres: EmbeddedPostgres;
let postmasterPid: number | undefined;
let isPaused = false;
let smtp: TestSmtpServer;
let caFile: { path: string; remove(): Promise<void> };
const portals: PortalProcess[] = [];

/** The postmaster first (so it forks nothing new), then every process it started. */
function pausePostgres(): void {
  if (postmasterPid === undefined) throw new Error("the postmaster's pid is unknown");
  isPaused = true;
  process.kill(postmasterPid, "SIGSTOP");
  signalChildren("-STOP");
}

function resumePostgres(): void {
  if (!isPaused || postmasterPid === undefined) return;
  signalChildren("-CONT");
  process.kill(postmasterPid, "SIGCONT");
  isPaused = false;
}

function signalChildren(signal: "-STOP" | "-CONT"): void {
  try {
    execFileSync("pkill", [signal, "-P", String(postmasterPid)]);
  } catch (error) {
    // pkill exits 1 when no process matched (a postmaster without backends): nothing to do.
    if ((error as { status?: number }).status !== 1) throw error;
  }
}

// Whatever happens to this test process, the server must not stay stopped (nor would it ever stop).
process.on("exit", resumePostgres);

before(async () => {
  dataRoot = await mkdtemp(path.join(tmpdir(), "vp-drill-paused-"));
  await chmod(dataRoot, 0o755); // the postgres OS user must reach its data folder inside
  const dataDir = path.join(dataRoot, "postgres");
  postgres = await startEmbeddedPostgres({
    dataDir,
    port: await freePort(),
    databaseName: "drill",
    fsync: false,
  });
  postmasterPid = Number((await readFile(path.join(dataDir, "postmaster.pid"), "utf8")).split("\n")[0]);
  assert.ok(Number.isInteger(postmasterPid) && postmasterPid > 1, "postmaster.pid names the server");
  await migrateDatabase(postgres.connectionString, createLogger({ level: "silent", pretty: false }));
  smtp = await startTestSmtpServer({ tls: "starttls" });
  caFile = await writeCertificateFile((await createTestCertificate()).cert);
});

after(async () => {
  resumePostgres();
  await Promise.all(portals.map((portal) => portal.stop()));
  await postgres?.stop();
  await smtp?.close();
  await caFile?.remove();
  await rm(dataRoot, { recursive: true, force: true });
});

async function timed(
  what: string,
  request: (signal: AbortSignal) => Promise<Response>,
): Promise<Omit<Sample, "phase">> {
  const started = performance.now();
  try {
    const response = await request(AbortSignal.timeout(HANG_MS));
    const body = await response.text();
    return {
      what,
      status: response.status,
      body,
      retryAfter: response.headers.get("retry-after"),
      failure: null,
      durationMs: performance.now() - started,
    };
  } catch (error) {
    return {
      what,
      status: null,
      body: "",
      retryAfter: null,
      failure: String(error),
      durationMs: performance.now() - started,
    };
  }
}

/**
 * An application as a browser sends it: the form (which needs no database), then the POST with the
 * form's cookie and CSRF token. Both requests are samples; the POST carries the address.
 */
async function apply(baseUrl: string, email: string): Promise<Omit<Sample, "phase">[]> {
  let cookie = "";
  const form = await timed("GET /apply", async (signal) => {
    const response = await fetch(new URL("/apply", baseUrl), { signal });
    cookie = response.headers
      .getSetCookie()
      .map((line) => line.split(";")[0])
      .join("; ");
    return response;
  });
  const csrfToken = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1];
  if (form.status !== 200 || !csrfToken) return [form];
  const posted = await timed("POST /apply", (signal) =>
    fetch(new URL("/apply", baseUrl), {
      method: "POST",
      redirect: "manual",
      signal,
      headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        _csrf: csrfToken,
        fullName: "Ada Applicant",
        email,
        statement: "I organise the reading group.",
        consent: "yes",
      }).toString(),
    }),
  );
  return [form, { ...posted, email }];
}

/** The portal's warnings and errors, for failure messages. */
function problemLines(portal: PortalProcess): string {
  return portal
    .output()
    .split("\n")
    .filter((line) => /"level":(40|50|60)/.test(line))
    .join("\n")
    .slice(-4000);
}

async function casesFor(emails: string[]): Promise<string[]> {
  const client = new pg.Client({ connectionString: postgres.connectionString });
  await client.connect();
  try {
    const { rows } = await client.query<{ email: string }>(
      "SELECT email FROM vetting_cases WHERE email = ANY($1)",
      [emails],
    );
    return rows.map((row) => row.email).sort();
  } finally {
    await client.end();
  }
}

describe("Postgres paused (a frozen host, a silent partition) while requests flow", () => {
  test("requests that need the database answer 503 within the query timeout; the portal recovers by itself, nothing lost", async (t) => {
    const webPort = await freePort();
    const env = {
      DATABASE_URL: postgres.connectionString,
      PORT: String(webPort),
      PUBLIC_URL: `http://127.0.0.1:${webPort}`,
      SMTP_HOST: "127.0.0.1",
      SMTP_PORTS: String(smtp.port),
      SMTP_CA_FILE: caFile.path,
      MAIL_FROM_ADDRESS: "vetting@example.org",
      UPLOADS_DIR: path.join(dataRoot, "uploads"),
      LOG_LEVEL: "info",
      DATABASE_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
      DATABASE_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS),
      DATABASE_CONNECTION_TIMEOUT_MS: String(CONNECTION_TIMEOUT_MS),
      MAIL_RETRY_BASE_MS: "200",
    };
    const web = startPortal(env, [process.execPath, "--import", "tsx", "src/main.ts", "--web"]);
    portals.push(web);
    const { token: setupToken } = await setupTokenOf(web);
    await web.waitForOutput(/web server listening/);
    const worker = startPortal(env, [process.execPath, "--import", "tsx", "src/main.ts", "--worker"]);
    portals.push(worker);
    await worker.waitForOutput(/"msg":"Worker connected/);
    const baseUrl = `http://127.0.0.1:${webPort}`;
    const webPid = web.child.pid;
    const workerPid = worker.child.pid;

    // Accepted before the pause: the application is stored and its confirmation email delivered.
    const [, accepted] = await apply(baseUrl, "before@example.org");
    assert.equal(accepted?.status, 303, accepted?.body.slice(0, 500));
    await waitFor("the confirmation email sent before the pause", () =>
      smtp.messages.find((message) => message.to.includes("before@example.org")),
    );

    // A page that needs no database, the probe, a page that reads the database, and an application
    // (a write), all at once, round after round.
    const samples: Sample[] = [];
    let phase: Phase = "before";
    let round = 0;
    let isFlowing = true;
    const flow = (async () => {
      while (isFlowing) {
        round += 1;
        const started = phase;
        const answers = [
          timed("/", (signal) => fetch(new URL("/", baseUrl), { signal })).then((sample) => [sample]),
          timed("/readyz", (signal) => fetch(new URL("/readyz", baseUrl), { signal })).then((sample) => [
            sample,
          ]),
          timed("setup page", (signal) => fetch(new URL(`/setup/${setupToken}`, baseUrl), { signal })).then(
            (sample) => [sample],
          ),
          apply(baseUrl, `round-${round}@example.org`),
        ];
        await Promise.all(
          answers.map(async (answer) => {
            for (const sample of await answer) {
              samples.push({ ...sample, phase: started === phase ? started : "between" });
            }
          }),
        );
        await delay(50);
      }
    })();
    const count = (wanted: Phase, what: string) =>
      samples.filter((sample) => sample.phase === wanted && sample.what === what).length;

    try {
      try {
        // The worker is busy delivering the confirmations of these when the server stops answering.
        await waitFor("requests before the pause", () =>
          count("before", "POST /apply") >= 3 ? true : undefined,
        );
        pausePostgres();
        phase = "paused";
        // Every kind of request meets the paused server several times.
        await waitFor("requests while paused", () =>
          ["/", "/readyz", "setup page", "POST /apply"].every((what) => count("paused", what) >= 3)
            ? true
            : undefined,
        );
      } finally {
        // Whatever failed above, the server runs again before anything else.
        resumePostgres();
      }
      phase = "resumed";
      const recovered = await waitFor("/readyz 200 after the pause", async () => {
        const answer = await timed("/readyz", (signal) => fetch(new URL("/readyz", baseUrl), { signal }));
        return answer.status === 200 ? answer : undefined;
      });
      assert.equal(JSON.parse(recovered.body).checks.database, "ok");
      phase = "recovered";
      await waitFor("requests after the recovery", () =>
        count("recovered", "POST /apply") >= 2 ? true : undefined,
      );
    } finally {
      isFlowing = false;
      await flow;
    }

    // Every request got an answer: none hung, none met a closed socket.
    assert.deepEqual(
      samples.filter((sample) => sample.failure !== null),
      [],
      "every request was answered",
    );
    for (const sample of samples.filter((sample) => sample.phase === "before")) {
      assert.ok(
        sample.status === 200 || sample.status === 303,
        `${sample.what} before the pause: ${sample.status}`,
      );
    }

    const paused = samples.filter((sample) => sample.phase === "paused");
    // Pages that need no database (the home page, the application form) keep working throughout, and
    // promptly: the request limiter's store (the same paused server) is given RATE_LIMIT_STORE_TIMEOUT_MS,
    // then its in-memory insurance limiter decides, and says so in the log.
    for (const sample of paused.filter((sample) => sample.what === "/" || sample.what === "GET /apply")) {
      assert.equal(sample.status, 200, `${sample.what} needs no database`);
      assert.ok(sample.durationMs <= MARGIN_MS, `${sample.what} took ${Math.round(sample.durationMs)} ms`);
    }
    assert.match(
      web.output(),
      /"msg":"control failure: the rate-limit store failed; the in-memory insurance limiter decides/,
    );
    // Each request that needs the database: 503 with Retry-After, within the query timeout plus the
    // margin, never a hang or a bare 500.
    const needingDatabase = paused.filter((sample) =>
      ["/readyz", "setup page", "POST /apply"].includes(sample.what),
    );
    for (const sample of needingDatabase) {
      assert.equal(sample.status, 503, `${sample.what}: ${sample.body.slice(0, 300)}\n${problemLines(web)}`);
      assert.ok(
        sample.durationMs <= QUERY_TIMEOUT_MS + MARGIN_MS,
        `${sample.what} answered after ${Math.round(sample.durationMs)} ms`,
      );
    }
    for (const sample of needingDatabase.filter((sample) => sample.what === "/readyz")) {
      const body = JSON.parse(sample.body);
      assert.equal(body.status, "not ready");
      assert.deepEqual(body.failing, ["database", "migrations"]);
      assert.equal(body.checks.database, "unreachable");
    }
    for (const sample of needingDatabase.filter((sample) => sample.what !== "/readyz")) {
      assert.match(sample.retryAfter ?? "", /^\d+$/, "Retry-After says when to try again");
      assert.match(sample.body, /<h1>[^<]*unavailable[^<]*<\/h1>/i);
      assert.doesNotMatch(sample.body, /prisma|timeout|postgres/i, "no internals on the page");
    }
    t.diagnostic(
      `${needingDatabase.length} requests needing the database while paused, the slowest answered in ${Math.round(
        Math.max(...needingDatabase.map((sample) => sample.durationMs)),
      )} ms (query timeout ${QUERY_TIMEOUT_MS} ms)`,
    );

    // Recovered by itself: the same processes, which never exited…
    for (const sample of samples.filter((sample) => sample.phase === "recovered")) {
      assert.ok(
        sample.status === 200 || sample.status === 303,
        `${sample.what} after the recovery: ${sample.status}\n${problemLines(web)}`,
      );
    }
    // The limiter tries its store again on the first request once STORE_RETRY_MS has passed since its
    // last failure, and the flow may have ended sooner: a page is asked for until it says so.
    await waitFor(
      "the rate-limit store answering again",
      async () => {
        if (/"msg":"the rate-limit store answers again; shared limits in force"/.test(web.output()))
          return true;
        await (await fetch(new URL("/", baseUrl))).arrayBuffer();
        return undefined;
      },
      10_000,
    );
    assert.equal(web.child.pid, webPid);
    assert.equal(worker.child.pid, workerPid);
    assert.equal(web.child.exitCode, null, web.output().slice(-3000));
    assert.equal(worker.child.exitCode, null, worker.output().slice(-3000));

    // …and nothing lost: every application answered 303 is stored, every one refused left nothing.
    const applications = samples.filter((sample) => sample.what === "POST /apply" && sample.email);
    const storedEmails = applications.filter((sample) => sample.status === 303).map((sample) => sample.email);
    const refusedEmails = applications
      .filter((sample) => sample.status === 503)
      .map((sample) => sample.email);
    assert.ok(refusedEmails.length >= 3, "applications were refused while paused");
    assert.deepEqual(await casesFor(["before@example.org"]), ["before@example.org"]);
    assert.deepEqual(await casesFor(storedEmails as string[]), (storedEmails as string[]).sort());
    assert.deepEqual(await casesFor(refusedEmails as string[]), [], "a refused application left no case");
    // Jobs the worker was running when the server stopped answering failed, and were retried.
    const failedAttempts = worker.output().match(/"msg":"Failed task/g)?.length ?? 0;
    t.diagnostic(`the worker saw ${failedAttempts} job attempt(s) fail while the server was paused`);
    // The worker delivers the confirmation of an application accepted after the pause.
    const afterPause = applications.find((sample) => sample.phase === "recovered" && sample.status === 303);
    assert.ok(afterPause?.email, "an application was accepted after the recovery");
    await waitFor("the confirmation email of an application after the pause", () =>
      smtp.messages.find((message) => message.to.includes(afterPause.email ?? "")),
    );
  });
});
