// The Matrix ID proof as each side sees it: the applicant's workspace section
// (views/applicant/_matrix-id-proof.njk) and the staff case page's lines
// (views/staff/cases/_matrix-id-verification.njk). Both read the case's mark and requests here, at
// render time, so what they say is what is true now (a later change of the Matrix ID, another case's
// proof). Dates stay Dates: the templates format them in the page's language.
import { readDuplicateMatches } from "../commands/cases/flagPossibleDuplicates.js";
import type { Config } from "../config.js";
import type { Database } from "../db.js";
import { formatCaseNumber } from "../domain/caseNumber.js";
import type { CaseState } from "../domain/caseStates.js";
import type { Prisma } from "../generated/prisma/client.js";
import { isMatrixIdVerified, matrixIdProofRefusal } from "../policies/matrixIdProof.js";
import { urls } from "../urls.js";

export interface ApplicantMatrixIdProofView {
  /** False: the section is left out (no bot, no Matrix ID and nothing proved). */
  isShown: boolean;
  matrixId: string | null;
  verifiedAt: Date | null;
  canRequest: boolean;
  /** The latest request for the Matrix ID the case holds now. */
  latest:
    | { status: "queued"; requestedAt: Date }
    | { status: "sent"; sentAt: Date; expiresAt: Date | null; isLinkOpen: boolean }
    | { status: "failed"; failure: string; failedAt: Date }
    | null;
  action: string;
}

export async function applicantMatrixIdProofView(
  db: Database,
  config: Pick<Config, "matrixBot">,
  caseId: string,
): Promise<ApplicantMatrixIdProofView> {
  const vettingCase = await db.vettingCase.findUnique({
    where: { id: caseId },
    select: {
      state: true,
      erasedAt: true,
      matrixId: true,
      matrixIdVerifiedAt: true,
      matrixIdVerifiedId: true,
    },
  });
  const action = urls.applicantMatrixIdProof();
  if (!vettingCase)
    return { isShown: false, matrixId: null, verifiedAt: null, canRequest: false, latest: null, action };
  const isVerified = isMatrixIdVerified(vettingCase);
  const isFeatureOn = config.matrixBot !== null;
  const refusal = matrixIdProofRefusal(vettingCase as typeof vettingCase & { state: CaseState }, isFeatureOn);
  const request = vettingCase.matrixId
    ? await db.matrixIdProofRequest.findFirst({
        where: { caseId, matrixId: vettingCase.matrixId },
        orderBy: { requestedAt: "desc" },
        select: {
          status: true,
          requestedAt: true,
          sentAt: true,
          failedAt: true,
          failure: true,
          linkTokenId: true,
        },
      })
    : null;
  let latest: ApplicantMatrixIdProofView["latest"] = null;
  if (request?.status === "QUEUED") latest = { status: "queued", requestedAt: request.requestedAt };
  else if (request?.status === "FAILED" && request.failedAt)
    latest = { status: "failed", failure: request.failure ?? "refused", failedAt: request.failedAt };
  else if (request?.status === "SENT" && request.sentAt) {
    const link = request.linkTokenId
      ? await db.linkToken.findUnique({
          where: { id: request.linkTokenId },
          select: { expiresAt: true, usedAt: true },
        })
      : null;
    latest = {
      status: "sent",
      sentAt: request.sentAt,
      expiresAt: link?.expiresAt ?? null,
      isLinkOpen: link !== null && link.usedAt === null && link.expiresAt > new Date(),
    };
  }
  return {
    isShown: isVerified || (isFeatureOn && refusal === null),
    matrixId: vettingCase.matrixId,
    verifiedAt: isVerified ? vettingCase.matrixIdVerifiedAt : null,
    canRequest: refusal === null && latest?.status !== "queued",
    latest,
    action,
  };
}

export interface StaffMatrixIdProofView {
  isVerified: boolean;
  verifiedAt: Date | null;
  /** Other cases on which this case's Matrix ID was proved (the duplicate check's Matrix ID match). */
  verifiedElsewhere: { number: string; url: string; verifiedAt: Date }[];
  /**
   * The duplicate check's matching cases (by case id) whose own Matrix ID is verified, with when: the
   * duplicate list says which of them proved theirs, whatever the match was on.
   */
  verifiedMatches: Record<string, Date>;
}

export async function staffMatrixIdProofView(db: Database, caseId: string): Promise<StaffMatrixIdProofView> {
  const vettingCase = await db.vettingCase.findUnique({
    where: { id: caseId },
    select: {
      matrixId: true,
      matrixIdVerifiedAt: true,
      matrixIdVerifiedId: true,
      erasedAt: true,
      duplicateMatches: true,
    },
  });
  if (!vettingCase || vettingCase.erasedAt)
    return { isVerified: false, verifiedAt: null, verifiedElsewhere: [], verifiedMatches: {} };
  const verifiedMatches = await verifiedMatchesOf(db, vettingCase.duplicateMatches);
  if (!vettingCase.matrixId)
    return { isVerified: false, verifiedAt: null, verifiedElsewhere: [], verifiedMatches };
  const others = await db.vettingCase.findMany({
    where: {
      id: { not: caseId },
      erasedAt: null,
      matrixId: vettingCase.matrixId,
      matrixIdVerifiedId: vettingCase.matrixId,
      matrixIdVerifiedAt: { not: null },
    },
    orderBy: { number: "asc" },
    select: { id: true, number: true, matrixIdVerifiedAt: true },
  });
  const isVerified = isMatrixIdVerified(vettingCase);
  return {
    isVerified,
    verifiedAt: isVerified ? vettingCase.matrixIdVerifiedAt : null,
    verifiedElsewhere: others.map((other) => ({
      number: formatCaseNumber(other.number),
      url: urls.staffCase(other.id),
      verifiedAt: other.matrixIdVerifiedAt as Date,
    })),
    verifiedMatches,
  };
}

async function verifiedMatchesOf(
  db: Database,
  duplicateMatches: Prisma.JsonValue,
): Promise<Record<string, Date>> {
  const caseIds = readDuplicateMatches(duplicateMatches).map((match) => match.caseId);
  if (caseIds.length === 0) return {};
  const matches = await db.vettingCase.findMany({
    where: { id: { in: caseIds }, erasedAt: null, matrixIdVerifiedAt: { not: null } },
    select: { id: true, matrixId: true, matrixIdVerifiedAt: true, matrixIdVerifiedId: true },
  });
  return Object.fromEntries(
    matches
      .filter((match) => isMatrixIdVerified(match))
      .map((match) => [match.id, match.matrixIdVerifiedAt as Date]),
  );
}
