// Hourly limits on the applicant's messages to the vetting team, counted in Postgres with
// rate-limiter-flexible (table rate_limits, shared by every instance) like the other limits:
//   per case  10 an hour: a person answering a question writes a few; a flood reaches staff inboxes
//   per IP    30 an hour: several people behind one address still fit
// Each reply counts once, whether or not it is saved (an empty one is refused before counting).
import type pg from "pg";
import { rateLimited } from "../errors.js";
import { consume, limiter } from "./signInLimits.js";

const HOUR_SECONDS = 60 * 60;
export const REPLIES_PER_HOUR_PER_CASE = 10;
export const REPLIES_PER_HOUR_PER_IP = 30;

export interface ApplicantReplyLimits {
  /** Counts one reply; throws rateLimited (429 with Retry-After) when the case or address is over. */
  consume(request: { caseId: string; ipAddress: string }): Promise<void>;
}

export function createApplicantReplyLimits(pool: pg.Pool): ApplicantReplyLimits {
  const byCase = limiter(pool, "applicant_reply_case", REPLIES_PER_HOUR_PER_CASE, HOUR_SECONDS, 0);
  const byIp = limiter(pool, "applicant_reply_ip", REPLIES_PER_HOUR_PER_IP, HOUR_SECONDS, 0);
  return {
    async consume({ caseId, ipAddress }) {
      const outcomes = await Promise.all([consume(byCase, caseId), consume(byIp, ipAddress)]);
      const waits = outcomes.flatMap((outcome) => (outcome.rejected ? [outcome.seconds] : []));
      if (waits.length === 0) return;
      const seconds = Math.max(...waits);
      const minutes = Math.max(1, Math.ceil(seconds / 60));
      throw rateLimited(seconds, "workspace.refused.tooManyMessages", { minutes });
    },
  };
}
