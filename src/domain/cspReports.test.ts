// What we keep of a CSP report body: the shapes each content type may carry, the caps, the cleaning of
// every string, and the URLs stripped of what could identify a person.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { HttpError } from "../errors.js";
import {
  MAX_FIELD_LENGTH,
  MAX_REPORTS_PER_REQUEST,
  parseCspReportBody,
  redactReportedUrl,
  type TCspViolation,
} from "./cspReports.js";

// Shaped like our link tokens (tokens.ts): 256 random bits, base64url.
const TOKEN = randomBytes(32).toString("base64url");

function legacyReport(fields: Record<string, unknown> = {}) {
  return {
    "csp-report": {
      "document-uri": "https://portal.example/apply?x=1",
      referrer: "https://elsewhere.example/private?who=me",
      "violated-directive": "script-src-elem",
      "effective-directive": "script-src-elem",
      "original-policy": "default-src 'self'; script-src 'nonce-abc'",
      disposition: "enforce",
      "blocked-uri": "https://cdn.example/lib.js?v=2",
      "line-number": 12,
      "column-number": 5,
      "source-file": "https://portal.example/static/app.js",
      "status-code": 200,
      "script-sample": "",
      ...fields,
    },
  };
}

function reportingApiReport(body: Record<string, unknown> = {}, type = "csp-violation") {
  return {
    type,
    age: 10,
    url: "https://portal.example/staff",
    user_agent: "Mozilla/5.0 (private browser details)",
    body: {
      documentURL: "https://portal.example/staff/cases?state=SUBMITTED#top",
      referrer: "",
      blockedURL: "inline",
      effectiveDirective: "style-src-attr",
      originalPolicy: "default-src 'self'",
      sourceFile: "https://portal.example/staff/cases",
      sample: "color: red",
      disposition: "report",
      statusCode: 200,
      lineNumber: 3,
      columnNumber: 14,
      ...body,
    },
  };
}

const parse = (body: unknown, format: "csp-report" | "reports+json" | "json" = "json") =>
  parseCspReportBody(typeof body === "string" ? body : JSON.stringify(body), format);

function assertRefused(run: () => unknown, status: number, message: RegExp) {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof HttpError);
    assert.equal(error.status, status);
    assert.match(error.message, message);
    return true;
  });
}

