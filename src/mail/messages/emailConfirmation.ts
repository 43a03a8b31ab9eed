// Sent right after someone applies: the application goes on only once they prove the address is theirs.
import { z } from "zod";
import { urls } from "../../urls.js";
import { defineMessageKind, HOUR_MS, ZDisplayName } from "./kind.js";

export const emailConfirmation = defineMessageKind({
  name: "email_confirmation",
  payloadSchema: z.strictObject({ applicantName: ZDisplayName }),
  link: {
    purpose: "email_confirmation",
    lifetimeMs: 24 * HOUR_MS,
    path: urls.confirmEmail,
  },
  subject: (_payload, context) => `Confirm your email address — ${context.siteName}`,
  template: "email-confirmation",
});
