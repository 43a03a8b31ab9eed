// An upload in flight holds a lease: a row in upload_leases (shared by every instance) and a folder
// uploads/.incoming/<lease id>/ for its temporary files. At most config.evidence.maxUploadsInFlightPerPerson
// live leases per holder; the lease expires after the upload timeout (plus a margin). Whatever happens
// in `work`, the folder and the row are removed at the end; anything placed must be placed inside `work`.
// A process that dies mid-upload leaves the row and the folder; the sweep (sweepUploads.ts) removes
// them once the lease has expired.
import { randomUUID } from "node:crypto";
import { rm } from "node:fs/promises";
import type { Config } from "../config.js";
import type { Database } from "../db.js";
import { rateLimited } from "../errors.js";
import type { EvidenceStore } from "./evidenceStore.js";

/** Longer than any upload may take, so a live upload's lease never expires under it. */
const LEASE_MARGIN_MS = 60_000;

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
  deps: UploadLeaseDependencies,
  request: { caseId: string; holder: string },
  work: (lease: UploadLease) => Promise<T>,
): Promise<T> {
  const { maxUploadsInFlightPerPerson, uploadTimeoutMs } = deps.config.evidence;
  const id = randomUUID();
  const lifetimeMs = uploadTimeoutMs + LEASE_MARGIN_MS;

  // Counting and inserting under a lock on the holder makes the cap hold across instances: two
  // requests racing for the last slot take turns, and the second one sees the first one's lease.
  const isGranted = await deps.db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`upload_lease:${request.holder}`}))`;
    const inserted = await tx.$executeRaw`
      INSERT INTO upload_leases (id, "caseId", holder, "createdAt", "expiresAt")
      SELECT ${id}::uuid, ${request.caseId}::uuid, ${request.holder}, now(),
             now() + ${lifetimeMs} * interval '1 millisecond'
      WHERE (SELECT count(*) FROM upload_leases
             WHERE holder = ${request.holder} AND "expiresAt" > now()) < ${maxUploadsInFlightPerPerson}`;
    return inserted === 1;
  });
  if (!isGranted) {
    throw rateLimited(
      5,
      `You already have ${maxUploadsInFlightPerPerson} ${maxUploadsInFlightPerPerson === 1 ? "upload" : "uploads"} in progress. Wait for one to finish.`,
    );
  }

  const directory = deps.store.incomingDirectory(id);
  try {
    await deps.store.createIncomingDirectory(id);
    return await work({ id, directory });
  } finally {
    try {
      await rm(directory, { recursive: true, force: true, maxRetries: 3 });
    } finally {
      await deps.db.uploadLease.deleteMany({ where: { id } });
    }
  }
}

/** The lease holder key of an applicant session or a staff member. */
export function uploadHolder(who: { applicantSessionId: string } | { staffUserId: string }): string {
  return "applicantSessionId" in who ? `applicant:${who.applicantSessionId}` : `staff:${who.staffUserId}`;
}
