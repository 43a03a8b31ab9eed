// Reads of the CSP violations for the staff page: rows grouped by directive and blocked URL, the most
// recently seen group first. A row counts for a date range when the time it covers (first to last
// seen) overlaps the range; its whole count is then included (a row does not record when each of its
// reports came). The page has no paging: the groups are capped, and a narrower range shows the rest.
import type { Database } from "../db.js";
import { type CspDisposition, Prisma } from "../generated/prisma/client.js";

/** Groups shown at most; past it the page says so. */
export const CSP_VIOLATION_GROUP_LIMIT = 200;
/** Sample document URLs shown per group. */
export const CSP_VIOLATION_SAMPLE_PAGES = 3;

export interface TCspViolationFilter {
  /** Inclusive lower bound. */
  from?: Date;
  /** Exclusive upper bound. */
  until?: Date;
}

export interface CspViolationGroupRow {
  directive: string;
  blockedUrl: string;
  totalCount: bigint;
  firstSeenAt: Date;
  lastSeenAt: Date;
  /** "ENFORCE", "REPORT" or both. */
  dispositions: CspDisposition[];
  /** Distinct document URLs in the group. */
  documentCount: bigint;
  /** Up to CSP_VIOLATION_SAMPLE_PAGES document URLs, the most recently seen first. */
  sampleDocumentUrls: string[];
  /** Where the latest report that said so came from, and its sample of the blocked code. */
  sourceFile: string | null;
  lineNumber: number | null;
  columnNumber: number | null;
  sample: string | null;
}

export async function findCspViolationGroups(
  db: Database,
  filter: TCspViolationFilter,
  limit = CSP_VIOLATION_GROUP_LIMIT,
): Promise<{ groups: CspViolationGroupRow[]; isTruncated: boolean }> {
  const conditions = [Prisma.sql`TRUE`];
  if (filter.from) conditions.push(Prisma.sql`"lastSeenAt" >= ${filter.from}`);
  if (filter.until) conditions.push(Prisma.sql`"firstSeenAt" < ${filter.until}`);
  const where = Prisma.join(conditions, " AND ");
  // One more group than shown says whether there are more.
  const rows = await db.$queryRaw<CspViolationGroupRow[]>`
    WITH matching AS (
      SELECT directive, "blockedUrl", "documentUrl", disposition, "sourceFile", "lineNumber",
             "columnNumber", sample, count, "firstSeenAt", "lastSeenAt"
        FROM csp_violations
       WHERE ${where}
    ),
    groups AS (
      SELECT directive, "blockedUrl",
             sum(count)::bigint AS "totalCount",
             min("firstSeenAt") AS "firstSeenAt",
             max("lastSeenAt") AS "lastSeenAt",
             array_agg(DISTINCT disposition::text ORDER BY disposition::text) AS dispositions,
             count(DISTINCT "documentUrl") AS "documentCount"
        FROM matching
       GROUP BY directive, "blockedUrl"
       ORDER BY max("lastSeenAt") DESC, directive, "blockedUrl"
       LIMIT ${limit + 1}
    )
    SELECT g.*,
           coalesce(pages.urls, ARRAY[]::text[]) AS "sampleDocumentUrls",
           latest."sourceFile", latest."lineNumber", latest."columnNumber", latest.sample
      FROM groups g
      LEFT JOIN LATERAL (
        SELECT array_agg("documentUrl" ORDER BY seen DESC, "documentUrl") AS urls
          FROM (SELECT "documentUrl", max("lastSeenAt") AS seen
                  FROM matching m
                 WHERE m.directive = g.directive AND m."blockedUrl" = g."blockedUrl"
                 GROUP BY "documentUrl"
                 ORDER BY seen DESC, "documentUrl"
                 LIMIT ${CSP_VIOLATION_SAMPLE_PAGES}) recent
      ) pages ON TRUE
      LEFT JOIN LATERAL (
        SELECT m."sourceFile", m."lineNumber", m."columnNumber", m.sample
          FROM matching m
         WHERE m.directive = g.directive AND m."blockedUrl" = g."blockedUrl"
         ORDER BY (m."sourceFile" IS NULL AND m.sample IS NULL), m."lastSeenAt" DESC
         LIMIT 1
      ) latest ON TRUE
     ORDER BY g."lastSeenAt" DESC, g.directive, g."blockedUrl"`;
  return { groups: rows.slice(0, limit), isTruncated: rows.length > limit };
}
