// Applicants have no password: when they want to come back to their application they ask for this link.
// Anyone can ask for it for any address, so the applicant's name (their own words) is in it only when the
// address was confirmed (jobs/sendRequestedLink.ts decides).
import { z } from "zod";
import { urls } from "../../urls.js";
import { defineMessageKind, MINUTE_MS, ZDisplayName } from "./kind.js";

export const signInLink = defineMessageKind({
  name: "sign_in_link",
  audience: "applicant",
  payloadSchema: z.strictObject({ applicantName: ZDisplayName.optional() }),
  link: {
    purpose: "sign_in",
    lifetimeMs: 15 * MINUTE_MS,
    path: urls.applicantSignIn,
  },
  subject: (_payload, context) => context.t("emails.signInLink.subject"),
  template: "sign-in-link",
});
