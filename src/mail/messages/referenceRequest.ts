// A referee is asked to vouch for someone who applied: the link opens a page where they say whether and
// how they know the person, or decline. The referee is told the person's name and the community's, and
// nothing else about the application. Written in the case's language (the outbox row's, set by
// commands/references/requestReference.ts), like the applicant's own emails.
import { z } from "zod";
import { urls } from "../../urls.js";
import { defineMessageKind, ZDisplayName } from "./kind.js";

export const referenceRequest = defineMessageKind({
  name: "reference_request",
  // Not staff: someone outside the portal, written to in the language of the case they are asked about.
  audience: "applicant",
  payloadSchema: z.strictObject({ applicantName: ZDisplayName }),
  link: {
    purpose: "reference_request",
    lifetimeMs: (config) => config.references.linkLifetimeMs,
    path: urls.referenceLink,
  },
  subject: (payload, context) =>
    context.t("emails.referenceRequest.subject", { applicantName: payload.applicantName }),
  template: "reference-request",
});
