// Grouped CSP violations → what the staff page shows. Every value came from an anonymous browser
// report: the template prints them as text (autoescape), never as markup or links.
import type { Translator } from "../i18n/translator.js";
import type { CspViolationGroupRow } from "../queries/cspViolations.js";
import { formatUtcTimestamp } from "./auditEvents.js";

export interface CspViolationGroupView {
  directive: string;
  /** The blocked URL, or a note when the report named none. */
  blockedUrl: string;
  hasBlockedUrl: boolean;
  totalCount: string;
  firstSeenIso: string;
  firstSeenLabel: string;
  lastSeenIso: string;
  lastSeenLabel: string;
  dispositionLabel: string;
  sampleDocumentUrls: string[];
  /** How many more pages beyond the samples reported it. */
  otherDocumentCount: number;
  /** "https://…/app.js:12:5", or "" when no report said. */
  sourceLocation: string;
  sample: string;
}

export function presentCspViolationGroup(
  row: CspViolationGroupRow,
  translator: Translator,
): CspViolationGroupView {
  const documentCount = Number(row.documentCount);
  return {
    directive: row.directive,
    blockedUrl: row.blockedUrl || translator.t("staff.csp.noneGiven"),
    hasBlockedUrl: row.blockedUrl !== "",
    totalCount: row.totalCount.toString(),
    firstSeenIso: row.firstSeenAt.toISOString(),
    firstSeenLabel: formatUtcTimestamp(row.firstSeenAt),
    lastSeenIso: row.lastSeenAt.toISOString(),
    lastSeenLabel: formatUtcTimestamp(row.lastSeenAt),
    dispositionLabel: row.dispositions
      .map((disposition) => translator.t(`staff.csp.disposition.${disposition}`))
      .join(", "),
    sampleDocumentUrls: row.sampleDocumentUrls,
    otherDocumentCount: Math.max(0, documentCount - row.sampleDocumentUrls.length),
    sourceLocation: sourceLocation(row),
    sample: row.sample ?? "",
  };
}

function sourceLocation(row: CspViolationGroupRow): string {
  if (!row.sourceFile) return "";
  if (row.lineNumber === null) return row.sourceFile;
  return row.columnNumber === null
    ? `${row.sourceFile}:${row.lineNumber}`
    : `${row.sourceFile}:${row.lineNumber}:${row.columnNumber}`;
}
