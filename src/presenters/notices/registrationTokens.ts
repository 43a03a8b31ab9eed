// What the registration token pages say after an action (`?done=<key>`, read with
// routes/toolkit/notices.ts).

/** The tokens page: revoking, re-issuing, and deciding or withdrawing standalone requests. */
export const REGISTRATION_TOKEN_NOTICES = {
  revoked: "The token was revoked on the homeserver, and the person was told by email.",
  reissued:
    "The old token was revoked and a new one is being created. The person will get an email with a link that shows it to them once.",
  approved:
    "The request was approved. The token is being created, and the person will get an email with a link that shows it to them once.",
  rejected: "The request was rejected. No token was made, and the person is not emailed.",
  cancelled: "Your request was withdrawn. No token was made.",
} as const;
export type RegistrationTokenNotice = keyof typeof REGISTRATION_TOKEN_NOTICES;

const REQUEST_WAITS =
  "Your request waits for a second admin. Once another inviting admin (or above) approves it, the token is created and the person gets an email with a link that shows it to them once; until then nobody else is told.";

/** The standalone request form, after a request (the page adds a link to the tokens page). */
export const STANDALONE_REQUEST_NOTICES = {
  requested: REQUEST_WAITS,
  // Nobody else may approve it now.
  requested_alone: `${REQUEST_WAITS} There is no other active inviting admin (or above) to approve it at the moment, so it waits until there is one.`,
} as const;
export type StandaloneRequestNotice = keyof typeof STANDALONE_REQUEST_NOTICES;
