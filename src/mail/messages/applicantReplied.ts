// To the staff who should read it: the applicant wrote to the vetting team on a case. Like every staff
// email, only the case's number and a link: the message itself is read on the case page.
import { z } from "zod";
import { defineMessageKind, ZCaseNumber, ZDisplayName } from "./kind.js";

export const applicantReplied = defineMessageKind({
  name: "applicant_replied",
  audience: "staff",
  payloadSchema: z.strictObject({
    staffName: ZDisplayName,
    caseNumber: ZCaseNumber,
    caseId: z.uuid(),
    /** The reply answers a request for more information (else it is a message of its own). */
    isAnswer: z.boolean(),
    /** Why this person hears of it: the case is theirs, or it has no assignee. */
    isAssignee: z.boolean(),
  }),
  subject: (payload, context) =>
    context.t("emails.applicantReplied.subject", {
      isAnswer: payload.isAnswer ? "yes" : "no",
      caseNumber: payload.caseNumber,
    }),
  template: "applicant-replied",
});
