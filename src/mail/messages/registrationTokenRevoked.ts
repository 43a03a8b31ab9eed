// A Matrix registration token we gave the person no longer works: an admin revoked it. Sent on revoke;
// a re-issue instead sends a new link (registration_token_ready), which says all the person needs.
import { z } from "zod";
import { defineMessageKind, ZDisplayName } from "./kind.js";

export const registrationTokenRevoked = defineMessageKind({
  name: "registration_token_revoked",
  audience: "applicant",
  payloadSchema: z.strictObject({ personName: ZDisplayName }),
  subject: (_payload, context) => context.t("emails.registrationTokenRevoked.subject"),
  template: "registration-token-revoked",
});
