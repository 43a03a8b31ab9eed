// GET /metrics over real HTTP against real Postgres: who is answered (loopback, the bearer token; in
// production loopback only when opted in, and never the development mailbox) and who
// gets a plain 404 (a client nginx relays from elsewhere), that the text parses and carries every family,
// that routes are labelled by pattern (never an id), and that the counters move after the real events.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { ConfigError, loadConfig } from "../../config.js";
import { loadForm, postForm, startTestApp, type TestApp } from "../../test/app.js";
import { clearUploads, postEvidence, seedEvidenceFile } from "../../test/evidenceFiles.js";
import { htmlPage, pdfDocument } from "../../test/evidenceFixtures.js";
import { productionEnvironment } from "../../test/httpsApp.js";
import { truncateTables } from "../../test/reset.js";
import { signedInStaffBrowser } from "../../test/staff.js";

const TOKEN = "metrics-token-0123456789abcdefghijklmnop";
/** A client outside, as nginx (a trusted proxy on loopback) relays it. */
const REMOTE = { "X-Forwarded-For": "203.0.113.10" };

let testApp: TestApp;
before(async () => {
  testApp = await startTestApp({
    env: {
      TRUSTED_PROXIES: "loopback",
      METRICS_TOKEN: TOKEN,
      NEW_CASE_NOTIFICATIONS: "off",
      RATE_LIMIT_CSP_REPORTS: "2/minute",
    },
  });
});
after(() => testApp.close());
beforeEach(async () => {
  await truncateTables(testApp.db, [
    "evidence_files",
    "upload_leases",
    "vetting_cases",
    "outbox_messages",
    "audit_events",
    "staff_sessions",
    "staff_users",
    "rate_limits",
    "csp_violations",
    "graphile_worker._private_jobs",
  ]);
  await clearUploads(testApp);
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format, strictly: every line a comment, blank, or `name{labels} value`. */
function parseExposition(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("# HELP ")) continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type?.[1] && type[2]) {
      assert.ok(!types.has(type[1]), `family ${type[1]} declared twice`);
      types.set(type[1], type[2]);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(sample?.[1] && sample[3], `not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, name, value] of (sample[2] ?? "").matchAll(
      /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g,
    )) {
      labels[name as string] = value as string;
    }
    const value = Number(sample[3]);
    assert.ok(!Number.isNaN(value) || sample[3] === "NaN", `not a number: ${line}`);
    samples.push({ name: sample[1], labels, value });
  }
  return { types, samples };
}

async function scrape(): Promise<{ text: string; types: Map<string, string>; samples: Sample[] }> {
  const response = await fetch(`${testApp.baseUrl}/metrics`);
  assert.equal(response.status, 200);
  const text = await response.text();
  return { text, ...parseExposition(text) };
}

/** The sum of the samples of `name` whose labels include `labels`. */
function sampleSum(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter(
      (sample) =>
        sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
    )
    .reduce((sum, sample) => sum + sample.value, 0);
}

async function createCase(): Promise<string> {
  const row = await testApp.db.vettingCase.create({
    data: {
      origin: "APPLICANT",
      fullName: "Ada Applicant",
      email: "ada@example.org",
      statement: "I organise the local meetup.",
      state: "IN_REVIEW",
      submittedAt: new Date(),
      lastSubmittedAt: new Date(),
    },
    select: { id: true },
  });
  return row.id;
}

describe("who may read /metrics", () => {
  test("a client nginx relays from elsewhere gets a plain 404, with or without a wrong token", async () => {
    for (const headers of [
      REMOTE,
      { ...REMOTE, Authorization: "Bearer not-the-token-0123456789abcdefghij" },
    ]) {
      const response = await fetch(`${testApp.baseUrl}/metrics`, {
        headers: { ...headers, Accept: "text/html" },
      });
      assert.equal(response.status, 404);
      const body = await response.text();
      assert.doesNotMatch(body, /vetting_portal_|process_cpu/);
    }
  });

  test("the bearer token opens it to a remote client; loopback needs none", async () => {
    const withToken = await fetch(`${testApp.baseUrl}/metrics`, {
      headers: { ...REMOTE, Authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(withToken.status, 200);
    assert.match(withToken.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    assert.equal(withToken.headers.get("cache-control"), "no-store");
    assert.match(await withToken.text(), /^# HELP /m);

    const fromLoopback = await fetch(`${testApp.baseUrl}/metrics`);
    assert.equal(fromLoopback.status, 200);
  });

  test("a token shorter than 32 characters is a configuration error", () => {
    assert.throws(
      () => loadConfig({ NODE_ENV: "test", METRICS_TOKEN: "too-short" }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.problems.some((problem) => problem.startsWith("METRICS_TOKEN: must be at least 32 characters")),
    );
  });
});

describe("in production", () => {
  /** The app as production runs it (NODE_ENV=production), with a mailbox folder handed to it all the same. */
  async function startProduction(env: Record<string, string> = {}): Promise<TestApp> {
    return startTestApp({
      devMailboxDir: "/nonexistent",
      env: { ...productionEnvironment("https://vetting.example.org"), ...env },
    });
  }

  test("neither /metrics nor the development mailbox answers a loopback client without the token", async () => {
    const production = await startProduction({ METRICS_TOKEN: TOKEN });
    try {
      for (const path of [
        "/metrics",
        "/dev/mailbox",
        "/dev/mailbox/any-message",
        "/dev/mailbox/any-message/html",
      ]) {
        const response = await fetch(`${production.baseUrl}${path}`);
        assert.equal(response.status, 404, path);
        assert.doesNotMatch(await response.text(), /vetting_portal_|process_cpu|Development mailbox/, path);
      }
      const clear = await fetch(`${production.baseUrl}/dev/mailbox/clear`, { method: "POST" });
      assert.ok(clear.status === 403 || clear.status === 404, `POST /dev/mailbox/clear: ${clear.status}`);

      // The token a scraper presents still opens /metrics, from this host or relayed from elsewhere.
      for (const headers of [{}, REMOTE]) {
        const withToken = await fetch(`${production.baseUrl}/metrics`, {
          headers: { ...headers, Authorization: `Bearer ${TOKEN}` },
        });
        assert.equal(withToken.status, 200);
        assert.match(await withToken.text(), /^# HELP /m);
      }
    } finally {
      await production.close();
    }
  });

  test("an operator who opts in (METRICS_ALLOW_LOOPBACK=true) lets a scraper on this host read it without a token", async () => {
    // As deployed: nginx on this host is the trusted proxy, so what it relays from elsewhere is not loopback.
    const production = await startProduction({ METRICS_ALLOW_LOOPBACK: "true", TRUSTED_PROXIES: "loopback" });
    try {
      assert.equal((await fetch(`${production.baseUrl}/metrics`)).status, 200);
      assert.equal((await fetch(`${production.baseUrl}/metrics`, { headers: REMOTE })).status, 404);
      assert.equal((await fetch(`${production.baseUrl}/dev/mailbox`)).status, 404);
    } finally {
      await production.close();
    }
  });

  test("with neither a token nor the opt-in, /metrics is closed to everyone", async () => {
    const production = await startProduction();
    try {
      assert.equal(production.config.isMetricsLoopbackAllowed, false);
      assert.equal((await fetch(`${production.baseUrl}/metrics`)).status, 404);
      const guessed = await fetch(`${production.baseUrl}/metrics`, { headers: { Authorization: "Bearer " } });
      assert.equal(guessed.status, 404);
    } finally {
      await production.close();
    }
  });
});

describe("what /metrics says", () => {
  test("every family is there, typed, with the database's outbox, job queue and evidence", async () => {
    const caseId = await createCase();
    const stored = await seedEvidenceFile(testApp, {
      caseId,
      bytes: pdfDocument("Passport"),
      displayName: "passport.pdf",
      mediaType: "application/pdf",
    });
    const anHourAgo = new Date(Date.now() - 3600_000);
    for (const status of ["QUEUED", "QUEUED", "SENT", "FAILED"] as const) {
      await testApp.db.outboxMessage.create({
        data: { kind: "account_blocked", recipient: "ops@example.org", status, createdAt: anHourAgo },
      });
    }
    await testApp.db.$executeRawUnsafe(`SELECT graphile_worker.add_job('sendEmail', '{}'::json)`);

    const { types, samples } = await scrape();
    const expected: Record<string, string> = {
      vetting_portal_http_request_duration_seconds: "histogram",
      vetting_portal_outbox_emails: "gauge",
      vetting_portal_outbox_oldest_queued_age_seconds: "gauge",
      vetting_portal_job_queue_jobs: "gauge",
      vetting_portal_evidence_files_stored: "gauge",
      vetting_portal_evidence_stored_bytes: "gauge",
      vetting_portal_evidence_uploads_accepted_total: "counter",
      vetting_portal_evidence_uploads_refused_total: "counter",
      vetting_portal_rate_limit_refusals_total: "counter",
      vetting_portal_rate_limit_local_decisions_total: "counter",
      vetting_portal_csp_reports_received_total: "counter",
      vetting_portal_sign_in_failures_total: "counter",
      vetting_portal_metrics_database_up: "gauge",
      vetting_portal_job_queue_oldest_ready_age_seconds: "gauge",
      vetting_portal_registration_tokens: "gauge",
      vetting_portal_registration_tokens_retrying: "gauge",
      vetting_portal_registration_token_failures_total: "counter",
      vetting_portal_evidence_orphan_files_removed_total: "counter",
      vetting_portal_rate_limit_store_failures_total: "counter",
      vetting_portal_ready: "gauge",
      vetting_portal_readiness_check_ok: "gauge",
      process_cpu_user_seconds_total: "counter",
      process_resident_memory_bytes: "gauge",
      nodejs_eventloop_lag_seconds: "gauge",
      nodejs_heap_size_used_bytes: "gauge",
    };
    for (const [family, type] of Object.entries(expected)) assert.equal(types.get(family), type, family);

    assert.equal(sampleSum(samples, "vetting_portal_metrics_database_up"), 1);
    assert.equal(sampleSum(samples, "vetting_portal_outbox_emails", { status: "queued" }), 2);
    assert.equal(sampleSum(samples, "vetting_portal_outbox_emails", { status: "sent" }), 1);
    assert.equal(sampleSum(samples, "vetting_portal_outbox_emails", { status: "failed" }), 1);
    assert.equal(sampleSum(samples, "vetting_portal_outbox_emails", { status: "sending" }), 0);
    const oldest = sampleSum(samples, "vetting_portal_outbox_oldest_queued_age_seconds");
    assert.ok(oldest >= 3600 && oldest < 3600 + 600, `oldest queued age ${oldest}`);
    assert.equal(sampleSum(samples, "vetting_portal_job_queue_jobs", { state: "ready" }), 1);
    assert.equal(sampleSum(samples, "vetting_portal_job_queue_jobs", { state: "running" }), 0);
    assert.equal(sampleSum(samples, "vetting_portal_evidence_files_stored"), 1);
    assert.equal(sampleSum(samples, "vetting_portal_evidence_stored_bytes"), stored.bytes.length);
    const oldestJob = sampleSum(samples, "vetting_portal_job_queue_oldest_ready_age_seconds");
    assert.ok(oldestJob >= 0 && oldestJob < 60, `oldest ready job ${oldestJob}`);
    assert.equal(sampleSum(samples, "vetting_portal_registration_tokens", { state: "pending" }), 0);

    // Readiness as /readyz sees it: this test's relay (port 2525) does not answer, which only degrades.
    assert.equal(sampleSum(samples, "vetting_portal_ready"), 1);
    const checks = Object.fromEntries(
      samples
        .filter((sample) => sample.name === "vetting_portal_readiness_check_ok")
        .map((sample) => [sample.labels.check, sample.value]),
    );
    // Scanning is off in the tests' configuration: no scanner check to report.
    assert.deepEqual(checks, { database: 1, migrations: 1, uploads: 1, uploads_room: 1, mail: 0 });
    // Reported only where configured: no BACKUP_DIR, no security.txt here.
    assert.ok(!types.has("vetting_portal_backup_last_success_timestamp_seconds"));
    assert.ok(!types.has("vetting_portal_security_txt_expiry_timestamp_seconds"));
  });

  test("requests are labelled by the route's pattern, never by the ids or tokens in the path", async () => {
    const caseId = await createCase();
    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT");
    const before = (await scrape()).samples;
    assert.equal((await agent.get(`/staff/cases/${caseId}`)).status, 200);
    assert.equal((await fetch(`${testApp.baseUrl}/no-such-page/${caseId}`)).status, 404);

    const { text, samples } = await scrape();
    const count = (labels: Record<string, string>) =>
      sampleSum(samples, "vetting_portal_http_request_duration_seconds_count", labels) -
      sampleSum(before, "vetting_portal_http_request_duration_seconds_count", labels);
    assert.equal(count({ method: "GET", route: "/staff/cases/:id", status: "200" }), 1);
    assert.equal(count({ method: "GET", route: "unmatched", status: "404" }), 1);
    assert.ok(!text.includes(caseId), "no id in any label");
    const routes = new Set(
      samples
        .filter((sample) => sample.name === "vetting_portal_http_request_duration_seconds_count")
        .map((sample) => sample.labels.route ?? ""),
    );
    for (const route of routes) assert.match(route, /^(\/[\w:.-]*)+$|^unmatched$|^\/static\/\*$/, route);
  });

  test("counters move after the events: a sign-in failure, uploads accepted and refused, CSP reports, a 429", async () => {
    const before = (await scrape()).samples;
    const moved = (after: Sample[], name: string, labels: Record<string, string> = {}) =>
      sampleSum(after, name, labels) - sampleSum(before, name, labels);

    // A sign-in with an address that names no account.
    const signIn = await loadForm(`${testApp.baseUrl}/staff/sign-in`);
    await postForm(
      `${testApp.baseUrl}/staff/sign-in`,
      { _csrf: signIn.csrfToken, email: "nobody@example.org", password: "not a password at all" },
      { cookie: signIn.cookie },
    );

    // One upload refused for what it is (an HTML page), one accepted.
    const caseId = await createCase();
    const agent = await signedInStaffBrowser(testApp, "VETTING_AGENT");
    const refused = await postEvidence(`${testApp.baseUrl}/staff/cases/${caseId}/evidence`, {
      cookie: agent.cookie,
      csrfToken: agent.csrfToken,
      files: [{ name: "letter.html", type: "text/html", bytes: htmlPage() }],
      json: true,
    });
    assert.equal(refused.status, 400);
    const accepted = await postEvidence(`${testApp.baseUrl}/staff/cases/${caseId}/evidence`, {
      cookie: agent.cookie,
      csrfToken: agent.csrfToken,
      files: [{ name: "passport.pdf", type: "application/pdf", bytes: pdfDocument("Passport") }],
      json: true,
    });
    assert.equal(accepted.status, 201);

    // CSP reports from one client: the limit is 2 a minute, so the third is refused.
    const statuses: number[] = [];
    for (let report = 0; report < 3; report++) {
      const response = await fetch(`${testApp.baseUrl}/csp-report`, {
        method: "POST",
        headers: { ...REMOTE, "Content-Type": "application/csp-report" },
        body: JSON.stringify({
          "csp-report": {
            "document-uri": "https://portal.example/apply",
            "violated-directive": "script-src-elem",
            "effective-directive": "script-src-elem",
            "original-policy": "default-src 'self'",
            disposition: "enforce",
            "blocked-uri": "https://cdn.example/lib.js",
          },
        }),
      });
      statuses.push(response.status);
    }
    assert.deepEqual(statuses, [204, 204, 429]);

    const after = (await scrape()).samples;
    assert.equal(
      moved(after, "vetting_portal_sign_in_failures_total", { reason: "unknown_account", stage: "password" }),
      1,
    );
    assert.equal(moved(after, "vetting_portal_sign_in_failures_total"), 1);
    assert.equal(moved(after, "vetting_portal_evidence_uploads_refused_total", { reason: "bad_request" }), 1);
    assert.equal(moved(after, "vetting_portal_evidence_uploads_refused_total"), 1);
    assert.equal(moved(after, "vetting_portal_evidence_uploads_accepted_total"), 1);
    assert.equal(moved(after, "vetting_portal_csp_reports_received_total"), 2);
    assert.equal(moved(after, "vetting_portal_rate_limit_refusals_total"), 1);
    assert.equal(sampleSum(after, "vetting_portal_evidence_stored_bytes"), pdfDocument("Passport").length);
    assert.equal(
      // Refused before routing, so no route pattern is known yet.
      moved(after, "vetting_portal_http_request_duration_seconds_count", {
        route: "unmatched",
        status: "429",
      }),
      1,
    );
  });
});
