// The applicant was admitted. When Matrix registration tokens are on, a token was requested in the same
// transaction and this email carries the one-time link to the page that reveals it (the link is minted
// at delivery; the token itself never enters an email). With the feature off the email has no link.
import { z } from "zod";
import { urls } from "../../urls.js";
import { defineMessageKind, ZCaseNumber, ZDisplayName } from "./kind.js";
import { REGISTRATION_TOKEN_REVEAL_LINK_LIFETIME_MS, ZTokenExpiry } from "./registrationTokenReady.js";

export const decisionApproved = defineMessageKind({
  name: "decision_approved",
  audience: "applicant",
  payloadSchema: z.strictObject({
    applicantName: ZDisplayName,
    caseNumber: ZCaseNumber,
    /** Present when a registration token was requested (and the message has its reveal link). */
    registrationTokenExpiresAt: ZTokenExpiry.optional(),
  }),
  link: {
    purpose: "registration_token_reveal",
    lifetimeMs: REGISTRATION_TOKEN_REVEAL_LINK_LIFETIME_MS,
    path: urls.registrationTokenReveal,
    isOptional: true,
  },
  subject: (payload, context) =>
    context.t("emails.decisionApproved.subject", { caseNumber: payload.caseNumber }),
  template: "decision-approved",
});
