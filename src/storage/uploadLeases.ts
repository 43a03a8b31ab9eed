// CONTRACT STUB (lead) — helper A implements.
//
// An upload in flight holds a lease: a row in upload_leases (shared by every instance) and a folder
// uploads/.incoming/<lease id>/ for its temporary files. At most config.evidence.maxUploadsInFlightPerPerson
// live leases per holder; the lease expires after the upload timeout (plus a margin). Whatever happens
// in `work`, the folder and the row are removed at the end; anything placed must be placed inside `work`.
import type { Config } from "../config.js";
import type { Database } from "../db.js";
import type { EvidenceStore } from "./evidenceStore.js";

export interface UploadLease {
  id: string;
  /** uploads/.incoming/<id>, created 0750; formidable writes the temporary files here. */
  directory: string;
}

export interface UploadLeaseDependencies {
  db: Database;
  store: EvidenceStore;
  config: Pick<Config, "evidence">;
}

/**
 * Runs `work` under a new lease. Throws rateLimited (429, with Retry-After) when the holder already has
 * the maximum number of uploads in flight: "You already have 3 uploads in progress. Wait for one to finish."
 */
export async function withUploadLease<T>(
  _deps: UploadLeaseDependencies,
  _request: { caseId: string; holder: string },
  _work: (lease: UploadLease) => Promise<T>,
): Promise<T> {
  throw new Error("not implemented yet (helper A)");
}

/** The lease holder key of an applicant session or a staff member. */
export function uploadHolder(who: { applicantSessionId: string } | { staffUserId: string }): string {
  return "applicantSessionId" in who ? `applicant:${who.applicantSessionId}` : `staff:${who.staffUserId}`;
}
