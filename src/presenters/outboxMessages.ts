// Outbox rows → what the outbox pages show of each (the pages themselves: outboxPage.ts).
import type { OutboxStatus } from "../generated/prisma/client.js";
import type { OutboxListRow, OutboxMessageRow } from "../queries/outboxMessages.js";
import { formatUtcTimestamp } from "./auditEvents.js";

/** Catalog ids: the pages translate them. */
export const OUTBOX_STATUS_LABELS: Record<OutboxStatus, string> = {
  QUEUED: "staff.outbox.status.QUEUED",
  SENDING: "staff.outbox.status.SENDING",
  SENT: "staff.outbox.status.SENT",
  FAILED: "staff.outbox.status.FAILED",
  CANCELLED: "staff.outbox.status.CANCELLED",
};

export const OUTBOX_STATUSES = Object.keys(OUTBOX_STATUS_LABELS) as [OutboxStatus, ...OutboxStatus[]];

function timestamp(date: Date | null): { iso: string; label: string } | null {
  return date ? { iso: date.toISOString(), label: formatUtcTimestamp(date) } : null;
}

export function presentOutboxListRow(row: OutboxListRow) {
  return {
    id: row.id,
    kind: row.kind,
    recipient: row.recipient,
    status: row.status,
    statusLabel: OUTBOX_STATUS_LABELS[row.status],
    attempts: row.attempts,
    lastError: row.lastError ?? "",
    createdAt: timestamp(row.createdAt),
    sentAt: timestamp(row.sentAt),
    failedAt: timestamp(row.failedAt),
  };
}

export function presentOutboxMessage(row: OutboxMessageRow) {
  return {
    ...presentOutboxListRow(row),
    acceptedBy: row.acceptedBy ?? "",
    messageId: row.messageId ?? "",
    linkSubject: row.linkSubjectType ? `${row.linkSubjectType} ${row.linkSubjectId ?? ""}`.trim() : "",
    nextAttemptAt: row.status === "QUEUED" ? timestamp(row.nextAttemptAt) : null,
    sendingStartedAt: timestamp(row.sendingStartedAt),
    updatedAt: timestamp(row.updatedAt),
  };
}
