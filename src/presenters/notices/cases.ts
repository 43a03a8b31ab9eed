// What the staff case page says after an action (`?done=<key>`, read with routes/toolkit/notices.ts).
// One registry for the page, whichever route acted: routes/staff/cases.ts (opening, assignment, review,
// vetting records, comments, invitations, conflicts of interest), caseDecisions.ts, casePrivacy.ts
// (erasure) and caseEvidence.ts all redirect to the case page with one of these keys.
export const CASE_NOTICES = {
  opened: "The case was opened and assigned to you.",
  opened_invited:
    "The case was opened and assigned to you. The person was emailed a link to their application.",
  assigned: "The assignment was changed.",
  assigned_review_started: "The case was assigned and is now in review.",
  assignment_unchanged: "The case was already assigned that way; nothing changed.",
  review_started: "The case is now in review.",
  vetting_recorded: "Your vetting record was added.",
  vetting_recorded_review_started: "Your vetting record was added and the case is now in review.",
  comment_added: "Your internal comment was added.",
  comment_shared: "Your comment was added. The applicant can see it.",
  invited:
    "The person was emailed a link to their application. Links sent earlier keep working until they expire.",
  conflict_declared:
    "Your conflict of interest is recorded. You no longer see this case’s details, and you cannot be assigned it, vet it or decide it.",
  conflict_recorded:
    "The conflict of interest is recorded. That person no longer sees this case’s details, and cannot be assigned it, vet it or decide it.",
  conflict_recorded_unassigned:
    "The conflict of interest is recorded, and the case is no longer assigned to that person. They no longer see its details.",
  conflict_withdrawn: "The conflict of interest was withdrawn.",
  // routes/staff/caseDecisions.ts
  approved: "The case was approved. The applicant will get an email.",
  rejected: "The case was rejected. The applicant will get an email.",
  more_information_requested:
    "The applicant was asked for more information and can edit their application again. They will get an email with your reason.",
  // routes/staff/caseForPerson.ts
  submitted_on_behalf:
    "The application was submitted on the person’s behalf. They were emailed a confirmation with a link to their application.",
  closed: "The case was closed without a decision. It no longer shows in the open tabs.",
  reopened: "The case was reopened and waits in the queue as submitted.",
  reopened_as_draft: "The case was reopened as a draft: it had never been submitted.",
  details_corrected: "The details were corrected.",
  // routes/staff/caseReferences.ts
  reference_requested: "The referee was emailed a link to answer.",
  reference_requested_matrix: "The portal’s bot will send the referee a link to answer, by direct message.",
  details_corrected_email_pending:
    "The details were corrected. The new email address is used once the person confirms it by the link emailed to it; the old address was told.",
  // routes/staff/casePrivacy.ts
  erased: "The personal data of this case was erased.",
  // routes/staff/caseEvidence.ts
  evidence_added: "The evidence was added.",
  evidence_added_metadata_removed:
    "The evidence was added. Location and camera data were removed from the photos before they were kept.",
  evidence_deleted: "The evidence file was deleted.",
} as const;
export type CaseNotice = keyof typeof CASE_NOTICES;
