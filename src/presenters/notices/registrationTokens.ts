// What the registration token pages say after an action (`?done=<key>`, read with
// routes/toolkit/notices.ts), as catalog ids the page translates.

/** The tokens page: revoking, re-issuing, and deciding or withdrawing standalone requests. */
export const REGISTRATION_TOKEN_NOTICES = {
  revoked: "staff.notice.registrationTokens.revoked",
  reissued: "staff.notice.registrationTokens.reissued",
  approved: "staff.notice.registrationTokens.approved",
  rejected: "staff.notice.registrationTokens.rejected",
  cancelled: "staff.notice.registrationTokens.cancelled",
} as const;
export type RegistrationTokenNotice = keyof typeof REGISTRATION_TOKEN_NOTICES;

/** The standalone request form, after a request (the page adds a link to the tokens page). */
export const STANDALONE_REQUEST_NOTICES = {
  requested: "staff.notice.standaloneRequest.requested",
  // Nobody else may approve it now.
  requested_alone: "staff.notice.standaloneRequest.requestedAlone",
} as const;
export type StandaloneRequestNotice = keyof typeof STANDALONE_REQUEST_NOTICES;