describe("parsing a CSP report body", () => {
  test("a legacy report keeps only the fields we store, with URLs stripped of query and fragment", () => {
    const batch = parse(legacyReport(), "csp-report");
    assert.deepEqual(batch, {
      violations: [
        {
          directive: "script-src-elem",
          blockedUrl: "https://cdn.example/lib.js",
          documentUrl: "https://portal.example/apply",
          disposition: "enforce",
          sourceFile: "https://portal.example/static/app.js",
          lineNumber: 12,
          columnNumber: 5,
          sample: null,
        } satisfies TCspViolation,
      ],
      received: 1,
      discarded: 0,
      ignored: 0,
    });
  });

  test("the directive is the effective one, or the first word of the violated one, lower-cased", () => {
    const report = legacyReport({
      "effective-directive": undefined,
      "violated-directive": "Script-Src 'self' 'nonce-abc'",
    });
    assert.equal(parse(report).violations[0]?.directive, "script-src");
    // Not a directive name at all: the report is not kept.
    assert.equal(parse(legacyReport({ "effective-directive": "<b>bold</b>" })).ignored, 1);
  });

  test("a report without a disposition was enforced; one with an unknown disposition is not kept", () => {
    assert.equal(parse(legacyReport({ disposition: undefined })).violations[0]?.disposition, "enforce");
    assert.equal(parse(legacyReport({ disposition: "maybe" })).violations.length, 0);
  });

  test("a Reporting API batch keeps csp-violation reports and ignores other types", () => {
    const batch = parse(
      [
        reportingApiReport(),
        reportingApiReport({}, "deprecation"),
        reportingApiReport({ effectiveDirective: undefined }),
      ],
      "reports+json",
    );
    assert.deepEqual(batch.violations, [
      {
        directive: "style-src-attr",
        blockedUrl: "inline",
        documentUrl: "https://portal.example/staff/cases",
        disposition: "report",
        sourceFile: "https://portal.example/staff/cases",
        lineNumber: 3,
        columnNumber: 14,
        sample: "color: red",
      },
    ]);
    assert.equal(batch.received, 3);
    assert.equal(batch.ignored, 2);
  });

  test("a Reporting API report without a documentURL falls back to the report's url", () => {
    const batch = parse([reportingApiReport({ documentURL: undefined })], "reports+json");
    assert.equal(batch.violations[0]?.documentUrl, "https://portal.example/staff");
  });

  test("application/json takes either shape; each specific type only its own", () => {
    assert.equal(parse(legacyReport(), "json").violations.length, 1);
    assert.equal(parse([reportingApiReport()], "json").violations.length, 1);
    assertRefused(() => parse([reportingApiReport()], "csp-report"), 400, /"csp-report" member/);
    assertRefused(() => parse(legacyReport(), "reports+json"), 400, /array of reports/);
    assertRefused(() => parse({ report: {} }, "json"), 400, /"csp-report" member/);
    assertRefused(() => parse("42", "json"), 400, /array of reports or an object/);
    assertRefused(() => parse("null", "json"), 400, /array of reports or an object/);
  });

  test("a body that is not JSON, or nested beyond the parser's depth, is a 400", () => {
    assertRefused(() => parse("{not json", "json"), 400, /not valid JSON/);
    assertRefused(() => parse("", "json"), 400, /not valid JSON/);
    assertRefused(() => parse(`${"[".repeat(8000)}${"]".repeat(8000)}`, "json"), 400, /not valid JSON/);
  });

  test(`at most ${MAX_REPORTS_PER_REQUEST} reports of a batch are read; the rest are discarded`, () => {
    const reports = Array.from({ length: MAX_REPORTS_PER_REQUEST + 5 }, (_, index) =>
      reportingApiReport({ blockedURL: `https://cdn.example/${index}.js` }),
    );
    const batch = parse(reports, "reports+json");
    assert.equal(batch.violations.length, MAX_REPORTS_PER_REQUEST);
    assert.equal(
      batch.violations.at(-1)?.blockedUrl,
      `https://cdn.example/${MAX_REPORTS_PER_REQUEST - 1}.js`,
    );
    assert.deepEqual(
      { received: batch.received, discarded: batch.discarded, ignored: batch.ignored },
      { received: MAX_REPORTS_PER_REQUEST + 5, discarded: 5, ignored: 0 },
    );
  });

  test("every string is stripped of control and bidi characters and capped at about 1 KB", () => {
    const batch = parse(
      legacyReport({
        "script-sample": `a\u0000b\u001bc\u0085d\u202ee\u2066f\u2028g\u007fh${"x".repeat(5000)}`,
        "blocked-uri": `https://cdn.example/${"p".repeat(3000)}`,
      }),
    );
    const violation = batch.violations[0];
    assert.ok(violation);
    assert.equal(violation.sample, `abcdefgh${"x".repeat(MAX_FIELD_LENGTH - 8)}…`);
    assert.equal(violation.blockedUrl.length, MAX_FIELD_LENGTH + 1);
    assert.ok(violation.blockedUrl.startsWith("https://cdn.example/ppp"));
  });

  test("fields of the wrong type are dropped; a missing document URL drops the report", () => {
    const batch = parse(legacyReport({ "line-number": "12", "column-number": -1, "source-file": { a: 1 } }));
    assert.deepEqual(
      {
        lineNumber: batch.violations[0]?.lineNumber,
        columnNumber: batch.violations[0]?.columnNumber,
        sourceFile: batch.violations[0]?.sourceFile,
      },
      { lineNumber: null, columnNumber: null, sourceFile: null },
    );
    assert.equal(parse(legacyReport({ "document-uri": undefined })).ignored, 1);
    assert.equal(parse({ "csp-report": "just text" }).ignored, 1);
  });

  test("__proto__, constructor and prototype keys are removed and pollute nothing", () => {
    const body = `{
      "__proto__": { "polluted": "yes", "csp-report": { "document-uri": "https://from-proto.example/" } },
      "constructor": { "prototype": { "polluted": "yes" } },
      "csp-report": {
        "__proto__": { "polluted": "yes", "effective-directive": "img-src", "disposition": "report" },
        "constructor": { "prototype": { "polluted": "yes" } },
        "prototype": { "polluted": "yes" },
        "document-uri": "https://portal.example/",
        "effective-directive": "script-src",
        "blocked-uri": "eval"
      }
    }`;
    const batch = parse(body, "csp-report");
    assert.deepEqual(batch.violations, [
      {
        directive: "script-src",
        blockedUrl: "eval",
        documentUrl: "https://portal.example/",
        disposition: "enforce",
        sourceFile: null,
        lineNumber: null,
        columnNumber: null,
        sample: null,
      },
    ]);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.hasOwn(Object.prototype, "polluted"), false);
    // A legacy body whose only "csp-report" would come through __proto__ is not a report body.
    assertRefused(
      () => parse(`{"__proto__": {"csp-report": {"document-uri": "https://x.example/"}}}`, "csp-report"),
      400,
      /"csp-report" member/,
    );
  });

  test("reports about browser extensions are dropped, whether in the blocked URL or the source file", () => {
    const schemes = [
      "chrome-extension",
      "moz-extension",
      "safari-extension",
      "safari-web-extension",
      "ms-browser-extension",
      "webkit-masked-url",
    ];
    for (const scheme of schemes) {
      assert.equal(parse(legacyReport({ "blocked-uri": `${scheme}://abcdef/inject.js` })).ignored, 1, scheme);
      assert.equal(parse(legacyReport({ "blocked-uri": scheme })).ignored, 1, `${scheme} alone`);
      assert.equal(
        parse([reportingApiReport({ sourceFile: `${scheme.toUpperCase()}://abcdef/content.js` })], "json")
          .ignored,
        1,
        `${scheme} source file`,
      );
    }
    assert.equal(parse(legacyReport({ "blocked-uri": "https://chrome-extension.example/x.js" })).ignored, 0);
  });
});

