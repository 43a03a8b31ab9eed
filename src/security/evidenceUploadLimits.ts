// CONTRACT STUB (lead) — helper A implements, on the shared rate_limits table like the other limits.
import type pg from "pg";
import type { Config } from "../config.js";

export interface EvidenceUploadLimits {
  /**
   * Counts one upload for the holder (uploadHolder(); applicants are counted per case, so a new session
   * does not reset it) and for the client address; throws rateLimited (429 with Retry-After) when either
   * is over its hourly limit.
   */
  consume(request: { personKey: string; ipAddress: string }): Promise<void>;
}

export function createEvidenceUploadLimits(
  _pool: pg.Pool,
  _config: Pick<Config, "evidence">,
): EvidenceUploadLimits {
  throw new Error("not implemented yet (helper A)");
}
