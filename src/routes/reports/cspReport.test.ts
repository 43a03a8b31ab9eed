// POST /csp-report over real HTTP, stored in the real database: each content type, the caps, the
// answers (all JSON, never a cookie), and deduplication, also when identical reports race on two
// instances.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, beforeEach, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import pg from "pg";
import { MAX_REPORTS_PER_REQUEST } from "../../domain/cspReports.js";
import { startTestApp, type TestApp } from "../../test/app.js";
import { truncateTables } from "../../test/reset.js";

let testApp: TestApp;

before(async () => {
  testApp = await startTestApp();
});
after(() => testApp.close());
beforeEach(() => truncateTables(testApp.db, ["csp_violations"]));

function legacyReport(fields: Record<string, unknown> = {}) {
  return {
    "csp-report": {
      "document-uri": "https://portal.example/apply",
      referrer: "",
      "violated-directive": "script-src-elem",
      "effective-directive": "script-src-elem",
      "original-policy": "default-src 'self'",
      disposition: "enforce",
      "blocked-uri": "https://cdn.example/lib.js",
      "status-code": 200,
      ...fields,
    },
  };
}

function reportingApiReport(body: Record<string, unknown> = {}, type = "csp-violation") {
  return {
    type,
    age: 0,
    url: "https://portal.example/staff",
    user_agent: "Mozilla/5.0",
    body: {
      documentURL: "https://portal.example/staff",
      blockedURL: "inline",
      effectiveDirective: "style-src-attr",
      originalPolicy: "default-src 'self'",
      disposition: "enforce",
      statusCode: 200,
      ...body,
    },
  };
}

function postReport(
  body: string | Uint8Array,
  contentType: string,
  headers: Record<string, string> = {},
  baseUrl = testApp.baseUrl,
): Promise<Response> {
  return fetch(`${baseUrl}/csp-report`, {
    method: "POST",
    headers: { "content-type": contentType, ...headers },
    body,
  });
}

const stored = () =>
  testApp.db.cspViolation.findMany({
    orderBy: [{ firstSeenAt: "asc" }, { blockedUrl: "asc" }],
    omit: { id: true, dedupKey: true },
  });

async function assertJsonError(response: Response, status: number, id: string) {
  assert.equal(response.status, status);
  assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
  const body = (await response.json()) as { error: { status: number; id: string; requestId: string } };
  assert.equal(body.error.status, status);
  assert.equal(body.error.id, id);
  assert.equal(body.error.requestId, response.headers.get("x-request-id"));
  assert.equal(response.headers.get("set-cookie"), null);
}

