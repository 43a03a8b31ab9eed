// The one case a signed-in applicant may see, with what the applicant may see of it: their details,
// the comments staff chose to show them, and the decisions' reasons (the page shares a rejection's
// reason only when the admin chose to). Never staff names, internal comments or vetting records.
import type { Database } from "../db.js";

const APPLICANT_CASE_SELECT = {
  id: true,
  number: true,
  state: true,
  origin: true,
  fullName: true,
  email: true,
  matrixId: true,
  phone: true,
  statement: true,
  privacyNoticeVersion: true,
  privacyConsentAt: true,
  emailConfirmedAt: true,
  createdAt: true,
  submittedAt: true,
  lastSubmittedAt: true,
  decidedAt: true,
  withdrawnAt: true,
  erasedAt: true,
  comments: {
    where: { isVisibleToApplicant: true },
    orderBy: { createdAt: "asc" },
    select: { id: true, body: true, createdAt: true },
  },
  decisions: {
    orderBy: { decidedAt: "desc" },
    select: { id: true, kind: true, reason: true, isReasonSharedWithApplicant: true, decidedAt: true },
  },
} as const;

export type ApplicantCaseRow = NonNullable<Awaited<ReturnType<typeof findApplicantCase>>>;

/** The applicant's case, or null when it is gone or erased. */
export async function findApplicantCase(db: Database, caseId: string) {
  const row = await db.vettingCase.findUnique({ where: { id: caseId }, select: APPLICANT_CASE_SELECT });
  return row && !row.erasedAt ? row : null;
}
