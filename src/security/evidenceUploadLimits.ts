// Hourly limits on evidence uploads, counted in Postgres with rate-limiter-flexible (table rate_limits,
// shared by every instance) like the other limits:
//   per person   config.evidence.uploadsPerHourPerPerson (30 by default): an applicant's case or a staff
//                member, so neither a new session nor a new address starts the count again
//   per IP       config.evidence.uploadsPerHourPerIp (60 by default): many people behind one address
//                (an office) still fit, one client cycling through identities does not
// Each upload request counts once, whatever it holds; the other limits cap what one request may hold.
import type pg from "pg";
import type { Config } from "../config.js";
import { rateLimited } from "../errors.js";
import { consume, limiter } from "./signInLimits.js";

const HOUR_SECONDS = 60 * 60;

export interface EvidenceUploadLimits {
  /**
   * Counts one upload for the holder (uploadHolder(); applicants are counted per case, so a new session
   * does not reset it) and for the client address; throws rateLimited (429 with Retry-After) when either
   * is over its hourly limit.
   */
  consume(request: { personKey: string; ipAddress: string }): Promise<void>;
}

export function createEvidenceUploadLimits(
  pool: pg.Pool,
  config: Pick<Config, "evidence">,
): EvidenceUploadLimits {
  const byPerson = limiter(
    pool,
    "evidence_upload_person",
    config.evidence.uploadsPerHourPerPerson,
    HOUR_SECONDS,
    0,
  );
  const byIp = limiter(pool, "evidence_upload_ip", config.evidence.uploadsPerHourPerIp, HOUR_SECONDS, 0);

  return {
    async consume({ personKey, ipAddress }) {
      const outcomes = await Promise.all([consume(byPerson, personKey), consume(byIp, ipAddress)]);
      const waits = outcomes.flatMap((outcome) => (outcome.rejected ? [outcome.seconds] : []));
      if (waits.length === 0) return;
      const seconds = Math.max(...waits);
      const minutes = Math.max(1, Math.ceil(seconds / 60));
      // A catalog id: the error page (or JSON) says it in the request's language.
      throw rateLimited(seconds, "upload.refusal.tooManyUploads", { minutes });
    },
  };
}
