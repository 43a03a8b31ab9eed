// Stores the CSP violations of one report request, deduplicated: a violation with the same directive,
// blocked URL, document URL and disposition as a row last seen within the hour raises that row's count
// and moves its last-seen time; otherwise it starts a new row. A busy page makes one row per hour of
// trouble, not one per page view.
//
// Two instances receiving the same violation at once must not both start a row: each key is serialised
// by a transaction-scoped advisory lock, so the second request waits, then (READ COMMITTED: a fresh
// snapshot per statement) finds the first one's row and counts on it.
//
// No audit row: these are anonymous browser reports, not actions by a person, and the audit log is
// append-only; the table itself is the record, bounded by dedup, the endpoint's rate limits and the purge
// (jobs/purgeOldCspViolations.ts).
import { createHash } from "node:crypto";
import type { Database } from "../../db.js";
import type { TCspViolation } from "../../domain/cspReports.js";

/** Reports within this time of a row's last sighting count on that row. */
export const CSP_DEDUP_WINDOW_MS = 60 * 60 * 1000;

interface KeyedViolation {
  key: string;
  /** The advisory lock's id: the key's first 64 bits. */
  lockId: bigint;
  violation: TCspViolation;
  occurrences: number;
}

export function cspDedupKey(violation: TCspViolation): string {
  return createHash("sha256")
    .update(
      JSON.stringify([
        violation.directive,
        violation.blockedUrl,
        violation.documentUrl,
        violation.disposition,
      ]),
    )
    .digest("hex");
}

/** Counts repeats inside the batch first, so each key is locked and written once per request. */
function byKey(violations: readonly TCspViolation[]): KeyedViolation[] {
  const keyed = new Map<string, KeyedViolation>();
  for (const violation of violations) {
    const key = cspDedupKey(violation);
    const seen = keyed.get(key);
    if (seen) seen.occurrences += 1;
    else
      keyed.set(key, {
        key,
        lockId: Buffer.from(key, "hex").readBigInt64BE(0),
        violation,
        occurrences: 1,
      });
  }
  // Locks are always taken in the same order, so two requests holding some of the same keys cannot
  // deadlock (ordered by lock id, not key: two keys may share a lock id).
  return [...keyed.values()].sort((a, b) => (a.lockId < b.lockId ? -1 : a.lockId > b.lockId ? 1 : 0));
}

export async function recordCspViolations(
  db: Database,
  violations: readonly TCspViolation[],
  now = new Date(),
): Promise<{ created: number; counted: number }> {
  if (violations.length === 0) return { created: 0, counted: 0 };
  const windowStart = new Date(now.getTime() - CSP_DEDUP_WINDOW_MS);
  return db.$transaction(
    async (tx) => {
      let created = 0;
      let counted = 0;
      for (const { key, lockId, violation, occurrences } of byKey(violations)) {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(${lockId}::bigint)`;
        const current = await tx.cspViolation.findFirst({
          where: { dedupKey: key, lastSeenAt: { gte: windowStart } },
          orderBy: { lastSeenAt: "desc" },
          select: { id: true },
        });
        if (current) {
          await tx.cspViolation.update({
            where: { id: current.id },
            data: { count: { increment: occurrences }, lastSeenAt: now },
          });
          counted += occurrences;
        } else {
          await tx.cspViolation.create({
            data: {
              dedupKey: key,
              directive: violation.directive,
              blockedUrl: violation.blockedUrl,
              documentUrl: violation.documentUrl,
              disposition: violation.disposition === "report" ? "REPORT" : "ENFORCE",
              sourceFile: violation.sourceFile,
              lineNumber: violation.lineNumber,
              columnNumber: violation.columnNumber,
              sample: violation.sample,
              count: occurrences,
              firstSeenAt: now,
              lastSeenAt: now,
            },
          });
          created += 1;
          counted += occurrences - 1;
        }
      }
      return { created, counted };
    },
    // Requests with the same key take turns on its lock; waiting for a connection or the lock under a
    // burst must not fail the request (the endpoint's rate limits bound the burst).
    { maxWait: 10_000, timeout: 15_000 },
  );
}
