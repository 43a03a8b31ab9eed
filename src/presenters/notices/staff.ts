// What the staff account pages say after an action (`?done=<key>`, read with routes/toolkit/notices.ts):
// one registry per page, so a key only ever shows on the page whose action set it. Each sentence is a
// catalog id, which the page translates.

/** The invitations page and an invitation's page (inviting, deciding, resending, revoking; role changes). */
export const INVITATION_NOTICES = {
  invited_sent: "staff.notice.invitations.invitedSent",
  invited_pending: "staff.notice.invitations.invitedPending",
  approved: "staff.notice.invitations.approved",
  rejected: "staff.notice.invitations.rejected",
  resent: "staff.notice.invitations.resent",
  revoked: "staff.notice.invitations.revoked",
  role_change_approved: "staff.notice.invitations.roleChangeApproved",
  enabling_approved: "staff.notice.invitations.enablingApproved",
  role_change_rejected: "staff.notice.invitations.roleChangeRejected",
  role_change_cancelled: "staff.notice.invitations.roleChangeCancelled",
} as const;
export type InvitationNotice = keyof typeof INVITATION_NOTICES;

/** A person's page (role, disabling and enabling, resetting two-step sign-in). */
export const PERSON_NOTICES = {
  role: "staff.notice.person.role",
  role_unchanged: "staff.notice.person.roleUnchanged",
  role_requested: "staff.notice.person.roleRequested",
  disabled: "staff.notice.person.disabled",
  enabled: "staff.notice.person.enabled",
  enable_requested: "staff.notice.person.enableRequested",
  second_factor_reset: "staff.notice.person.secondFactorReset",
} as const;
export type PersonNotice = keyof typeof PERSON_NOTICES;

/** One's own profile page. */
export const PROFILE_NOTICES = {
  password: "staff.notice.profile.password",
  authenticator: "staff.notice.profile.authenticator",
  session_ended: "staff.notice.profile.sessionEnded",
  theme: "staff.notice.profile.theme",
  notifications: "staff.notice.profile.notifications",
  contact_details: "staff.notice.profile.contactDetails",
  passkey_added: "staff.notice.profile.passkeyAdded",
  passkey_removed: "staff.notice.profile.passkeyRemoved",
} as const;
export type ProfileNotice = keyof typeof PROFILE_NOTICES;
