// A staff member who forgot their password asks for this link. Asking changes nothing by itself, which
// the message says, so that an unexpected one can be ignored safely.
import { z } from "zod";
import { urls } from "../../urls.js";
import { defineMessageKind, MINUTE_MS, ZDisplayName } from "./kind.js";

export const passwordReset = defineMessageKind({
  name: "password_reset",
  audience: "staff",
  payloadSchema: z.strictObject({ staffName: ZDisplayName }),
  link: {
    purpose: "password_reset",
    lifetimeMs: 30 * MINUTE_MS,
    path: urls.staffPasswordReset,
  },
  subject: (_payload, context) => context.t("emails.passwordReset.subject"),
  template: "password-reset",
});
