// A person's page (staff/people/detail.njk): their account, a role change waiting for a second admin,
// the roles the viewer may give, and which actions the viewer may take on the account now.
import {
  type Actor,
  canManageAccount,
  canResetSecondFactor,
  enablingNeedsApproval,
} from "../policies/staff.js";
import type { StaffMemberRow } from "../queries/staffMembers.js";
import { type ApproverCandidate, hasFinishedSetup, type RoleChangeRow } from "../queries/staffRoleChanges.js";
import { urls } from "../urls.js";
import { presentPasskeys } from "./passkeys.js";
import { formatDateTime, ROLE_LABELS, roleOptionsFor, STAFF_STATUS_LABELS } from "./staff.js";
import { presentPendingRoleChange } from "./staffRoleChanges.js";

export function presentPersonPage(
  viewer: Actor,
  person: StaffMemberRow,
  pendingRoleChange: RoleChangeRow | null,
  approverCandidates: ApproverCandidate[],
) {
  const canManage = canManageAccount(viewer, person);
  return {
    person: {
      name: person.name,
      email: person.email,
      roleLabel: ROLE_LABELS[person.role],
      statusLabel: STAFF_STATUS_LABELS[person.status],
      createdAt: formatDateTime(person.createdAt),
      lastSignIn: formatDateTime(person.lastSignInAt),
      disabledAt: person.disabledAt ? formatDateTime(person.disabledAt) : null,
      secondFactorLabel: person.totpEnabledAt
        ? `On since ${formatDateTime(person.totpEnabledAt)}`
        : "Not set up",
      passkeys: presentPasskeys(person.passkeys).map(({ name, createdAt, lastUsedAt }) => ({
        name,
        createdAt,
        lastUsedAt,
      })),
      singleSignOnLabel:
        person.oidcSubject && person.oidcLinkedAt
          ? `Linked since ${formatDateTime(person.oidcLinkedAt)} (${person.oidcIssuer ?? ""})`
          : "Not linked",
      sessionCount: person._count.sessions,
      isYou: person.id === viewer.id,
      invitationUrl: person.invitation ? urls.staffInvitationDetail(person.invitation.id) : null,
    },
    pendingRoleChange: pendingRoleChange
      ? presentPendingRoleChange(pendingRoleChange, viewer, approverCandidates)
      : null,
    roleOptions: roleOptionsFor(viewer, person.role),
    can: {
      changeRole: canManage,
      disable: canManage && person.status !== "DISABLED",
      enable:
        canManage &&
        person.status === "DISABLED" &&
        hasFinishedSetup(person) &&
        !pendingRoleChange?.isReenable,
      resetSecondFactor: canResetSecondFactor(viewer, person) && person.status === "ACTIVE",
    },
    enablingNeedsApproval: enablingNeedsApproval(person.role),
    links: {
      people: urls.staffPeople(),
      invitations: urls.staffInvitations(),
      role: urls.staffPersonAction(person.id, "role"),
      disable: urls.staffPersonAction(person.id, "disable"),
      enable: urls.staffPersonAction(person.id, "enable"),
      resetSecondFactor: urls.staffPersonAction(person.id, "reset-second-factor"),
    },
  };
}
