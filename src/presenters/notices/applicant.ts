// What the applicant's pages say after an action (`?done=<key>`, read with routes/toolkit/notices.ts):
// one registry per page, so a key only ever shows on the page whose action set it.

/** The workspace: the emailed links that open it (routes/links/applicant.ts) and its own actions. */
export const WORKSPACE_NOTICES = {
  confirmed: "Your email address is confirmed. This is your application.",
  signed_in: "You are signed in to your application.",
  saved: "Your details were saved.",
  unchanged: "Nothing to save: your details are as they were.",
  submitted: "Your application was submitted. We have emailed you a confirmation.",
  resubmitted: "Your application was sent back to the vetting team.",
  withdrawn: "Your application was withdrawn. We have emailed you a confirmation.",
  replied: "Your message was sent to the vetting team.",
} as const;
export type WorkspaceNotice = keyof typeof WORKSPACE_NOTICES;

/**
 * The applicant's evidence page. "added" is said as the case's state makes it true
 * (evidenceAddedNotice in presenters/applicantCase.ts); the text here is for submitted cases.
 */
export const APPLICANT_EVIDENCE_NOTICES = {
  added: "Your files were added. The vetting team can see them.",
  added_metadata_removed:
    "Your files were added. The vetting team can see them. Location and camera data were removed from your photos before they were kept.",
  deleted: "The file was deleted.",
} as const;
export type ApplicantEvidenceNotice = keyof typeof APPLICANT_EVIDENCE_NOTICES;
