// To the applicant, once: their draft was never submitted, or a request for more information is still
// unanswered (jobs/remindApplicants.ts). It carries a single-use link back to their workspace, like the
// sign-in link; their name only when their address was confirmed (anyone can start a draft with anyone's
// address).
import { z } from "zod";
import { urls } from "../../urls.js";
import { DAY_MS, defineMessageKind, ZDisplayName } from "./kind.js";

export const applicantReminder = defineMessageKind({
  name: "applicant_reminder",
  audience: "applicant",
  payloadSchema: z.strictObject({
    reminder: z.enum(["draft", "more_information"]),
    applicantName: ZDisplayName.optional(),
    /** The draft's deletion date (ISO), for a draft; the person should know their draft will not stay. */
    deletionAt: z.iso.datetime().optional(),
  }),
  link: {
    purpose: "sign_in",
    lifetimeMs: 3 * DAY_MS,
    path: urls.applicantSignIn,
  },
  subject: (payload, context) =>
    context.t(
      payload.reminder === "draft"
        ? "emails.applicantReminder.subjectDraft"
        : "emails.applicantReminder.subjectMoreInformation",
    ),
  template: "applicant-reminder",
});
