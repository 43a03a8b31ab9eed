// What the staff case page says after an action (`?done=<key>`, read with routes/toolkit/notices.ts):
// catalog ids, said in the page's language.
// One registry for the page, whichever route acted: routes/staff/cases.ts (opening, assignment, review,
// vetting records, comments, invitations, conflicts of interest), caseDecisions.ts, casePrivacy.ts
// (erasure) and caseEvidence.ts all redirect to the case page with one of these keys.
export const CASE_NOTICES = {
  opened: "staff.cases.notice.opened",
  opened_invited: "staff.cases.notice.opened_invited",
  assigned: "staff.cases.notice.assigned",
  assigned_review_started: "staff.cases.notice.assigned_review_started",
  assignment_unchanged: "staff.cases.notice.assignment_unchanged",
  review_started: "staff.cases.notice.review_started",
  vetting_recorded: "staff.cases.notice.vetting_recorded",
  vetting_recorded_review_started: "staff.cases.notice.vetting_recorded_review_started",
  comment_added: "staff.cases.notice.comment_added",
  comment_shared: "staff.cases.notice.comment_shared",
  invited: "staff.cases.notice.invited",
  conflict_declared: "staff.cases.notice.conflict_declared",
  conflict_recorded: "staff.cases.notice.conflict_recorded",
  conflict_recorded_unassigned: "staff.cases.notice.conflict_recorded_unassigned",
  conflict_withdrawn: "staff.cases.notice.conflict_withdrawn",
  // routes/staff/caseDecisions.ts
  approved: "staff.cases.notice.approved",
  rejected: "staff.cases.notice.rejected",
  more_information_requested: "staff.cases.notice.more_information_requested",
  // routes/staff/caseForPerson.ts
  submitted_on_behalf: "staff.cases.notice.submitted_on_behalf",
  closed: "staff.cases.notice.closed",
  reopened: "staff.cases.notice.reopened",
  reopened_as_draft: "staff.cases.notice.reopened_as_draft",
  details_corrected: "staff.cases.notice.details_corrected",
  // routes/staff/caseReferences.ts
  reference_requested: "staff.cases.notice.reference_requested",
  reference_requested_matrix: "staff.cases.notice.reference_requested_matrix",
  details_corrected_email_pending: "staff.cases.notice.details_corrected_email_pending",
  // routes/staff/casePrivacy.ts
  erased: "staff.cases.notice.erased",
  // routes/staff/caseEvidence.ts
  evidence_added: "staff.cases.notice.evidence_added",
  evidence_added_metadata_removed: "staff.cases.notice.evidence_added_metadata_removed",
  evidence_deleted: "staff.cases.notice.evidence_deleted",
} as const;
export type CaseNotice = keyof typeof CASE_NOTICES;
