// A Matrix registration token is ready for the person: the email carries a one-time link to the page
// that reveals it (never the token itself, which must not sit in a mailbox). Sent when a second admin
// approves a standalone token request, on a re-issue, and whenever the person asks for a new link; the
// approval email carries the same kind of link.
import { z } from "zod";
import { urls } from "../../urls.js";
import { DAY_MS, defineMessageKind, ZDisplayName } from "./kind.js";

/**
 * How long a reveal link works. The registration token itself lives MATRIX_TOKEN_LIFETIME_DAYS (30 by
 * default); a week is long enough to find the email, and a lost or expired link is replaced by asking
 * for a new one.
 */
export const REGISTRATION_TOKEN_REVEAL_LINK_LIFETIME_MS = 7 * DAY_MS;

/** When the token stops working on the homeserver: an ISO timestamp, shown in UTC. */
export const ZTokenExpiry = z.iso.datetime();

export const registrationTokenReady = defineMessageKind({
  name: "registration_token_ready",
  audience: "applicant",
  payloadSchema: z.strictObject({ personName: ZDisplayName, registrationTokenExpiresAt: ZTokenExpiry }),
  link: {
    purpose: "registration_token_reveal",
    lifetimeMs: REGISTRATION_TOKEN_REVEAL_LINK_LIFETIME_MS,
    path: urls.registrationTokenReveal,
  },
  subject: (_payload, context) => context.t("emails.registrationTokenReady.subject"),
  template: "registration-token-ready",
});
