// CONTRACT STUB (lead) — helper A implements.
//
// The sweep, run at start and every 15 minutes (job sweep_uploads): removes the temporary folders of
// leases that ended or expired (a crash mid-upload leaves at most these), completing the placement of
// any file whose row was committed just before a crash; deletes expired lease rows; deletes stored
// files that no row refers to.
import type { Database } from "../db.js";
import type { Logger } from "../logger.js";
import type { EvidenceStore } from "./evidenceStore.js";

export interface SweepOutcome {
  removedIncomingFolders: number;
  removedTemporaryFiles: number;
  completedPlacements: number;
  removedOrphanFiles: number;
}

export async function sweepUploads(_deps: {
  db: Database;
  store: EvidenceStore;
  logger: Logger;
}): Promise<SweepOutcome> {
  throw new Error("not implemented yet (helper A)");
}
