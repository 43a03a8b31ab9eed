// Reads of the audit log for the staff audit page and its CSV export. Newest first, paged by keyset
// (occurredAt, id): a page is "the rows older than the last one shown", so rows written meanwhile
// never shift a page, and no OFFSET scan grows with the depth of the log.
import type { Database } from "../db.js";
import type { Prisma } from "../generated/prisma/client.js";

export interface TAuditEventFilter {
  actorId?: string;
  action?: string;
  subjectType?: string;
  subjectId?: string;
  /** Inclusive lower bound. */
  from?: Date;
  /** Exclusive upper bound. */
  until?: Date;
}

/** The last row of a page: the next page starts strictly after it. */
export interface TKeysetCursor<Id> {
  occurredAt: Date;
  id: Id;
}

export const auditEventSelect = {
  id: true,
  occurredAt: true,
  actorId: true,
  actorLabel: true,
  actor: { select: { name: true } },
  action: true,
  subjectType: true,
  subjectId: true,
  details: true,
  requestId: true,
  ipAddress: true,
  userAgent: true,
} satisfies Prisma.AuditEventSelect;

export type AuditEventRow = Prisma.AuditEventGetPayload<{ select: typeof auditEventSelect }>;

function whereFor(
  filter: TAuditEventFilter,
  after: TKeysetCursor<bigint> | null,
): Prisma.AuditEventWhereInput {
  const occurredAt: Prisma.DateTimeFilter = {};
  if (filter.from) occurredAt.gte = filter.from;
  if (filter.until) occurredAt.lt = filter.until;
  return {
    ...(filter.actorId ? { actorId: filter.actorId } : {}),
    ...(filter.action ? { action: filter.action } : {}),
    ...(filter.subjectType ? { subjectType: filter.subjectType } : {}),
    ...(filter.subjectId ? { subjectId: filter.subjectId } : {}),
    ...(filter.from || filter.until ? { occurredAt } : {}),
    ...(after
      ? {
          OR: [
            { occurredAt: { lt: after.occurredAt } },
            { occurredAt: after.occurredAt, id: { lt: after.id } },
          ],
        }
      : {}),
  };
}

/** One page, newest first, and the cursor of the next (older) page when there is one. */
export async function findAuditEventPage(
  db: Database,
  filter: TAuditEventFilter,
  after: TKeysetCursor<bigint> | null,
  pageSize: number,
): Promise<{ rows: AuditEventRow[]; next: TKeysetCursor<bigint> | null }> {
  const rows = await db.auditEvent.findMany({
    where: whereFor(filter, after),
    orderBy: [{ occurredAt: "desc" }, { id: "desc" }],
    take: pageSize + 1,
    select: auditEventSelect,
  });
  const hasMore = rows.length > pageSize;
  const page = hasMore ? rows.slice(0, pageSize) : rows;
  const last = page.at(-1);
  return { rows: page, next: hasMore && last ? { occurredAt: last.occurredAt, id: last.id } : null };
}

/** Every matching row, newest first, fetched in keyset batches so memory stays flat however many match. */
export async function* eachAuditEvent(
  db: Database,
  filter: TAuditEventFilter,
  batchSize = 500,
): AsyncGenerator<AuditEventRow> {
  let after: TKeysetCursor<bigint> | null = null;
  do {
    const page: { rows: AuditEventRow[]; next: TKeysetCursor<bigint> | null } = await findAuditEventPage(
      db,
      filter,
      after,
      batchSize,
    );
    yield* page.rows;
    after = page.next;
  } while (after);
}

/** The people the actor filter offers: everyone who has an account, by name. */
export function findStaffForActorFilter(
  db: Database,
): Promise<{ id: string; name: string; email: string }[]> {
  return db.staffUser.findMany({
    orderBy: [{ name: "asc" }, { email: "asc" }],
    select: { id: true, name: true, email: true },
  });
}

/** "2026-11-23T19:02:31.123Z_1234": readable in a URL, and exact (timestamps are kept to the millisecond). */
export function encodeKeysetCursor(cursor: TKeysetCursor<bigint | string>): string {
  return `${cursor.occurredAt.toISOString()}_${cursor.id}`;
}

const CURSOR_PATTERN = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)_([0-9A-Za-z-]{1,40})$/;

/** The cursor's parts, or null when the text is not one of our cursors. */
export function parseKeysetCursor(text: string): { occurredAt: Date; id: string } | null {
  const match = CURSOR_PATTERN.exec(text);
  if (!match?.[1] || !match[2]) return null;
  const occurredAt = new Date(match[1]);
  if (Number.isNaN(occurredAt.getTime())) return null;
  return { occurredAt, id: match[2] };
}
