// An agent submitted the application for the person (who consented on paper, on a video call or by
// email): what was sent in their name, and a link to their workspace to see it and follow it.
import { z } from "zod";
import { urls } from "../../urls.js";
import { DAY_MS, defineMessageKind, ZCaseNumber, ZDisplayName } from "./kind.js";

export const submittedOnBehalf = defineMessageKind({
  name: "submitted_on_behalf",
  payloadSchema: z.strictObject({
    applicantName: ZDisplayName,
    agentName: ZDisplayName,
    caseNumber: ZCaseNumber,
    /** "a signed paper form", "a video call", "email": how the agent recorded the consent. */
    consentLabel: ZDisplayName,
  }),
  // A single-use link to the person's own workspace, with a page of its own: the invitation's page
  // asks them to submit, which an agent has done.
  link: { purpose: "case_submitted_for_you", lifetimeMs: 7 * DAY_MS, path: urls.caseSubmittedForYou },
  subject: (payload, context) =>
    `Your application ${payload.caseNumber} was submitted for you — ${context.siteName}`,
  template: "submitted-on-behalf",
});
