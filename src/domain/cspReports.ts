// What a browser's CSP violation report may contain, and what we keep of it. Reports arrive from anyone
// (no session, no token), so the body is hostile: only the fields we know are read (zod), every string
// is stripped of control characters and capped, keys that could reach an object's prototype are
// removed while parsing, and URLs lose what could identify a person (query string, fragment, the link
// tokens of emailed links). Nothing here does I/O; the route reads the body and the command stores it.
import { z } from "zod";
import { badRequest } from "../errors.js";
import { cleanForLog } from "../logger.js";
import { isWellFormedLinkToken } from "../tokens.js";
import { urls } from "../urls.js";

/** Bytes of (decompressed) body read at most; beyond it the request is refused with 413. */
export const CSP_REPORT_BODY_LIMIT_BYTES = 16 * 1024;
/**
 * Reports read from one request. Browsers batch reports, and a refused batch is only retried and then
 * lost, so a longer batch is not refused: the first ones are kept and the rest are discarded unread.
 */
export const MAX_REPORTS_PER_REQUEST = 20;
/** Characters kept of any one string field (after control characters are removed). */
export const MAX_FIELD_LENGTH = 1024;

export const REDACTED_SEGMENT = "[REDACTED]";

export type TCspReportFormat = "csp-report" | "reports+json" | "json";

/** The content types the endpoint accepts, and the shape each may carry. */
export const CSP_REPORT_CONTENT_TYPES: Record<string, TCspReportFormat> = {
  "application/csp-report": "csp-report",
  "application/reports+json": "reports+json",
  "application/json": "json",
};

export type TCspDisposition = "enforce" | "report";

/** One violation as we store it. */
export interface TCspViolation {
  directive: string;
  blockedUrl: string;
  documentUrl: string;
  disposition: TCspDisposition;
  sourceFile: string | null;
  lineNumber: number | null;
  columnNumber: number | null;
  sample: string | null;
}

export interface TCspReportBatch {
  violations: TCspViolation[];
  /** Reports in the body, including those beyond the cap. */
  received: number;
  /** Reports beyond MAX_REPORTS_PER_REQUEST, not read. */
  discarded: number;
  /** Reports read but not kept: another report type, a shape we cannot use, or extension noise. */
  ignored: number;
}

// JSON.parse defines "__proto__" as a plain own property (it never sets a prototype), but code that
// later copies or merges the object could; removing these keys while parsing means no later step ever
// sees them, whatever it does.
const PROTOTYPE_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/**
 * The body's reports, as we would store them. Throws a 400 for a body that is not JSON or not a report
 * body of its content type. Reports we do not keep are counted, not refused: the browser only needs to
 * know its batch arrived.
 */
export function parseCspReportBody(text: string, format: TCspReportFormat): TCspReportBatch {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, (key, value) => (PROTOTYPE_KEYS.has(key) ? undefined : value));
  } catch {
    // Not JSON, or nested deeper than the parser's stack allows.
    throw badRequest("The body is not valid JSON.");
  }
  const isReportingApiBatch = Array.isArray(parsed) && format !== "csp-report";
  const isLegacyReport =
    !Array.isArray(parsed) && typeof parsed === "object" && parsed !== null && format !== "reports+json";
  if (!isReportingApiBatch && !isLegacyReport) {
    throw badRequest(
      format === "csp-report"
        ? 'The body must be an object with a "csp-report" member.'
        : format === "reports+json"
          ? "The body must be an array of reports."
          : 'The body must be an array of reports or an object with a "csp-report" member.',
    );
  }
  if (isReportingApiBatch) {
    const entries = parsed as unknown[];
    const read = entries.slice(0, MAX_REPORTS_PER_REQUEST);
    const violations = read.map(fromReportingApi).filter((violation) => violation !== null);
    return {
      violations,
      received: entries.length,
      discarded: entries.length - read.length,
      ignored: read.length - violations.length,
    };
  }
  if (!Object.hasOwn(parsed as object, "csp-report")) {
    throw badRequest('The body must be an object with a "csp-report" member.');
  }
  const violation = fromLegacyReport(parsed as Record<string, unknown>);
  return { violations: violation ? [violation] : [], received: 1, discarded: 0, ignored: violation ? 0 : 1 };
}

// Optional fields of the wrong type are dropped rather than failing the whole report.
const optionalText = z.string().optional().catch(undefined);
const optionalPosition = z.number().int().min(0).max(100_000_000).optional().catch(undefined);
const disposition = z.enum(["enforce", "report"]).default("enforce");

// Only these members are read; anything else a browser (or anyone) sends is left behind. The referrer,
// the status code and the original policy are known but deliberately not kept: the referrer is another
// page's URL (privacy), and the policy is ours.
const ZLegacyReport = z.object({
  "document-uri": z.string(),
  "effective-directive": optionalText,
  "violated-directive": optionalText,
  "blocked-uri": optionalText,
  disposition,
  "source-file": optionalText,
  "line-number": optionalPosition,
  "column-number": optionalPosition,
  "script-sample": optionalText,
});

const ZReportingApiReport = z.object({
  type: z.literal("csp-violation"),
  url: optionalText,
  body: z.object({
    documentURL: optionalText,
    effectiveDirective: z.string(),
    blockedURL: optionalText,
    disposition,
    sourceFile: optionalText,
    lineNumber: optionalPosition,
    columnNumber: optionalPosition,
    sample: optionalText,
  }),
});

