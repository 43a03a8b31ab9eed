// What the staff account pages say after an action (`?done=<key>`, read with routes/toolkit/notices.ts):
// one registry per page, so a key only ever shows on the page whose action set it.

/** The invitations page and an invitation's page (inviting, deciding, resending, revoking; role changes). */
export const INVITATION_NOTICES = {
  invited_sent: "The invitation was sent.",
  invited_pending: "The invitation is waiting for a second admin’s approval.",
  approved: "The invitation was approved and sent.",
  rejected: "The invitation was rejected and the account disabled.",
  resent: "The invitation was sent again. Links in earlier emails no longer work.",
  revoked: "The invitation was revoked and the account disabled.",
  role_change_approved:
    "The role change was approved and applied. Their sessions were ended: the new role applies from their next sign-in.",
  enabling_approved: "The account was enabled again, with its role.",
  role_change_rejected: "The role change was rejected. Nothing about the account changed.",
  role_change_cancelled: "The role change was cancelled. Nothing about the account changed.",
} as const;
export type InvitationNotice = keyof typeof INVITATION_NOTICES;

/** A person's page (role, disabling and enabling, resetting two-step sign-in). */
export const PERSON_NOTICES = {
  role: "The role was changed. Their sessions were ended: the new role applies from their next sign-in.",
  role_unchanged: "They already hold that role; nothing was changed.",
  role_requested:
    "The role change now waits for a second admin’s approval; until then their role stays as it is. Every admin who may approve it was emailed (who that is shows below), and it is listed on the invitations page.",
  disabled: "The account was disabled and its sessions ended.",
  enabled: "The account was enabled.",
  enable_requested:
    "Enabling the account now waits for a second admin’s approval, since its role decides cases; until then it stays disabled. Every admin who may approve it was emailed (who that is shows below), and it is listed on the invitations page.",
  second_factor_reset:
    "Two-step sign-in was reset and the sessions ended. An invitation email was sent to set the account up again.",
} as const;
export type PersonNotice = keyof typeof PERSON_NOTICES;

/** One's own profile page. */
export const PROFILE_NOTICES = {
  password: "Your password was changed. Your other sessions were ended.",
  authenticator: "Two-step sign-in now uses your new authenticator. Your other sessions were ended.",
  session_ended: "The session was ended.",
  theme: "Your theme was saved.",
  notifications: "Your notification choices were saved.",
  contact_details: "Your Matrix ID and phone number were saved.",
  passkey_added: "The passkey was added. You can now sign in with it.",
  passkey_removed: "The passkey was removed. It can no longer sign in.",
} as const;
export type ProfileNotice = keyof typeof PROFILE_NOTICES;
