// Tells a new superadmin their account exists and where to sign in. Also a warning: if they did not
// create it, someone used the setup link or the server's terminal in their name.
import { z } from "zod";
import { defineMessageKind, ZDisplayName } from "./kind.js";

export const superadminWelcome = defineMessageKind({
  name: "superadmin_welcome",
  audience: "staff",
  payloadSchema: z.strictObject({ name: ZDisplayName }),
  subject: (_payload, context) => context.t("emails.superadminWelcome.subject"),
  template: "superadmin-welcome",
});
