// What the applicant's pages say after an action (`?done=<key>`, read with routes/toolkit/notices.ts):
// one registry per page, so a key only ever shows on the page whose action set it. The values are
// catalog ids ("notices.*" in src/i18n/catalogs): the page says them in its language.

/** The workspace: the emailed links that open it (routes/links/applicant.ts) and its own actions. */
export const WORKSPACE_NOTICES = {
  confirmed: "notices.workspace.confirmed",
  signed_in: "notices.workspace.signedIn",
  saved: "notices.workspace.saved",
  unchanged: "notices.workspace.unchanged",
  submitted: "notices.workspace.submitted",
  resubmitted: "notices.workspace.resubmitted",
  withdrawn: "notices.workspace.withdrawn",
  replied: "notices.workspace.replied",
} as const;
export type WorkspaceNotice = keyof typeof WORKSPACE_NOTICES;

/**
 * The applicant's evidence page. "added" is said as the case's state makes it true
 * (evidenceAddedNotice in presenters/applicantCase.ts); the text here is for submitted cases.
 */
export const APPLICANT_EVIDENCE_NOTICES = {
  added: "notices.evidence.added",
  added_metadata_removed: "notices.evidence.addedMetadataRemoved",
  deleted: "notices.evidence.deleted",
} as const;
export type ApplicantEvidenceNotice = keyof typeof APPLICANT_EVIDENCE_NOTICES;
