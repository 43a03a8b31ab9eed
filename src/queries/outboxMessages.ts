// Reads of the outbox for the staff outbox pages. Newest first, paged by keyset (createdAt, id), like
// the audit log.
import type { Database } from "../db.js";
import type { OutboxStatus, Prisma } from "../generated/prisma/client.js";
import { keysetPage, olderThan, type TKeysetCursor } from "./keyset.js";

export interface TOutboxFilter {
  status?: OutboxStatus;
  kind?: string;
}

export const outboxListSelect = {
  id: true,
  kind: true,
  recipient: true,
  status: true,
  attempts: true,
  lastError: true,
  createdAt: true,
  sentAt: true,
  failedAt: true,
  nextAttemptAt: true,
} satisfies Prisma.OutboxMessageSelect;

export type OutboxListRow = Prisma.OutboxMessageGetPayload<{ select: typeof outboxListSelect }>;

export async function findOutboxPage(
  db: Database,
  filter: TOutboxFilter,
  after: TKeysetCursor<string> | null,
  pageSize: number,
): Promise<{ rows: OutboxListRow[]; next: TKeysetCursor<string> | null }> {
  const rows = await db.outboxMessage.findMany({
    where: {
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.kind ? { kind: filter.kind } : {}),
      ...olderThan("createdAt", after),
    },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: pageSize + 1,
    select: outboxListSelect,
  });
  return keysetPage(rows, pageSize, (row) => ({ occurredAt: row.createdAt, id: row.id }));
}

export const outboxMessageSelect = {
  ...outboxListSelect,
  payload: true,
  linkSubjectType: true,
  linkSubjectId: true,
  language: true,
  acceptedBy: true,
  messageId: true,
  updatedAt: true,
  sendingStartedAt: true,
} satisfies Prisma.OutboxMessageSelect;

export type OutboxMessageRow = Prisma.OutboxMessageGetPayload<{ select: typeof outboxMessageSelect }>;

export function findOutboxMessage(db: Database, id: string): Promise<OutboxMessageRow | null> {
  return db.outboxMessage.findUnique({ where: { id }, select: outboxMessageSelect });
}
