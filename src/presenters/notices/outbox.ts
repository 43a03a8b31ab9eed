// What the outbox pages say after an action (`?done=<key>`, read with routes/toolkit/notices.ts), as
// catalog ids the page translates.
export const OUTBOX_NOTICES = {
  test_sent: "staff.notice.outbox.testSent",
  retried: "staff.notice.outbox.retried",
  cancelled: "staff.notice.outbox.cancelled",
} as const;
export type OutboxNotice = keyof typeof OUTBOX_NOTICES;
