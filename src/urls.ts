// Named URL builders: links are never concatenated by hand elsewhere. Absolute URLs (for email and the
// terminal) are built against the configured public URL, never against the request's Host header.
export const urls = {
  home: () => "/",
  apply: () => "/apply",
  staffSignIn: (next?: string) =>
    next ? `/staff/sign-in?next=${encodeURIComponent(next)}` : "/staff/sign-in",
  staffHome: () => "/staff",
  staffSignInVerify: () => "/staff/sign-in/verify",
  staffSignOut: () => "/staff/sign-out",
  staffForgotPassword: () => "/staff/password-reset",
  staffInvitations: () => "/staff/invitations",
  staffInvitationDetail: (id: string) => `/staff/invitations/${encodeURIComponent(id)}`,
  staffPeople: () => "/staff/people",
  staffPerson: (id: string) => `/staff/people/${encodeURIComponent(id)}`,
  staffProfile: () => "/staff/profile",
  staffAuditLog: (query = "") => `/staff/audit${query ? `?${query}` : ""}`,
  staffAuditLogCsv: (query = "") => `/staff/audit.csv${query ? `?${query}` : ""}`,
  staffOutbox: (query = "") => `/staff/outbox${query ? `?${query}` : ""}`,
  staffOutboxMessage: (id: string) => `/staff/outbox/${encodeURIComponent(id)}`,
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
