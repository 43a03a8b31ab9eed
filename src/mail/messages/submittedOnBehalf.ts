// An agent submitted the application for the person (who consented on paper, on a video call or by
// email): what was sent in their name, and a link to their workspace to see it and follow it.
import { z } from "zod";
import { urls } from "../../urls.js";
import { DAY_MS, defineMessageKind, ZCaseNumber, ZDisplayName } from "./kind.js";

const CONSENT_KINDS = ["SIGNED_PAPER_FORM", "VIDEO_CALL", "EMAIL"] as const;

const LEGACY_CONSENT_LABELS: Record<string, (typeof CONSENT_KINDS)[number]> = {
  "signing a paper form": "SIGNED_PAPER_FORM",
  "saying so on a video call": "VIDEO_CALL",
  email: "EMAIL",
};

export const submittedOnBehalf = defineMessageKind({
  name: "submitted_on_behalf",
  audience: "applicant",
  payloadSchema: z
    .strictObject({
      applicantName: ZDisplayName,
      agentName: ZDisplayName,
      caseNumber: ZCaseNumber,
      /** How the agent recorded the person's consent; the sentence is the catalog's, in their language. */
      consentKind: z.enum(CONSENT_KINDS).optional(),
      /** Messages queued before consentKind carry the English phrase instead: read back as its kind. */
      consentLabel: ZDisplayName.optional(),
    })
    .transform(({ consentLabel, ...payload }, context) => {
      const consentKind = payload.consentKind ?? LEGACY_CONSENT_LABELS[consentLabel ?? ""];
      if (!consentKind) {
        context.addIssue({ code: "custom", path: ["consentKind"], message: "is required" });
        return z.NEVER;
      }
      return { ...payload, consentKind };
    }),
  // A single-use link to the person's own workspace, with a page of its own: the invitation's page
  // asks them to submit, which an agent has done.
  link: { purpose: "case_submitted_for_you", lifetimeMs: 7 * DAY_MS, path: urls.caseSubmittedForYou },
  subject: (payload, context) =>
    context.t("emails.submittedOnBehalf.subject", { caseNumber: payload.caseNumber }),
  template: "submitted-on-behalf",
});
