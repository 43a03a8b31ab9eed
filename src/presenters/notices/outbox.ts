// What the outbox pages say after an action (`?done=<key>`, read with routes/toolkit/notices.ts).
export const OUTBOX_NOTICES = {
  test_sent: "A test message was queued. It appears at the top of the list below.",
  retried: "The message was queued again and will be sent shortly.",
  cancelled: "The message was cancelled. It will not be sent unless someone retries it.",
} as const;
export type OutboxNotice = keyof typeof OUTBOX_NOTICES;