describe("reported URLs", () => {
  test("the token of every emailed link is replaced, and no query string or fragment is kept", () => {
    for (const prefix of [
      "/apply/confirm/",
      "/apply/sign-in/",
      "/apply/invitation/",
      "/staff/invitation/",
      "/staff/password-reset/",
      "/setup/",
    ]) {
      assert.equal(
        redactReportedUrl(`https://portal.example${prefix}${TOKEN}?next=/x#frag`),
        `https://portal.example${prefix}[REDACTED]`,
        prefix,
      );
      // A cut-off or mistyped token is still most of a secret.
      assert.equal(
        redactReportedUrl(`https://portal.example${prefix}abc123`),
        `https://portal.example${prefix}[REDACTED]`,
      );
    }
    // The one real page under a link prefix stays readable, as do ordinary pages.
    assert.equal(
      redactReportedUrl("https://portal.example/apply/sign-in/sent"),
      "https://portal.example/apply/sign-in/sent",
    );
    assert.equal(
      redactReportedUrl("https://portal.example/apply/sign-in"),
      "https://portal.example/apply/sign-in",
    );
    assert.equal(
      redactReportedUrl("https://portal.example/staff/invitations/123"),
      "https://portal.example/staff/invitations/123",
    );
    // A token-shaped segment anywhere else is replaced too.
    assert.equal(
      redactReportedUrl(`https://portal.example/other/${TOKEN}/x`),
      "https://portal.example/other/[REDACTED]/x",
    );
  });

  test("credentials are dropped; other schemes keep only the scheme; keywords and paths stay", () => {
    assert.equal(
      redactReportedUrl("https://user:secret@cdn.example:8443/a.js?k=v"),
      "https://cdn.example:8443/a.js",
    );
    assert.equal(redactReportedUrl("data:text/html;base64,PHNjcmlwdD4="), "data:");
    assert.equal(
      redactReportedUrl("blob:https://portal.example/0b6c1c0e-1e7a-4b2e-9a8e-1c1d2e3f4a5b"),
      "blob:",
    );
    assert.equal(redactReportedUrl("inline"), "inline");
    assert.equal(redactReportedUrl(" eval "), "eval");
    assert.equal(redactReportedUrl(`/apply/confirm/${TOKEN}?a=b`), "/apply/confirm/[REDACTED]");
    assert.equal(redactReportedUrl("http://[not a url/x?y"), "http:");
  });
});