function fromLegacyReport(body: Record<string, unknown>): TCspViolation | null {
  const parsed = ZLegacyReport.safeParse(body["csp-report"]);
  if (!parsed.success) return null;
  const report = parsed.data;
  return toViolation({
    directive: report["effective-directive"] ?? report["violated-directive"],
    blockedUrl: report["blocked-uri"],
    documentUrl: report["document-uri"],
    disposition: report.disposition,
    sourceFile: report["source-file"],
    lineNumber: report["line-number"],
    columnNumber: report["column-number"],
    sample: report["script-sample"],
  });
}

/** A Reporting API report: only "csp-violation" reports count; other types are ignored. */
function fromReportingApi(entry: unknown): TCspViolation | null {
  const parsed = ZReportingApiReport.safeParse(entry);
  if (!parsed.success) return null;
  const { body, url } = parsed.data;
  return toViolation({
    directive: body.effectiveDirective,
    blockedUrl: body.blockedURL,
    documentUrl: body.documentURL ?? url,
    disposition: body.disposition,
    sourceFile: body.sourceFile,
    lineNumber: body.lineNumber,
    columnNumber: body.columnNumber,
    sample: body.sample,
  });
}

const DIRECTIVE_NAME = /^[a-z][a-z0-9-]{0,63}$/;

function toViolation(report: {
  directive: string | undefined;
  blockedUrl: string | undefined;
  documentUrl: string | undefined;
  disposition: TCspDisposition;
  sourceFile: string | undefined;
  lineNumber: number | undefined;
  columnNumber: number | undefined;
  sample: string | undefined;
}): TCspViolation | null {
  // "violated-directive" may carry the whole directive ("script-src 'self' 'nonce-…'"): its name is
  // the first word.
  const directive = report.directive?.trim().split(/\s+/)[0]?.toLowerCase() ?? "";
  if (!DIRECTIVE_NAME.test(directive) || !report.documentUrl) return null;
  if (isBrowserExtensionUrl(report.blockedUrl) || isBrowserExtensionUrl(report.sourceFile)) return null;
  const sample = report.sample === undefined ? "" : cleanField(report.sample);
  return {
    directive,
    blockedUrl: report.blockedUrl === undefined ? "" : redactReportedUrl(report.blockedUrl),
    documentUrl: redactReportedUrl(report.documentUrl),
    disposition: report.disposition,
    sourceFile: report.sourceFile ? redactReportedUrl(report.sourceFile) || null : null,
    lineNumber: report.lineNumber ?? null,
    columnNumber: report.columnNumber ?? null,
    sample: sample || null,
  };
}

// Extensions inject scripts and styles into every page a person opens; their violations say nothing
// about our pages. Browsers report the scheme alone ("chrome-extension") or a whole URL.
const BROWSER_EXTENSION_SCHEME =
  /^(chrome-extension|moz-extension|safari-extension|safari-web-extension|ms-browser-extension|webkit-masked-url)(:|$)/i;

export function isBrowserExtensionUrl(value: string | undefined): boolean {
  return value !== undefined && BROWSER_EXTENSION_SCHEME.test(value.trim());
}

/** A user-controlled string made safe to store and show: no control or bidi characters, capped. */
export function cleanField(value: string): string {
  return cleanForLog(value, MAX_FIELD_LENGTH) ?? "";
}

const NETWORK_SCHEMES = new Set(["http:", "https:", "ws:", "wss:"]);
const URL_WITH_SCHEME = /^[a-z][a-z0-9+.-]*:/i;

/**
 * A reported URL without what could identify a person: network URLs keep their origin and path (no
 * credentials, query string or fragment), with the token of an emailed link replaced; other schemes
 * keep only the scheme ("data:", "blob:"); keywords ("inline", "eval") stay as they are.
 */
export function redactReportedUrl(raw: string): string {
  const value = raw.trim();
  if (URL_WITH_SCHEME.test(value)) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return cleanField(`${value.slice(0, value.indexOf(":"))}:`);
    }
    if (!NETWORK_SCHEMES.has(url.protocol)) return cleanField(url.protocol);
    return cleanField(`${url.origin}${redactPath(url.pathname)}`);
  }
  // A keyword, or a path without an origin.
  const withoutQuery = value.split(/[?#]/, 1)[0] ?? "";
  return cleanField(redactPath(withoutQuery));
}

// The addresses whose next path segment is a link token (from urls.ts, so they stay in step with the
// routes), and the one real page under such an address.
const TOKEN_LINK_PREFIXES = new Set([
  urls.confirmEmail(""),
  urls.applicantSignIn(""),
  urls.caseInvitation(""),
  urls.staffInvitation(""),
  urls.staffPasswordReset(""),
  urls.setup(""),
]);
const PAGES_UNDER_TOKEN_LINK_PREFIXES = new Set([urls.applicantSignInSent()]);

/**
 * Replaces the segment after a link prefix (whatever it holds: a mistyped or cut-off token is still
 * most of a secret), and any segment shaped like one of our link tokens wherever it appears.
 */
function redactPath(path: string): string {
  const segments = path.split("/");
  return segments
    .map((segment, index) => {
      if (segment === "") return segment;
      const prefix = `${segments.slice(0, index).join("/")}/`;
      const isAfterLinkPrefix =
        TOKEN_LINK_PREFIXES.has(prefix) && !PAGES_UNDER_TOKEN_LINK_PREFIXES.has(`${prefix}${segment}`);
      return isAfterLinkPrefix || isWellFormedLinkToken(segment) ? REDACTED_SEGMENT : segment;
    })
    .join("/");
}
