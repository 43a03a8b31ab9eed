// Named URL builders: links are never concatenated by hand elsewhere. Absolute URLs (for email and the
// terminal) are built against the configured public URL, never against the request's Host header.
export const urls = {
  home: () => "/",
  apply: () => "/apply",
  /** The language switcher's form (POST). */
  language: () => "/language",
  staffSignIn: (next?: string) =>
    next ? `/staff/sign-in?next=${encodeURIComponent(next)}` : "/staff/sign-in",
  staffHome: () => "/staff",
  staffSignInVerify: (next?: string) =>
    next ? `/staff/sign-in/verify?next=${encodeURIComponent(next)}` : "/staff/sign-in/verify",
  /** The sign-in page after a password reset, which says the new password is in place. */
  staffSignInAfterReset: () => "/staff/sign-in?reset=done",
  /** A sign-in with a passkey alone: POST asks for a challenge (the ceremony page), then its answer. */
  staffSignInPasskey: () => "/staff/sign-in/passkey",
  staffSignInPasskeyCheck: () => "/staff/sign-in/passkey/check",
  /** A passkey in place of the code after the password: the same two steps. */
  staffSignInVerifyPasskey: () => "/staff/sign-in/verify/passkey",
  staffSignInVerifyPasskeyCheck: () => "/staff/sign-in/verify/passkey/check",
  /** Single sign-on: POST sends the browser to the provider, which sends it back to the callback. */
  staffSignInOidc: () => "/staff/sign-in/sso",
  staffSignInOidcCallback: () => "/staff/sign-in/sso/callback",
  /** OIDC_ONLY: a superadmin's emergency sign-in with password and recovery code. */
  staffSignInBreakGlass: () => "/staff/sign-in/break-glass",
  staffSignOut: () => "/staff/sign-out",
  staffForgotPassword: () => "/staff/password-reset",
  staffInvitations: () => "/staff/invitations",
  staffInvitationDetail: (id: string) => `/staff/invitations/${encodeURIComponent(id)}`,
  staffInvitationDecision: (id: string) => `/staff/invitations/${encodeURIComponent(id)}/decision`,
  staffInvitationResend: (id: string) => `/staff/invitations/${encodeURIComponent(id)}/resend`,
  staffInvitationRevoke: (id: string) => `/staff/invitations/${encodeURIComponent(id)}/revoke`,
  /** Approving, rejecting or cancelling a role change that waits (listed on the invitations page). */
  staffRoleChangeAction: (id: string, action: "decision" | "cancel") =>
    `/staff/role-changes/${encodeURIComponent(id)}/${action}`,
  staffPeople: () => "/staff/people",
  staffPerson: (id: string) => `/staff/people/${encodeURIComponent(id)}`,
  staffPersonAction: (id: string, action: "role" | "disable" | "enable" | "reset-second-factor") =>
    `/staff/people/${encodeURIComponent(id)}/${action}`,
  staffProfile: () => "/staff/profile",
  staffProfilePassword: () => "/staff/profile/password",
  staffProfileAuthenticator: () => "/staff/profile/authenticator",
  staffProfileRecoveryCodes: () => "/staff/profile/recovery-codes",
  staffProfileTheme: () => "/staff/profile/theme",
  staffProfileNotifications: () => "/staff/profile/notifications",
  staffProfileContactDetails: () => "/staff/profile/contact-details",
  /** POST a name: the page that asks the browser for a new passkey; then its answer to …/register. */
  staffProfilePasskeys: () => "/staff/profile/passkeys",
  staffProfilePasskeyRegister: () => "/staff/profile/passkeys/register",
  staffProfilePasskeyRemove: (id: string) => `/staff/profile/passkeys/${encodeURIComponent(id)}/remove`,
  /** Where STAFF_PASSKEYS_REQUIRED_FOR sends someone without a passkey until they add one. */
  staffPasskeyRequired: () => "/staff/passkey-required",
  staffProfileEndSession: (id: string) => `/staff/profile/sessions/${encodeURIComponent(id)}/end`,
  staffAuditLog: (query = "") => `/staff/audit${query ? `?${query}` : ""}`,
  /** POST only (the export writes its own audit row); the filter travels as form fields. */
  staffAuditLogCsv: () => "/staff/audit.csv",
  staffCspViolations: (query = "") => `/staff/csp-violations${query ? `?${query}` : ""}`,
  /** Where browsers send CSP violation reports (no session, no CSRF token; mounted before the root router). */
  cspReport: () => "/csp-report",
  staffOutbox: (query = "") => `/staff/outbox${query ? `?${query}` : ""}`,
  staffOutboxMessage: (id: string) => `/staff/outbox/${encodeURIComponent(id)}`,
  staffOutboxSendTest: () => "/staff/outbox/test",
  staffOutboxMessageHtml: (id: string) => `/staff/outbox/${encodeURIComponent(id)}/html`,
  staffOutboxMessageAction: (id: string, action: "retry" | "cancel") =>
    `/staff/outbox/${encodeURIComponent(id)}/${action}`,
  staffOutboxMessageWithNotice: (id: string, notice: "retried" | "cancelled") =>
    `/staff/outbox/${encodeURIComponent(id)}?done=${notice}`,
  // Vetting cases (staff). Queue filters are a query string built by the queue's own module.
  staffCases: (query = "") => `/staff/cases${query ? `?${query}` : ""}`,
  staffStatistics: (query = "") => `/staff/statistics${query ? `?${query}` : ""}`,
  /** One of the statistics page's tables as CSV, for the same period (a read: nothing is written). */
  staffStatisticsCsv: (table: string, query = "") =>
    `/staff/statistics/${table}.csv${query ? `?${query}` : ""}`,
  staffCaseNew: () => "/staff/cases/new",
  staffCase: (id: string) => `/staff/cases/${encodeURIComponent(id)}`,
  /** A case opened from a queue view: `from` is that view's query string, for "previous" and "next". */
  staffCaseInView: (id: string, from: string) =>
    `/staff/cases/${encodeURIComponent(id)}?from=${encodeURIComponent(from)}`,
  /** A bulk action's confirmation page (GET, the selection or the view in the query) and its forms. */
  staffCasesBulk: (query = "") => `/staff/cases/bulk${query ? `?${query}` : ""}`,
  staffCasesBulkAction: (action: "assign" | "close" | "export") =>
    `/staff/cases/bulk/${action === "export" ? "export.csv" : action}`,
  staffCaseWithNotice: (id: string, notice: string) =>
    `/staff/cases/${encodeURIComponent(id)}?done=${encodeURIComponent(notice)}`,
  staffCaseAction: (
    id: string,
    action:
      | "assign"
      | "start-review"
      | "vetting-records"
      | "comments"
      | "decision"
      | "invite"
      | "export"
      | "erase"
      | "conflicts"
      | "submit-on-behalf"
      | "close"
      | "reopen"
      | "details",
  ) => `/staff/cases/${encodeURIComponent(id)}/${action}`,
  staffCaseConflictWithdrawal: (caseId: string, conflictId: string) =>
    `/staff/cases/${encodeURIComponent(caseId)}/conflicts/${encodeURIComponent(conflictId)}/withdraw`,
  // Applicants: the form, the emailed links, and the workspace of a signed-in applicant.
  applySent: () => "/apply/sent",
  applicantSignInRequest: () => "/apply/sign-in",
  applicantSignInSent: () => "/apply/sign-in/sent",
  /** The "email me a link" page after signing out, saying so. */
  applicantSignedOut: () => "/apply/sign-in?signed-out=1",
  applicantWorkspace: () => "/application",
  /** The workspace's Matrix ID proof section (its form posts here). */
  applicantMatrixIdProof: () => "/application/matrix-id/prove",
  applicantMatrixIdSection: () => "/application#matrix-id",
  /** The link the bot sends to the applicant's Matrix ID. */
  matrixIdProofLink: (token: string) => `/apply/matrix-id/${encodeURIComponent(token)}`,
  applicantWorkspaceWithNotice: (notice: string) => `/application?done=${encodeURIComponent(notice)}`,
  applicantDetails: () => "/application/details",
  applicantAction: (action: "submit" | "resubmit" | "withdraw") => `/application/${action}`,
  applicantSignOut: () => "/application/sign-out",
  applicantReply: () => "/application/messages",
  // Evidence files. The upload addresses take multipart bodies (see isEvidenceUploadPath below).
  applicantEvidence: () => "/application/evidence",
  applicantEvidenceWithNotice: (notice: string) => `/application/evidence?done=${encodeURIComponent(notice)}`,
  applicantEvidenceFile: (fileId: string) => `/application/evidence/${encodeURIComponent(fileId)}`,
  applicantEvidenceDelete: (fileId: string) => `/application/evidence/${encodeURIComponent(fileId)}/delete`,
  staffCaseEvidence: (caseId: string) => `/staff/cases/${encodeURIComponent(caseId)}/evidence`,
  staffCaseEvidenceFile: (caseId: string, fileId: string) =>
    `/staff/cases/${encodeURIComponent(caseId)}/evidence/${encodeURIComponent(fileId)}`,
  /** The same file served inline (images in <img>; a PDF opens in the browser's own viewer in a new tab) for the case page. */
  staffCaseEvidencePreview: (caseId: string, fileId: string) =>
    `/staff/cases/${encodeURIComponent(caseId)}/evidence/${encodeURIComponent(fileId)}/preview`,
  /** One page of a PDF drawn as a PNG (browsers will not show a PDF in a sandboxed frame). */
  staffCaseEvidencePage: (caseId: string, fileId: string, page: number) =>
    `/staff/cases/${encodeURIComponent(caseId)}/evidence/${encodeURIComponent(fileId)}/pages/${page}`,
  /** The viewer: one file beside the case's key details (the bytes still come from the preview address). */
  staffCaseEvidenceView: (caseId: string, fileId: string, page?: number) =>
    `/staff/cases/${encodeURIComponent(caseId)}/evidence/${encodeURIComponent(fileId)}/view${page && page > 1 ? `?page=${page}` : ""}`,
  staffCaseEvidenceDelete: (caseId: string, fileId: string) =>
    `/staff/cases/${encodeURIComponent(caseId)}/evidence/${encodeURIComponent(fileId)}/delete`,
  privacyNotice: () => "/privacy",
  /** RFC 9116's well-known address (routes/public/securityTxt.ts). */
  securityTxt: () => "/.well-known/security.txt",
  setup: (token: string) => `/setup/${encodeURIComponent(token)}`,
  // Links carried by email (the pages behind them arrive with their features).
  confirmEmail: (token: string) => `/apply/confirm/${encodeURIComponent(token)}`,
  applicantSignIn: (token: string) => `/apply/sign-in/${encodeURIComponent(token)}`,
  caseInvitation: (token: string) => `/apply/invitation/${encodeURIComponent(token)}`,
  caseSubmittedForYou: (token: string) => `/apply/submitted/${encodeURIComponent(token)}`,
  caseEmailChange: (token: string) => `/apply/new-address/${encodeURIComponent(token)}`,
  staffInvitation: (token: string) => `/staff/invitation/${encodeURIComponent(token)}`,
  /** POST: accept the invitation by linking the single sign-on identity instead of a password. */
  staffInvitationSso: (token: string) => `/staff/invitation/${encodeURIComponent(token)}/sso`,
  staffPasswordReset: (token: string) => `/staff/password-reset/${encodeURIComponent(token)}`,
  // Matrix registration tokens: the one-time reveal link (a link token, never the registration token),
  // "email me a new link" (fixed paths, registered before the link's :token route), the standalone form.
  // A referee's one-time link: GET shows the question, POST records the answer (no account, no session).
  referenceLink: (token: string) => `/reference/${encodeURIComponent(token)}`,
  // The applicant's referees: who they named, and whether each answered (never what was written).
  applicantReferees: () => "/application/referees",
  applicantRefereesWithNotice: (notice: string) => `/application/referees?done=${encodeURIComponent(notice)}`,
  // Staff asking a referee themselves from the case page.
  staffCaseReferences: (caseId: string) => `/staff/cases/${encodeURIComponent(caseId)}/references`,
  registrationTokenReveal: (token: string) => `/registration-token/${encodeURIComponent(token)}`,
  registrationTokenLinkRequest: () => "/registration-token/new-link",
  registrationTokenLinkSent: () => "/registration-token/new-link/sent",
  staffRegistrationTokenNew: (query = "") => `/staff/registration-tokens/new${query ? `?${query}` : ""}`,
  staffRegistrationTokens: (query = "") => `/staff/registration-tokens${query ? `?${query}` : ""}`,
  staffRegistrationTokenAction: (id: string, action: "revoke" | "reissue") =>
    `/staff/registration-tokens/${encodeURIComponent(id)}/${action}`,
  // A standalone token request waiting for a second admin (shown on the tokens page): approve or reject,
  // or withdraw it (its requester).
  staffRegistrationTokenRequestDecision: (id: string) =>
    `/staff/registration-tokens/requests/${encodeURIComponent(id)}/decision`,
  staffRegistrationTokenRequestCancel: (id: string) =>
    `/staff/registration-tokens/requests/${encodeURIComponent(id)}/cancel`,
  devMailbox: () => "/dev/mailbox",
  devMailboxMessage: (id: string) => `/dev/mailbox/${encodeURIComponent(id)}`,
  devMailboxMessageHtml: (id: string) => `/dev/mailbox/${encodeURIComponent(id)}/html`,
  devMailboxClear: () => "/dev/mailbox/clear",
};

const EVIDENCE_UPLOAD_PATHS = [/^\/application\/evidence$/, /^\/staff\/cases\/[^/]+\/evidence$/];

/**
 * The only addresses that take multipart bodies (evidence uploads, with their own limits). The body
 * parser lets multipart through unparsed here and refuses it everywhere else (415).
 */
export function isEvidenceUploadPath(path: string): boolean {
  return EVIDENCE_UPLOAD_PATHS.some((pattern) => pattern.test(path));
}

export function absoluteUrl(publicUrl: URL, relativePath: string): string {
  return new URL(relativePath, publicUrl).toString();
}