describe("POST /csp-report", () => {
  test("application/csp-report: a legacy report is stored; 204, no body, no cookie, no session or token", async () => {
    const response = await postReport(JSON.stringify(legacyReport()), "application/csp-report");
    assert.equal(response.status, 204);
    assert.equal(await response.text(), "");
    assert.equal(response.headers.get("set-cookie"), null);
    const [row, ...others] = await stored();
    assert.equal(others.length, 0);
    assert.ok(row);
    assert.deepEqual(
      {
        directive: row.directive,
        blockedUrl: row.blockedUrl,
        documentUrl: row.documentUrl,
        disposition: row.disposition,
        count: row.count,
      },
      {
        directive: "script-src-elem",
        blockedUrl: "https://cdn.example/lib.js",
        documentUrl: "https://portal.example/apply",
        disposition: "ENFORCE",
        count: 1,
      },
    );
    assert.equal(row.firstSeenAt.getTime(), row.lastSeenAt.getTime());
  });

  test("application/reports+json: csp-violation reports are stored, other report types ignored", async () => {
    const response = await postReport(
      JSON.stringify([
        reportingApiReport({
          sourceFile: "https://portal.example/static/app.js",
          lineNumber: 4,
          columnNumber: 2,
        }),
        reportingApiReport({ message: "deprecated" }, "deprecation"),
        reportingApiReport({
          effectiveDirective: "img-src",
          blockedURL: "https://img.example/a.png",
          disposition: "report",
        }),
      ]),
      "application/reports+json",
    );
    assert.equal(response.status, 204);
    const rows = await stored();
    assert.deepEqual(
      rows.map((row) => [
        row.directive,
        row.blockedUrl,
        row.disposition,
        row.sourceFile,
        row.lineNumber,
        row.columnNumber,
      ]),
      [
        ["img-src", "https://img.example/a.png", "REPORT", null, null, null],
        ["style-src-attr", "inline", "ENFORCE", "https://portal.example/static/app.js", 4, 2],
      ],
    );
  });

  test("application/json takes either shape, with a charset parameter too", async () => {
    assert.equal(
      (await postReport(JSON.stringify(legacyReport()), "application/json; charset=utf-8")).status,
      204,
    );
    assert.equal((await postReport(JSON.stringify([reportingApiReport()]), "Application/JSON")).status, 204);
    assert.deepEqual((await stored()).map((row) => row.directive).sort(), [
      "script-src-elem",
      "style-src-attr",
    ]);
  });

  test("any other content type is a 415, in JSON even for a browser-like Accept header", async () => {
    for (const contentType of [
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
    ]) {
      const response = await postReport(JSON.stringify(legacyReport()), contentType, { accept: "text/html" });
      await assertJsonError(response, 415, "unsupported_media_type");
    }
    const withoutType = await fetch(`${testApp.baseUrl}/csp-report`, { method: "POST" });
    await assertJsonError(withoutType, 415, "unsupported_media_type");
    assert.equal((await stored()).length, 0);
  });

  test("an unsupported Content-Encoding is a 415; gzip is read", async () => {
    const body = JSON.stringify(legacyReport());
    await assertJsonError(
      await postReport(body, "application/csp-report", { "content-encoding": "compress" }),
      415,
      "unsupported_media_type",
    );
    const gzipped = await postReport(gzipSync(body), "application/csp-report", {
      "content-encoding": "gzip",
    });
    assert.equal(gzipped.status, 204);
    assert.equal((await stored()).length, 1);
  });

  test("a body over 16 KB is a 413, also when it is only that large once decompressed", async () => {
    const padding = "x".repeat(17 * 1024);
    const large = JSON.stringify(legacyReport({ "script-sample": padding }));
    await assertJsonError(await postReport(large, "application/csp-report"), 413, "payload_too_large");

    // Sent without a length, read in chunks: the limit holds while reading.
    const chunked = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let index = 0; index < 20; index += 1)
          controller.enqueue(new TextEncoder().encode(" ".repeat(1024)));
        controller.enqueue(new TextEncoder().encode(JSON.stringify(legacyReport())));
        controller.close();
      },
    });
    const chunkedResponse = await fetch(`${testApp.baseUrl}/csp-report`, {
      method: "POST",
      headers: { "content-type": "application/csp-report" },
      body: chunked,
      duplex: "half",
    } as RequestInit);
    await assertJsonError(chunkedResponse, 413, "payload_too_large");

    // A gzip bomb: 4 MB of spaces compress to a few KB, and reading stops at 16 KB of output.
    const bomb = gzipSync(`${" ".repeat(4 * 1024 * 1024)}${JSON.stringify(legacyReport())}`);
    assert.ok(bomb.length < 16 * 1024);
    await assertJsonError(
      await postReport(bomb, "application/csp-report", { "content-encoding": "gzip" }),
      413,
      "payload_too_large",
    );
    assert.equal((await stored()).length, 0);
  });

  test("malformed JSON or a damaged compressed body is a 400", async () => {
    await assertJsonError(await postReport('{"csp-report": ', "application/csp-report"), 400, "bad_request");
    await assertJsonError(
      await postReport(randomBytes(64), "application/json", { "content-encoding": "gzip" }),
      400,
      "bad_request",
    );
    await assertJsonError(await postReport("[1, 2]", "application/csp-report"), 400, "bad_request");
  });

  test("other methods are a 405 that names POST", async () => {
    const response = await fetch(`${testApp.baseUrl}/csp-report`, { headers: { accept: "text/html" } });
    await assertJsonError(response, 405, "method_not_allowed");
    assert.equal(response.headers.get("allow"), "POST");
  });

  test(`at most ${MAX_REPORTS_PER_REQUEST} reports of one request are kept; the request is still accepted`, async () => {
    const reports = Array.from({ length: MAX_REPORTS_PER_REQUEST + 5 }, (_, index) =>
      reportingApiReport({ blockedURL: `https://cdn.example/${String(index).padStart(2, "0")}.js` }),
    );
    const response = await postReport(JSON.stringify(reports), "application/reports+json");
    assert.equal(response.status, 204);
    const urls = (await stored()).map((row) => row.blockedUrl);
    assert.equal(urls.length, MAX_REPORTS_PER_REQUEST);
    assert.deepEqual(
      urls,
      Array.from(
        { length: MAX_REPORTS_PER_REQUEST },
        (_, i) => `https://cdn.example/${String(i).padStart(2, "0")}.js`,
      ),
    );
  });

  test("strings are stored truncated and without control characters", async () => {
    const response = await postReport(
      JSON.stringify(legacyReport({ "script-sample": `alert\u0000(\u202e1\u0007)${"y".repeat(4000)}` })),
      "application/csp-report",
    );
    assert.equal(response.status, 204);
    const [row] = await stored();
    assert.equal(row?.sample, `alert(1)${"y".repeat(1024 - 8)}…`);
  });

  test("__proto__ and constructor keys are ignored and pollute nothing", async () => {
    const body = `{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}},
      "csp-report": {"__proto__": {"isAdmin": true, "effective-directive": "img-src"},
        "document-uri": "https://portal.example/", "effective-directive": "script-src", "blocked-uri": "eval"}}`;
    const response = await postReport(body, "application/csp-report");
    assert.equal(response.status, 204);
    assert.deepEqual(
      (await stored()).map((row) => [row.directive, row.blockedUrl]),
      [["script-src", "eval"]],
    );
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(({} as Record<string, unknown>).isAdmin, undefined);
  });

  test("reports about browser extensions are accepted and dropped", async () => {
    const response = await postReport(
      JSON.stringify([
        reportingApiReport({ blockedURL: "chrome-extension://abcdefgh/inject.js" }),
        reportingApiReport({ sourceFile: "moz-extension://1234/content.js" }),
        reportingApiReport({ blockedURL: "safari-web-extension://x/y.js" }),
      ]),
      "application/reports+json",
    );
    assert.equal(response.status, 204);
    assert.equal((await stored()).length, 0);
  });

  test("document URLs are stored without query or fragment, and the token of an emailed link is replaced", async () => {
    const token = randomBytes(32).toString("base64url");
    await postReport(
      JSON.stringify(legacyReport({ "document-uri": `https://portal.example/apply/confirm/${token}?a=b#c` })),
      "application/csp-report",
    );
    await postReport(
      JSON.stringify([
        reportingApiReport({ documentURL: `https://portal.example/staff/password-reset/${token}` }),
      ]),
      "application/reports+json",
    );
    const documentUrls = (await stored()).map((row) => row.documentUrl).sort();
    assert.deepEqual(documentUrls, [
      "https://portal.example/apply/confirm/[REDACTED]",
      "https://portal.example/staff/password-reset/[REDACTED]",
    ]);
    const everything = JSON.stringify(await testApp.db.cspViolation.findMany());
    assert.doesNotMatch(everything, new RegExp(token.slice(0, 12)));
  });
});

