// An admin invites a new staff member, who follows the link to choose a password and set up two-step
// sign-in before the account can be used.
import { z } from "zod";
import { urls } from "../../urls.js";
import { defineMessageKind, HOUR_MS, ZDisplayName } from "./kind.js";

export const staffInvitation = defineMessageKind({
  name: "staff_invitation",
  audience: "staff",
  payloadSchema: z.strictObject({
    inviteeName: ZDisplayName,
    inviterName: ZDisplayName,
    /** As shown to people, e.g. "vetting agent". */
    roleLabel: ZDisplayName,
  }),
  link: {
    purpose: "staff_invitation",
    lifetimeMs: 72 * HOUR_MS,
    path: urls.staffInvitation,
  },
  subject: (_payload, context) => context.t("emails.staffInvitation.subject"),
  template: "staff-invitation",
});
