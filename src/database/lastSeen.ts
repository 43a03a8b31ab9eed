// A session's lastSeenAt (staff and applicant sessions alike), refreshed at most once a minute by the
// request that finds it due. Every request of a session reads the row; when lastSeenAt falls due, every
// request of that session in flight at that moment would write it, each waiting for the one before to
// commit on the same row: a "last value" row on the read path (a browser asks for a page and its assets
// together; the write benchmark's agent makes 50 moves at once). The first request takes the row; the
// others find it held and skip it at once (FOR UPDATE SKIP LOCKED): one write a minute stands for them
// all. (SKIP LOCKED can still wait in the rare moment the row changes hands; here that is one session's
// requests within the same millisecond, which the queue's counters, many writers on few rows, are not:
// they choose their row by advisory lock, prisma/migrations/*_state_counts_advisory_shards.)
import type pg from "pg";

/** lastSeenAt is kept to the minute: the idle limits are counted in minutes or more. */
const LAST_SEEN_GRANULARITY_MS = 60_000;

/** The tables whose rows carry a lastSeenAt for their idle limit. */
export type SessionTable = "staff_sessions" | "applicant_sessions";

const REFRESH_SQL: Record<SessionTable, string> = {
  staff_sessions: refreshSql("staff_sessions"),
  applicant_sessions: refreshSql("applicant_sessions"),
};

function refreshSql(table: SessionTable): string {
  return `
    UPDATE ${table} SET "lastSeenAt" = $2::timestamptz
    WHERE id = (SELECT id FROM ${table}
                WHERE id = $1::uuid AND "lastSeenAt" <= $3::timestamptz
                FOR UPDATE SKIP LOCKED)`;
}

/**
 * Sets the session's lastSeenAt to `now` when it is a minute old or more, unless another request is
 * setting it; never waits for another request. Resolves whether this request wrote it.
 */
export async function refreshLastSeenIfDue(
  sqlPool: pg.Pool,
  table: SessionTable,
  session: { id: string; lastSeenAt: Date },
  now: Date,
): Promise<boolean> {
  const dueAt = new Date(now.getTime() - LAST_SEEN_GRANULARITY_MS);
  if (session.lastSeenAt > dueAt) return false;
  const { rowCount } = await sqlPool.query({
    name: `refresh-last-seen-${table}`,
    text: REFRESH_SQL[table],
    values: [session.id, now, dueAt],
  });
  return rowCount === 1;
}
