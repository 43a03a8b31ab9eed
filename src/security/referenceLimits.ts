// Limits on references, counted in Postgres (table rate_limits, shared by every instance):
//
//   referee link pages per IP      30 an hour: the GET and POST of /reference/:token both count, so
//                                  nobody can try link after link (the links are unguessable anyway;
//                                  this keeps a scanner from hammering the page)
//   referee requests per case      10 a day: naming referees from the workspace (REFEREES_MAX caps
//                                  how many are kept; this caps the attempts, refused ones included)
//   referee requests per staff     20 an hour per staff member asking from case pages
//   applicants' requests per       3 a day, whichever case names it: several applications naming one
//   referee Matrix ID              stranger cannot make the bot pester its owner (homeservers treat a bot
//                                  that keeps inviting strangers as a spammer)
// Past a limit the page says how long to wait (429). Keys are client addresses, case ids, staff ids and
// hashes of Matrix IDs (the table holds none).
import type pg from "pg";
import { accountKey, consume, limiter } from "./signInLimits.js";

const HOUR_SECONDS = 60 * 60;
const DAY_SECONDS = 24 * HOUR_SECONDS;

export const REFERENCE_LIMITS = {
  linkPagesPerIpPerHour: 30,
  requestsPerCasePerDay: 10,
  requestsPerStaffPerHour: 20,
  applicantRequestsPerMatrixIdPerDay: 3,
} as const;

export interface ReferenceLimits {
  /** Seconds to wait when this address opened too many referee links; null when it may go on. */
  linkPageFromIp(ipAddress: string): Promise<number | null>;
  /** Seconds to wait when this case named too many referees today; null when it may. */
  requestForCase(caseId: string): Promise<number | null>;
  /** Seconds to wait when this staff member asked too many referees this hour; null when they may. */
  requestByStaff(staffUserId: string): Promise<number | null>;
  /** Seconds to wait when applicants named this Matrix ID as a referee too often today; null when they may. */
  requestToMatrixId(matrixId: string): Promise<number | null>;
}

export function createReferenceLimits(pool: pg.Pool): ReferenceLimits {
  const linkPages = limiter(
    pool,
    "reference_link_ip",
    REFERENCE_LIMITS.linkPagesPerIpPerHour,
    HOUR_SECONDS,
    0,
  );
  const perCase = limiter(pool, "reference_case", REFERENCE_LIMITS.requestsPerCasePerDay, DAY_SECONDS, 0);
  const perStaff = limiter(
    pool,
    "reference_staff",
    REFERENCE_LIMITS.requestsPerStaffPerHour,
    HOUR_SECONDS,
    0,
  );
  const perMatrixId = limiter(
    pool,
    "reference_mxid",
    REFERENCE_LIMITS.applicantRequestsPerMatrixIdPerDay,
    DAY_SECONDS,
    0,
  );
  const waitFor = async (limit: typeof linkPages, key: string) => {
    const outcome = await consume(limit, key);
    return outcome.rejected ? outcome.seconds : null;
  };
  return {
    linkPageFromIp: (ipAddress) => waitFor(linkPages, ipAddress),
    requestForCase: (caseId) => waitFor(perCase, caseId),
    requestByStaff: (staffUserId) => waitFor(perStaff, staffUserId),
    requestToMatrixId: (matrixId) => waitFor(perMatrixId, accountKey(matrixId)),
  };
}
