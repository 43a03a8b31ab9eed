// The one case a signed-in applicant may see, with what the applicant may see of it: their details,
// the comments staff chose to show them, and the decisions' reasons (the page shares a rejection's
// reason only when the admin chose to). Never staff names, internal comments or vetting records.
//
// In SQL, not Prisma: it is the applicant's status page, read on every visit, and one statement here
// (the case, its comments and decisions as JSON, its evidence count) costs a fraction of Prisma's three
// statements and their mapping (npm run bench, figure 1).
import type pg from "pg";
import { CASE_STATES, type CaseState } from "../../domain/caseStates.js";
import { CaseOrigin, DecisionKind } from "../../generated/prisma/client.js";
import { column, rowShape } from "./rowCheck.js";

export interface ApplicantCaseRow {
  id: string;
  number: number;
  state: CaseState;
  origin: CaseOrigin;
  fullName: string;
  email: string;
  matrixId: string | null;
  phone: string | null;
  statement: string;
  privacyNoticeVersion: string | null;
  privacyConsentAt: Date | null;
  emailConfirmedAt: Date | null;
  createdAt: Date;
  submittedAt: Date | null;
  lastSubmittedAt: Date | null;
  decidedAt: Date | null;
  withdrawnAt: Date | null;
  erasedAt: Date | null;
  /** Shown to the applicant, oldest first. */
  comments: { id: string; body: string; createdAt: Date }[];
  /** Newest first. */
  decisions: {
    id: string;
    kind: DecisionKind;
    reason: string | null;
    isReasonSharedWithApplicant: boolean;
    decidedAt: Date;
  }[];
  /** The applicant's own messages to the vetting team, oldest first. */
  replies: { id: string; body: string; answersDecisionId: string | null; createdAt: Date }[];
  /** Files the applicant uploaded (staff uploads are not theirs to count). */
  applicantEvidenceFileCount: number;
}

/** The row as it comes: JSON carries the comments' and decisions' timestamps as text. */
type StoredRow = Omit<ApplicantCaseRow, "comments" | "decisions" | "replies"> & {
  comments: (Omit<ApplicantCaseRow["comments"][number], "createdAt"> & { createdAt: string })[];
  replies: (Omit<ApplicantCaseRow["replies"][number], "createdAt"> & { createdAt: string })[];
  decisions: (Omit<ApplicantCaseRow["decisions"][number], "decidedAt"> & { decidedAt: string })[];
};

export const applicantCaseRow = rowShape<StoredRow>("sql/applicantCase.byId", {
  id: column.string,
  number: column.integer,
  state: column.oneOf(CASE_STATES),
  origin: column.oneOf(Object.values(CaseOrigin)),
  fullName: column.string,
  email: column.string,
  matrixId: column.nullable(column.string),
  phone: column.nullable(column.string),
  statement: column.string,
  privacyNoticeVersion: column.nullable(column.string),
  privacyConsentAt: column.nullable(column.date),
  emailConfirmedAt: column.nullable(column.date),
  createdAt: column.date,
  submittedAt: column.nullable(column.date),
  lastSubmittedAt: column.nullable(column.date),
  decidedAt: column.nullable(column.date),
  withdrawnAt: column.nullable(column.date),
  erasedAt: column.nullable(column.date),
  comments: column.jsonArray({ id: column.string, body: column.string, createdAt: column.string }),
  decisions: column.jsonArray({
    id: column.string,
    kind: column.oneOf(Object.values(DecisionKind)),
    reason: column.nullable(column.string),
    isReasonSharedWithApplicant: column.boolean,
    decidedAt: column.string,
  }),
  replies: column.jsonArray({
    id: column.string,
    body: column.string,
    answersDecisionId: column.nullable(column.string),
    createdAt: column.string,
  }),
  applicantEvidenceFileCount: column.integer,
});

const FIND_APPLICANT_CASE_SQL = `
  SELECT vetting_case.id, vetting_case.number, vetting_case.state, vetting_case.origin,
         vetting_case."fullName", vetting_case.email, vetting_case."matrixId", vetting_case.phone,
         vetting_case.statement, vetting_case."privacyNoticeVersion", vetting_case."privacyConsentAt",
         vetting_case."emailConfirmedAt", vetting_case."createdAt", vetting_case."submittedAt",
         vetting_case."lastSubmittedAt", vetting_case."decidedAt", vetting_case."withdrawnAt",
         vetting_case."erasedAt",
         COALESCE((
           SELECT json_agg(json_build_object('id', comment.id, 'body', comment.body,
                                             'createdAt', comment."createdAt")
                           ORDER BY comment."createdAt", comment.id)
           FROM case_comments AS comment
           WHERE comment."caseId" = vetting_case.id AND comment."isVisibleToApplicant"
         ), '[]') AS comments,
         COALESCE((
           SELECT json_agg(json_build_object('id', decision.id, 'kind', decision.kind,
                                             'reason', decision.reason,
                                             'isReasonSharedWithApplicant', decision."isReasonSharedWithApplicant",
                                             'decidedAt', decision."decidedAt")
                           ORDER BY decision."decidedAt" DESC, decision.id DESC)
           FROM case_decisions AS decision
           WHERE decision."caseId" = vetting_case.id
         ), '[]') AS decisions,
         COALESCE((
           SELECT json_agg(json_build_object('id', reply.id, 'body', reply.body,
                                             'answersDecisionId', reply."answersDecisionId",
                                             'createdAt', reply."createdAt")
                           ORDER BY reply."createdAt", reply.id)
           FROM case_replies AS reply
           WHERE reply."caseId" = vetting_case.id
         ), '[]') AS replies,
         (SELECT count(*)::int FROM evidence_files AS evidence_file
          WHERE evidence_file."caseId" = vetting_case.id AND evidence_file."uploaderKind" = 'APPLICANT'
         ) AS "applicantEvidenceFileCount"
  FROM vetting_cases AS vetting_case
  WHERE vetting_case.id = $1`;

/** The applicant's case, or null when it is gone or erased. */
export async function findApplicantCase(sqlPool: pg.Pool, caseId: string): Promise<ApplicantCaseRow | null> {
  const { rows } = await sqlPool.query({
    name: "find-applicant-case",
    text: FIND_APPLICANT_CASE_SQL,
    values: [caseId],
  });
  const row = applicantCaseRow.checkRows(rows)[0];
  if (!row || row.erasedAt) return null;
  return {
    ...row,
    // JSON carries timestamps as text.
    comments: row.comments.map((comment) => ({ ...comment, createdAt: new Date(comment.createdAt) })),
    decisions: row.decisions.map((decision) => ({ ...decision, decidedAt: new Date(decision.decidedAt) })),
    replies: row.replies.map((reply) => ({ ...reply, createdAt: new Date(reply.createdAt) })),
  };
}
