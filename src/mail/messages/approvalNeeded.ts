// To the admins who may approve it: a four-eyes request waits for a second admin. A role change (a raise
// to a deciding role, or enabling again an account that holds one) waits on the invitations page; a
// registration token for someone without a case on the registration tokens page. Staff-only recipients,
// so the person's name is said; the link is a plain one behind staff sign-in.
import { z } from "zod";
import { defineMessageKind, ZDisplayName } from "./kind.js";

const ZCommon = {
  approverName: ZDisplayName,
  requesterName: ZDisplayName,
  /** The person the request is about: the staff member, or who the token is for. */
  personName: ZDisplayName,
};

export const approvalNeeded = defineMessageKind({
  name: "approval_needed",
  audience: "staff",
  payloadSchema: z.discriminatedUnion("request", [
    z.strictObject({
      request: z.literal("role_change"),
      ...ZCommon,
      /** As shown to people, e.g. "inviting admin". */
      roleLabel: ZDisplayName,
      /** Enabling a disabled account that holds the role, rather than raising it. */
      isReenable: z.boolean(),
    }),
    z.strictObject({ request: z.literal("registration_token"), ...ZCommon }),
    /** A server admin's invitation, which a second admin approves before it is sent. */
    z.strictObject({ request: z.literal("invitation"), ...ZCommon, roleLabel: ZDisplayName }),
  ]),
  subject: (payload, context) => context.t("emails.approvalNeeded.subject", { request: payload.request }),
  template: "approval-needed",
});
