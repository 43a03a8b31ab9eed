// Flags a case whose email, phone or Matrix ID matches another case, so staff look twice before
// deciding. Called in the caller's transaction after a case is created or its email, phone or Matrix ID
// change, and by eraseCase() for the cases that matched the erased one.
//
// The matches are a snapshot for staff: [{ caseId, number, matchedOn }] sorted by case number, written
// on this case only (the other case's own flag is recomputed when it changes). Erased cases hold no
// personal data and never match. The applicant never sees any of this.
//
// The audit row holds case ids and field names only (never the values that matched), and is written
// only when the matches change, so re-running this after an unrelated edit adds nothing to the log.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Transaction } from "../../db.js";
import { notFound } from "../../errors.js";
import type { Prisma } from "../../generated/prisma/client.js";

export const DUPLICATE_FIELDS = ["email", "phone", "matrixId"] as const;
export type DuplicateField = (typeof DUPLICATE_FIELDS)[number];

export interface DuplicateMatch {
  caseId: string;
  /** The other case's serial (formatCaseNumber() writes it as "VC-00042"). */
  number: number;
  matchedOn: DuplicateField[];
}

export async function flagPossibleDuplicates(
  tx: Transaction,
  options: { caseId: string; audit: AuditActor },
): Promise<DuplicateMatch[]> {
  const vettingCase = await tx.vettingCase.findUnique({
    where: { id: options.caseId },
    select: {
      email: true,
      phone: true,
      matrixId: true,
      erasedAt: true,
      isPossibleDuplicate: true,
      duplicateMatches: true,
    },
  });
  if (!vettingCase) throw notFound();
  const before = readDuplicateMatches(vettingCase.duplicateMatches);
  const matches = vettingCase.erasedAt ? [] : await findMatches(tx, options.caseId, vettingCase);

  const isUnchanged = sameMatches(before, matches);
  if (isUnchanged && vettingCase.isPossibleDuplicate === matches.length > 0) return matches;
  await tx.vettingCase.update({
    where: { id: options.caseId },
    data: {
      isPossibleDuplicate: matches.length > 0,
      duplicateMatches: matches as unknown as Prisma.InputJsonArray,
    },
  });
  if (isUnchanged) return matches;
  await recordAudit(
    tx,
    options.audit,
    "case.duplicate_flagged",
    { type: "vetting_case", id: options.caseId },
    {
      matchedCaseIds: matches.map((match) => match.caseId),
      matchedOn: DUPLICATE_FIELDS.filter((field) => matches.some((match) => match.matchedOn.includes(field))),
    },
  );
  return matches;
}

/**
 * The rule, in SQL: the cases (other than $4, erased ones never) sharing the email (compared lower-cased:
 * it is stored so, which keeps its index usable), the phone or the Matrix ID, with what matched, by case
 * number. $1 is the lower-cased email ('' for none), $2 and $3 the phone and Matrix ID (null for none).
 * One text for both ways it runs: through Prisma below, and inside startApplication's one statement.
 */
export const DUPLICATE_MATCHES_SQL = `
  SELECT other.id::text AS "caseId", other.number,
         array_remove(ARRAY[
           CASE WHEN lower(other.email) = nullif($1::text, '') THEN 'email' END,
           CASE WHEN other.phone = $2::text THEN 'phone' END,
           CASE WHEN other."matrixId" = $3::text THEN 'matrixId' END
         ], NULL) AS "matchedOn"
  FROM vetting_cases AS other
  WHERE other."erasedAt" IS NULL AND other.id <> $4::uuid
    AND (other.email = nullif($1::text, '') OR other.phone = $2::text OR other."matrixId" = $3::text)
  ORDER BY other.number`;

/** DUPLICATE_MATCHES_SQL's four parameters for a case's identifiers. Blank values never match. */
export function duplicateMatchParameters(
  caseId: string,
  fields: { email: string; phone: string | null; matrixId: string | null },
): [string, string | null, string | null, string] {
  return [
    fields.email.trim().toLowerCase(),
    fields.phone?.trim() || null,
    fields.matrixId?.trim() || null,
    caseId,
  ];
}

export async function findMatches(
  tx: Transaction,
  caseId: string,
  fields: { email: string; phone: string | null; matrixId: string | null },
): Promise<DuplicateMatch[]> {
  const rows = await tx.$queryRawUnsafe<{ caseId: string; number: number; matchedOn: string[] }[]>(
    DUPLICATE_MATCHES_SQL,
    ...duplicateMatchParameters(caseId, fields),
  );
  return rows.map((row) => ({
    caseId: row.caseId,
    number: row.number,
    matchedOn: DUPLICATE_FIELDS.filter((field) => row.matchedOn.includes(field)),
  }));
}

/** The stored matches, read defensively: the column is JSON written by this module. */
export function readDuplicateMatches(value: Prisma.JsonValue): DuplicateMatch[] {
  if (!Array.isArray(value)) return [];
  const matches: DuplicateMatch[] = [];
  for (const item of value) {
    if (!item || typeof item !== "object" || Array.isArray(item)) continue;
    const { caseId, number, matchedOn } = item as Record<string, unknown>;
    if (typeof caseId !== "string" || typeof number !== "number" || !Array.isArray(matchedOn)) continue;
    matches.push({
      caseId,
      number,
      matchedOn: DUPLICATE_FIELDS.filter((field) => matchedOn.includes(field)),
    });
  }
  return matches;
}

function sameMatches(a: readonly DuplicateMatch[], b: readonly DuplicateMatch[]): boolean {
  const key = (matches: readonly DuplicateMatch[]) =>
    JSON.stringify(
      [...matches]
        .map((match) => [match.caseId, [...match.matchedOn].sort()])
        .sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
    );
  return key(a) === key(b);
}
