// Reliability drill: Postgres goes away and comes back while requests flow. The portal (a real web
// process and a real worker process) must answer 503 from /readyz meanwhile, answer every request
// promptly with a proper page (never hang, never crash), and recover by itself once the server is back:
// same processes, no restart.
import assert from "node:assert/strict";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "../database/embeddedPostgres.js";
import { migrateDatabase } from "../database/migrate.js";
import { createLogger } from "../logger.js";
import { TestBrowser } from "../test/browser.js";
import { type PortalProcess, setupTokenOf, startPortal } from "../test/portalProcess.js";
import { freePort } from "../test/ports.js";
import {
  createTestCertificate,
  startTestSmtpServer,
  type TestSmtpServer,
  writeCertificateFile,
} from "../test/smtp.js";
import { waitFor } from "../test/waitFor.js";

/** Far longer than any answer should take: a request still open after this is a hang. */
const HANG_MS = 20_000;

type Phase = "before" | "stopping" | "outage" | "starting" | "after" | "recovered";

interface Sample {
  path: string;
  /**
   * When the request ran: before, while the server stopped, while it was down, while it started, after
   * it started, once /readyz said 200 again; "between" when it began in one and ended in another.
   */
  phase: Phase | "between";
  status: number | null;
  body: string;
  /** A network error or a request cut off by HANG_MS. */
  failure: string | null;
  retryAfter: string | null;
  /** Reported, never asserted (speed belongs in benchmarks). */
  durationMs: number;
}

let dataRoot: string;
let postgresPort: number;
let postgres: EmbeddedPostgres | undefined;
let smtp: TestSmtpServer;
let caFile: { path: string; remove(): Promise<void> };
const portals: PortalProcess[] = [];

async function startPostgres(): Promise<EmbeddedPostgres> {
  return startEmbeddedPostgres({
    dataDir: path.join(dataRoot, "postgres"),
    port: postgresPort,
    databaseName: "drill",
    fsync: false,
  });
}

before(async () => {
  dataRoot = await mkdtemp(path.join(tmpdir(), "vp-drill-pg-"));
  await chmod(dataRoot, 0o755); // the postgres OS user must reach its data folder inside
  postgresPort = await freePort();
  postgres = await startPostgres();
  await migrateDatabase(postgres.connectionString, createLogger({ level: "silent", pretty: false }));
  smtp = await startTestSmtpServer({ tls: "starttls" });
  caFile = await writeCertificateFile((await createTestCertificate()).cert);
});

after(async () => {
  await Promise.all(portals.map((portal) => portal.stop()));
  await postgres?.stop();
  await smtp?.close();
  await caFile?.remove();
  await rm(dataRoot, { recursive: true, force: true });
});

async function get(baseUrl: string, pathname: string): Promise<Omit<Sample, "phase" | "path">> {
  const started = performance.now();
  try {
    const response = await fetch(new URL(pathname, baseUrl), { signal: AbortSignal.timeout(HANG_MS) });
    const body = await response.text();
    return {
      status: response.status,
      body,
      failure: null,
      retryAfter: response.headers.get("retry-after"),
      durationMs: performance.now() - started,
    };
  } catch (error) {
    return {
      status: null,
      body: "",
      failure: String(error),
      retryAfter: null,
      durationMs: performance.now() - started,
    };
  }
}

/** The portal's error lines, for failure messages. */
function errorLines(portal: PortalProcess): string {
  return portal
    .output()
    .split("\n")
    .filter((line) => /"level":(50|60)/.test(line))
    .join("\n")
    .slice(-4000);
}

