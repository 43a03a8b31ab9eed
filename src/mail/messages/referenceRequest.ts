// A referee is asked to vouch for someone who applied: the link opens a page where they say whether and
// how they know the person, or decline. The referee is told the person's name and the community's, and
// nothing else about the application. Written in the case's language through the catalogs.
import { z } from "zod";
import { catalogTranslator } from "../../i18n/translator.js";
import { urls } from "../../urls.js";
import { defineMessageKind, ZDisplayName } from "./kind.js";

export const referenceRequest = defineMessageKind({
  name: "reference_request",
  payloadSchema: z.strictObject({
    applicantName: ZDisplayName,
    /** The case's language tag ("en", "de", …). */
    language: z.string().regex(/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/),
  }),
  link: {
    purpose: "reference_request",
    lifetimeMs: (config) => config.references.linkLifetimeMs,
    path: urls.referenceLink,
  },
  language: (payload) => payload.language,
  subject: (payload, context) =>
    catalogTranslator(payload.language).t("emails.referenceRequest.subject", {
      applicantName: payload.applicantName,
      siteName: context.siteName,
    }),
  template: "reference-request",
});
