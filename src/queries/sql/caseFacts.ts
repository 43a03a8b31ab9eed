// A case's facts for the policies (queries/cases.ts caseFactsOf: state, who opened, submitted, vetted and
// uploaded to it, standing conflicts, staff who share an identifier with the applicant), in one
// statement on the pg pool, for the commands that act outside a Prisma transaction (startCaseReview).
// Through Prisma the same read is a statement per relation plus the staff comparison, each with Prisma's
// own work; this is one round trip. The staff comparison is the same SQL (staffMatchingApplicantSql).
import type pg from "pg";
import { CaseState } from "../../generated/prisma/client.js";
import type { CaseFacts } from "../../policies/cases.js";
import {
  applicantIdentifiersSql,
  applicantMatchOf,
  type CaseFactsSource,
  caseFactsOf,
  type StaffMatchRow,
  staffMatchingApplicantSql,
} from "../cases.js";
import { column, rowShape } from "./rowCheck.js";

interface CaseFactsRow extends CaseFactsSource {
  vettingRecords: { agentId: string; identityVerified: boolean }[];
  evidenceFiles: { uploadedById: string | null }[];
  conflicts: { staffUserId: string; withdrawnAt: Date | null }[];
  references: { id: string }[];
  applicantMatches: StaffMatchRow[];
}

const caseFactsRow = rowShape<CaseFactsRow>("sql/caseFacts.byId", {
  state: column.oneOf(Object.values(CaseState)),
  createdById: column.nullable(column.string),
  submittedById: column.nullable(column.string),
  erasedAt: column.nullable(column.date),
  vettingRecords: column.jsonArray({ agentId: column.string, identityVerified: column.boolean }),
  evidenceFiles: column.jsonArray({ uploadedById: column.nullable(column.string) }),
  conflicts: column.jsonArray({ staffUserId: column.string, withdrawnAt: column.nullable(column.date) }),
  references: column.jsonArray({ id: column.string }),
  applicantMatches: column.jsonArray({
    staffUserId: column.string,
    isEmail: column.nullable(column.boolean),
    isPhone: column.nullable(column.boolean),
    isMatrixId: column.nullable(column.boolean),
  }),
});

// Staff uploads, standing conflicts and vouching references only, as caseFactsSelect reads them; an erased case matches no one.
const CASE_FACTS_SQL = `
  SELECT vc.state, vc."createdById"::text, vc."submittedById"::text, vc."erasedAt",
         coalesce((SELECT json_agg(json_build_object('agentId', record."agentId",
                                                     'identityVerified', record."identityVerified"))
                     FROM vetting_records AS record WHERE record."caseId" = vc.id), '[]') AS "vettingRecords",
         coalesce((SELECT json_agg(json_build_object('uploadedById', file."uploadedById"))
                     FROM evidence_files AS file
                    WHERE file."caseId" = vc.id AND file."uploaderKind" = 'STAFF'), '[]') AS "evidenceFiles",
         coalesce((SELECT json_agg(json_build_object('staffUserId', standing."staffUserId", 'withdrawnAt', NULL))
                     FROM case_conflicts AS standing
                    WHERE standing."caseId" = vc.id AND standing."withdrawnAt" IS NULL), '[]') AS conflicts,
         coalesce((SELECT json_agg(json_build_object('id', reference.id))
                     FROM case_references AS reference
                    WHERE reference."caseId" = vc.id AND reference.status = 'VOUCHED'), '[]') AS "references",
         CASE WHEN vc."erasedAt" IS NULL
              THEN coalesce((SELECT json_agg(json_build_object('staffUserId', match."staffUserId",
                                                               'isEmail', match."isEmail",
                                                               'isPhone', match."isPhone",
                                                               'isMatrixId', match."isMatrixId"))
                               FROM (${staffMatchingApplicantSql(...applicantIdentifiersSql("vc"))}) AS match), '[]')
              ELSE '[]' END AS "applicantMatches"
  FROM vetting_cases AS vc
  WHERE vc.id = $1::uuid`;

/** The case's facts, or null when there is no such case. */
export async function findCaseFacts(sqlPool: pg.Pool, caseId: string): Promise<CaseFacts | null> {
  const { rows } = await sqlPool.query({ name: "case-facts", text: CASE_FACTS_SQL, values: [caseId] });
  const row = caseFactsRow.checkRows(rows)[0];
  if (!row) return null;
  return caseFactsOf(row, row.applicantMatches.map(applicantMatchOf));
}
