// Sent right after someone applies: the application goes on only once they prove the address is theirs.
//
// Anyone can type anyone's address into /apply, so this email carries no text the sender chose: no name,
// no statement, only our own words and the link (otherwise the form mails a stranger's
// sentence and URL to any address, under our name). `applicantName` is still accepted, and ignored, so
// that messages queued before this change render.
import { z } from "zod";
import { urls } from "../../urls.js";
import { defineMessageKind, HOUR_MS, ZDisplayName } from "./kind.js";

export const emailConfirmation = defineMessageKind({
  name: "email_confirmation",
  audience: "applicant",
  payloadSchema: z.strictObject({ applicantName: ZDisplayName.optional() }),
  link: {
    purpose: "email_confirmation",
    lifetimeMs: 24 * HOUR_MS,
    path: urls.confirmEmail,
  },
  subject: (_payload, context) => context.t("emails.emailConfirmation.subject"),
  template: "email-confirmation",
});
