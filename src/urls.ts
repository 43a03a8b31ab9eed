// Named URL builders: links are never concatenated by hand elsewhere. Absolute URLs (for email and the
// terminal) are built against the configured public URL, never against the request's Host header.
export const urls = {
  home: () => "/",
  apply: () => "/apply",
  staffSignIn: (next?: string) =>
    next ? `/staff/sign-in?next=${encodeURIComponent(next)}` : "/staff/sign-in",
  setup: (token: string) => `/setup/${encodeURIComponent(token)}`,
  setupDone: () => "/setup/done",
  // Links carried by email (the pages behind them arrive with their features).
  confirmEmail: (token: string) => `/apply/confirm/${encodeURIComponent(token)}`,
  applicantSignIn: (token: string) => `/apply/sign-in/${encodeURIComponent(token)}`,
  staffInvitation: (token: string) => `/staff/invitation/${encodeURIComponent(token)}`,
  staffPasswordReset: (token: string) => `/staff/password-reset/${encodeURIComponent(token)}`,
  devMailbox: () => "/dev/mailbox",
  devMailboxMessage: (id: string) => `/dev/mailbox/${encodeURIComponent(id)}`,
  devMailboxMessageHtml: (id: string) => `/dev/mailbox/${encodeURIComponent(id)}/html`,
  devMailboxClear: () => "/dev/mailbox/clear",
};

export function absoluteUrl(publicUrl: URL, relativePath: string): string {
  return new URL(relativePath, publicUrl).toString();
}
