// The invitations page (staff/invitations/index.njk): the roles the viewer may invite to, the role
// changes waiting for a second admin (with the mistakes of one decision form, when it had some), and
// the latest invitations.
import type { Translator } from "../i18n/translator.js";
import type { Actor } from "../policies/staff.js";
import type { InvitationListRow } from "../queries/staffInvitations.js";
import type { ApproverCandidate, RoleChangeRow } from "../queries/staffRoleChanges.js";
import { urls } from "../urls.js";
import { formatDateTime, roleOptionsFor } from "./staff.js";
import { presentPendingRoleChange } from "./staffRoleChanges.js";

/** A role change's decision form with mistakes: which change, and its messages by field. */
export interface RoleChangeFormErrors {
  roleChangeId: string;
  errors: Record<string, string>;
}

export function presentInvitationsPage(
  viewer: Actor,
  rows: {
    invitations: InvitationListRow[];
    pendingRoleChanges: RoleChangeRow[];
    approverCandidates: ApproverCandidate[];
  },
  translator: Translator,
  roleChangeErrors?: RoleChangeFormErrors,
) {
  return {
    hasRoleChangeErrors: roleChangeErrors !== undefined,
    roleOptions: roleOptionsFor(viewer, translator),
    roleChanges: rows.pendingRoleChanges.map((change) => ({
      ...presentPendingRoleChange(change, viewer, rows.approverCandidates, translator),
      errors: roleChangeErrors?.roleChangeId === change.id ? roleChangeErrors.errors : {},
    })),
    invitations: rows.invitations.map((invitation) => ({
      url: urls.staffInvitationDetail(invitation.id),
      name: invitation.invitee.name,
      email: invitation.invitee.email,
      roleLabel: translator.t(`staff.role.${invitation.invitee.role}`),
      statusLabel: translator.t(`staff.invitationStatus.${invitation.status}`),
      isPending: invitation.status === "PENDING_APPROVAL",
      invitedBy: invitation.invitedBy.name,
      createdAt: formatDateTime(invitation.createdAt),
    })),
  };
}
