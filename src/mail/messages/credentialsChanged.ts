// Tells a staff member that a sign-in credential of their account changed: their password (from their
// account page, or through a reset link), their authenticator, their recovery codes, their passkeys, or an admin reset
// their two-step sign-in. Sent at once, in the transaction of the change. It says what changed and
// when, never the credential itself, and what to do when it was not them. It carries no link that acts:
// only the staff sign-in page.
import { z } from "zod";
import { defineMessageKind, ZDisplayName } from "./kind.js";

export const CREDENTIAL_CHANGES = [
  "password",
  "password_reset",
  "authenticator",
  "recovery_codes",
  "second_factor_reset",
  "passkey_added",
  "passkey_removed",
  "sso_linked",
  "break_glass_sign_in",
] as const;
export type CredentialChange = (typeof CREDENTIAL_CHANGES)[number];

export const credentialsChanged = defineMessageKind({
  name: "credentials_changed",
  audience: "staff",
  payloadSchema: z.strictObject({
    staffName: ZDisplayName,
    change: z.enum(CREDENTIAL_CHANGES),
    changedAt: z.iso.datetime(),
    /** Who made the change, when it was someone else (an admin resetting two-step sign-in). */
    changedBy: ZDisplayName.optional(),
  }),
  subject: (payload, context) => context.t("emails.credentialsChanged.subject", { change: payload.change }),
  template: "credentials-changed",
});
