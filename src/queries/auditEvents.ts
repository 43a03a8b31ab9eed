// Reads of the audit log for the staff audit page and its CSV export. Newest first, paged by keyset
// (occurredAt, id): a page is "the rows older than the last one shown", so rows written meanwhile
// never shift a page, and no OFFSET scan grows with the depth of the log.
import type { Database } from "../db.js";
import type { Prisma } from "../generated/prisma/client.js";
import { keysetPage, olderThan, type TKeysetCursor } from "./keyset.js";

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
    ...olderThan("occurredAt", after),
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
  return keysetPage(rows, pageSize, (row) => ({ occurredAt: row.occurredAt, id: row.id }));
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
