// The staff list (staff/people/index.njk): everyone, with role, status, last sign-in and 2FA state.
import { type Actor, canViewInvitations } from "../policies/staff.js";
import type { StaffMemberListRow } from "../queries/staffMembers.js";
import { urls } from "../urls.js";
import { formatDateTime, ROLE_LABELS, STAFF_STATUS_LABELS } from "./staff.js";

export function presentPeoplePage(viewer: Actor, rows: StaffMemberListRow[]) {
  return {
    can: { invite: canViewInvitations(viewer) },
    invitationsUrl: urls.staffInvitations(),
    people: rows.map((person) => ({
      url: urls.staffPerson(person.id),
      name: person.name,
      email: person.email,
      roleLabel: ROLE_LABELS[person.role],
      statusLabel: STAFF_STATUS_LABELS[person.status],
      isActive: person.status === "ACTIVE",
      lastSignIn: formatDateTime(person.lastSignInAt),
      secondFactorLabel: person.totpEnabledAt ? "On" : "Not set up",
      isYou: person.id === viewer.id,
    })),
  };
}
