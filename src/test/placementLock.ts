// The evidence-placement lock (src/storage/backupLock.ts) seen from tests: an upload caught at its last
// step, and a wait for whoever queues behind the lock (the backup, the sweep, another upload).
import pg from "pg";
import { EVIDENCE_PLACEMENT_LOCK_KEY } from "../storage/backupLock.js";

export interface InFlightRow {
  caseId: string;
  storageKey: string;
  displayName: string;
  mediaType: string;
  sizeBytes: number;
  sha256: string;
}

/**
 * An upload at its last step, as addEvidenceFiles does it: its row inserted and the placement lock held
 * shared, not committed yet (place the file next, as it would). COMMIT or ROLLBACK the returned
 * session, then end() it.
 */
export async function beginUploadInFlight(connectionString: string, row: InFlightRow): Promise<pg.Client> {
  const upload = new pg.Client({ connectionString });
  await upload.connect();
  try {
    await upload.query("BEGIN");
    await upload.query(
      `INSERT INTO evidence_files (id, "caseId", "storageKey", "displayName", "mediaType", "sizeBytes", sha256, "uploaderKind")
       VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, 'APPLICANT')`,
      [row.caseId, row.storageKey, row.displayName, row.mediaType, row.sizeBytes, row.sha256],
    );
    await upload.query("SELECT pg_advisory_xact_lock_shared($1)", [EVIDENCE_PLACEMENT_LOCK_KEY.toString()]);
    return upload;
  } catch (error) {
    await upload.end();
    throw error;
  }
}

/**
 * Resolves true once a session of this database waits for an advisory lock (only sessions with that
 * application_name, when given), or false when isDone() turns true first: the thing finished without
 * waiting. Asked from a session of its own, outside a transaction: pg_stat_activity is read once per
 * transaction.
 */
export async function waitForAdvisoryLockWaiter(
  connectionString: string,
  isDone: () => boolean,
  applicationName?: string,
): Promise<boolean> {
  const monitor = new pg.Client({ connectionString });
  await monitor.connect();
  try {
    for (;;) {
      const { rows } = await monitor.query(
        `SELECT 1 FROM pg_stat_activity WHERE datname = current_database()
           AND wait_event_type = 'Lock' AND wait_event = 'advisory'
           AND ($1::text IS NULL OR application_name = $1)`,
        [applicationName ?? null],
      );
      if (rows.length > 0) return true;
      if (isDone()) return false;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await monitor.end();
  }
}
