// Sign-in to a staff account was blocked after too many failed attempts. The owner hears of it at once:
// if it was not them, someone is guessing their password. The link resets the password (which does not
// bypass the second factor), so a person who simply forgot it is not stuck for the hour.
import { z } from "zod";
import { urls } from "../../urls.js";
import { defineMessageKind, MINUTE_MS, ZDisplayName } from "./kind.js";

export const accountBlocked = defineMessageKind({
  name: "account_blocked",
  audience: "staff",
  payloadSchema: z.strictObject({
    staffName: ZDisplayName,
    /** How long sign-in stays blocked, e.g. "1 hour". */
    blockedFor: ZDisplayName,
  }),
  link: {
    purpose: "password_reset",
    lifetimeMs: 30 * MINUTE_MS,
    path: urls.staffPasswordReset,
  },
  subject: (_payload, context) => context.t("emails.accountBlocked.subject"),
  template: "account-blocked",
});