describe("Postgres restarted while requests flow", () => {
  test("the portal answers 503 meanwhile, then recovers by itself: same processes, nothing lost", async (t) => {
    const webPort = await freePort();
    const env = {
      DATABASE_URL: postgres?.connectionString ?? "",
      PORT: String(webPort),
      PUBLIC_URL: `http://127.0.0.1:${webPort}`,
      SMTP_HOST: "127.0.0.1",
      SMTP_PORTS: String(smtp.port),
      SMTP_CA_FILE: caFile.path,
      MAIL_FROM_ADDRESS: "vetting@example.org",
      UPLOADS_DIR: path.join(dataRoot, "uploads"),
      LOG_LEVEL: "info",
      // A connection attempt that hangs gives up after this: requests during an outage answer promptly.
      DATABASE_CONNECTION_TIMEOUT_MS: "2000",
      MAIL_RETRY_BASE_MS: "200",
    };
    const web = startPortal(env, [process.execPath, "--import", "tsx", "src/main.ts", "--web"]);
    portals.push(web);
    // The first process to start writes the setup link to its file (its output is not a terminal).
    const { token: setupToken } = await setupTokenOf(web);
    await web.waitForOutput(/web server listening/);
    const worker = startPortal(env, [process.execPath, "--import", "tsx", "src/main.ts", "--worker"]);
    portals.push(worker);
    await worker.waitForOutput(/"msg":"Worker connected/);
    const baseUrl = `http://127.0.0.1:${webPort}`;
    const setupPath = `/setup/${setupToken}`;
    const webPid = web.child.pid;
    const workerPid = worker.child.pid;

    // A page that reads the database (the setup link's token), a page that does not, and the probe.
    const paths = ["/", "/readyz", setupPath];
    const samples: Sample[] = [];
    let phase: Phase = "before";
    let isFlowing = true;
    const flow = (async () => {
      while (isFlowing) {
        await Promise.all(
          paths.map(async (pathname) => {
            const started = phase;
            const answer = await get(baseUrl, pathname);
            samples.push({ path: pathname, phase: started === phase ? started : "between", ...answer });
          }),
        );
        await delay(50);
      }
    })();

    try {
      await waitFor("requests before the outage", async () =>
        samples.filter((sample) => sample.phase === "before").length >= 9 ? true : undefined,
      );

      phase = "stopping";
      await postgres?.stop();
      postgres = undefined;
      phase = "outage";
      // Long enough for every kind of request to meet the outage several times.
      await waitFor("requests during the outage", async () =>
        samples.filter((sample) => sample.phase === "outage").length >= 30 ? true : undefined,
      );
      phase = "starting";
      postgres = await startPostgres();
      phase = "after";

      const recovered = await waitFor("/readyz 200 after the restart", async () => {
        const answer = await get(baseUrl, "/readyz");
        return answer.status === 200 ? answer : undefined;
      });
      assert.equal(JSON.parse(recovered.body).checks.database, "ok");
      phase = "recovered";
      await waitFor("requests after the recovery", async () =>
        samples.filter((sample) => sample.phase === "recovered").length >= 9 ? true : undefined,
      );
    } finally {
      isFlowing = false;
      await flow;
    }

    // Every request got an answer (none hung, none met a closed socket): 200, or 503 while the
    // database was away.
    assert.deepEqual(
      samples.filter((sample) => sample.failure !== null),
      [],
      "every request was answered",
    );
    for (const sample of samples) {
      assert.ok(sample.status === 200 || sample.status === 503, `${sample.path}: ${sample.status}`);
    }
    for (const sample of samples.filter((sample) => sample.phase === "before")) {
      assert.equal(sample.status, 200, `${sample.path} before the outage\n${errorLines(web)}`);
    }

    const outage = samples.filter((sample) => sample.phase === "outage");
    const readyDuringOutage = outage.filter((sample) => sample.path === "/readyz" && sample.status === 503);
    assert.ok(readyDuringOutage.length > 0, "/readyz said 503 during the outage");
    for (const sample of readyDuringOutage) {
      const body = JSON.parse(sample.body);
      assert.equal(body.status, "not ready");
      assert.ok(body.failing.includes("database"), sample.body);
      assert.notEqual(body.checks.database, "ok");
      assert.equal(body.checks.uploads, "ok", "the uploads volume is still fine");
    }
    // The page that needs the database: a 503 page that says so, not a hang, a crash or a bare 500.
    const setupDuringOutage = outage.filter((sample) => sample.path === setupPath && sample.status !== 200);
    assert.ok(setupDuringOutage.length > 0, "the setup page met the outage");
    for (const sample of setupDuringOutage) {
      assert.equal(sample.status, 503, `${sample.path}: ${sample.body.slice(0, 300)}`);
      assert.match(sample.retryAfter ?? "", /^\d+$/, "Retry-After says when to try again");
      assert.match(sample.body, /<h1>[^<]*unavailable[^<]*<\/h1>/i);
      assert.doesNotMatch(sample.body, /prisma|ECONNREFUSED|postgres/i, "no internals on the page");
    }
    // A page that needs no database keeps working throughout.
    for (const sample of outage.filter((sample) => sample.path === "/")) {
      assert.equal(sample.status, 200, "the home page needs no database");
    }

    // Recovered by itself: once /readyz says so, every page answers 200 again…
    for (const sample of samples.filter((sample) => sample.phase === "recovered")) {
      assert.equal(sample.status, 200, `${sample.path} after the recovery\n${errorLines(web)}`);
    }
    const setupPage = await get(baseUrl, setupPath);
    assert.equal(setupPage.status, 200, setupPage.body.slice(0, 300));
    t.diagnostic(
      `${outage.length} requests during the outage, the slowest answered in ${Math.round(
        Math.max(...outage.map((sample) => sample.durationMs)),
      )} ms`,
    );
    // …the same processes, which never exited…
    assert.equal(web.child.pid, webPid);
    assert.equal(worker.child.pid, workerPid);
    assert.equal(web.child.exitCode, null, web.output().slice(-3000));
    assert.equal(worker.child.exitCode, null, worker.output().slice(-3000));
    // …and a change made through the web process now reaches the worker, which delivers its email.
    const browser = new TestBrowser(baseUrl);
    await browser.get("/apply");
    const applied = await browser.post("/apply", {
      fullName: "Ada Applicant",
      email: "ada@example.org",
      statement: "I organise the reading group.",
      consent: "yes",
    });
    assert.equal(applied.response.status, 303, applied.html.slice(0, 500));
    const delivered = await waitFor("the confirmation email", async () =>
      smtp.messages.find((message) => message.to.includes("ada@example.org")),
    );
    assert.ok(delivered.messageId);
  });
});
