// The applicant session, whether its case was erased and the case's language, by the token's hash: read by every workspace
// page (applicantSessions.ts loadApplicantSession). In SQL, not Prisma, like the staff session.
import type pg from "pg";
import { column, rowShape } from "./rowCheck.js";

export interface ApplicantSessionRow {
  id: string;
  caseId: string;
  lastSeenAt: Date;
  expiresAt: Date;
  erasedAt: Date | null;
  /** The case's language (emails to the person are in it; their pages follow it unless they chose another). */
  caseLanguage: string;
}

export const applicantSessionRow = rowShape<ApplicantSessionRow>("sql/applicantSession.byTokenHash", {
  id: column.string,
  caseId: column.string,
  lastSeenAt: column.date,
  expiresAt: column.date,
  erasedAt: column.nullable(column.date),
  caseLanguage: column.string,
});

const APPLICANT_SESSION_SQL = `
  SELECT session.id, session."caseId", session."lastSeenAt", session."expiresAt", vetting_case."erasedAt",
         vetting_case.language AS "caseLanguage"
  FROM applicant_sessions AS session
  JOIN vetting_cases AS vetting_case ON vetting_case.id = session."caseId"
  WHERE session."tokenHash" = $1`;

/** The session stored under this token hash; expired or not (the caller decides). */
export async function findApplicantSessionByTokenHash(
  sqlPool: pg.Pool,
  tokenHash: string,
): Promise<ApplicantSessionRow | null> {
  const { rows } = await sqlPool.query({
    name: "load-applicant-session",
    text: APPLICANT_SESSION_SQL,
    values: [tokenHash],
  });
  return applicantSessionRow.checkRows(rows)[0] ?? null;
}
