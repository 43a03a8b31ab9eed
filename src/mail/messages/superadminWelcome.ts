// Tells a new superadmin their account exists and where to sign in. Also a warning: if they did not
// create it, someone used the setup link or the server's terminal in their name.
import { z } from "zod";
import { defineMessageKind, ZDisplayName } from "./kind.js";

export const superadminWelcome = defineMessageKind({
  name: "superadmin_welcome",
  audience: "staff",
  payloadSchema: z.strictObject({ name: ZDisplayName }),
  subject: (_payload, context) => `Your ${context.siteName} superadmin account is ready`,
  template: "superadmin-welcome",
});