describe("deduplication", () => {
  test("the same violation within the hour raises the count; after an hour it starts a new row", async () => {
    const body = JSON.stringify(legacyReport());
    for (let index = 0; index < 3; index += 1) {
      assert.equal((await postReport(body, "application/csp-report")).status, 204);
    }
    const [first, ...none] = await stored();
    assert.equal(none.length, 0);
    assert.equal(first?.count, 3);
    assert.ok(first && first.lastSeenAt >= first.firstSeenAt);

    // A different disposition, blocked URL or page is another violation.
    await postReport(JSON.stringify(legacyReport({ disposition: "report" })), "application/csp-report");
    await postReport(
      JSON.stringify(legacyReport({ "blocked-uri": "https://cdn.example/other.js" })),
      "application/csp-report",
    );
    await postReport(
      JSON.stringify(legacyReport({ "document-uri": "https://portal.example/privacy" })),
      "application/csp-report",
    );
    assert.equal((await stored()).length, 4);

    // The first row was last seen more than an hour ago: the next report starts a new row.
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await testApp.db.cspViolation.updateMany({
      where: {
        disposition: "ENFORCE",
        blockedUrl: "https://cdn.example/lib.js",
        documentUrl: "https://portal.example/apply",
      },
      data: { firstSeenAt: twoHoursAgo, lastSeenAt: twoHoursAgo },
    });
    await postReport(body, "application/csp-report");
    const rows = await testApp.db.cspViolation.findMany({
      where: {
        disposition: "ENFORCE",
        blockedUrl: "https://cdn.example/lib.js",
        documentUrl: "https://portal.example/apply",
      },
      orderBy: { firstSeenAt: "asc" },
    });
    assert.deepEqual(
      rows.map((row) => row.count),
      [3, 1],
    );
  });

  test("the same violation twice in one request counts twice on one row", async () => {
    const response = await postReport(
      JSON.stringify([
        reportingApiReport(),
        reportingApiReport(),
        reportingApiReport({ blockedURL: "eval" }),
      ]),
      "application/reports+json",
    );
    assert.equal(response.status, 204);
    assert.deepEqual((await stored()).map((row) => [row.blockedUrl, row.count]).sort(), [
      ["eval", 1],
      ["inline", 2],
    ]);
  });

  test("identical reports racing on two instances make exactly one row with every report counted", async () => {
    const secondInstance = await startTestApp({ databaseUrl: testApp.databaseUrl });
    // To make the race certain rather than likely, a session of our own blocks every write to the table
    // until all requests are inside their transactions: each has looked for a row (reads pass) and
    // waits either to insert (on our lock) or for its key's advisory lock. Without that lock, every one
    // of them would have found nothing and would insert its own row once we let go.
    const blocker = new pg.Client({ connectionString: testApp.databaseUrl });
    await blocker.connect();
    try {
      await blocker.query("BEGIN");
      await blocker.query("LOCK TABLE csp_violations IN EXCLUSIVE MODE");
      // Within each instance's database pool (10 connections), so every request gets a connection.
      const requests = 16;
      const body = JSON.stringify([reportingApiReport()]);
      const responses = Promise.all(
        Array.from({ length: requests }, (_, index) =>
          postReport(
            body,
            "application/reports+json",
            {},
            index % 2 === 0 ? testApp.baseUrl : secondInstance.baseUrl,
          ),
        ),
      );
      // pg_locks is read live (pg_stat_activity would be one snapshot for our whole transaction).
      await eventually(async () => {
        const { rows } = await blocker.query<{ waiting: number }>(
          `SELECT count(*)::int AS waiting FROM pg_locks
            WHERE NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        );
        return rows[0]?.waiting === requests;
      }, `${requests} transactions waiting on a lock`);
      await blocker.query("COMMIT");
      assert.deepEqual(
        (await responses).map((response) => response.status),
        Array(requests).fill(204),
      );
      assert.deepEqual(
        (await stored()).map((row) => [row.blockedUrl, row.count]),
        [["inline", requests]],
      );
    } finally {
      await blocker.end();
      await secondInstance.close();
    }
  });
});

/** Polls until the condition holds; gives up after about 15 s. */
async function eventually(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let attempt = 0; attempt < 150; attempt += 1) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`never happened: ${what}`);
}
