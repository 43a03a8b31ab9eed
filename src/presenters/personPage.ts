// A person's page (staff/people/detail.njk): their account, a role change waiting for a second admin,
// the roles the viewer may give, and which actions the viewer may take on the account now.

import type { Translator } from "../i18n/translator.js";
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
import { formatDateTime, roleOptionsFor } from "./staff.js";
import { presentPendingRoleChange } from "./staffRoleChanges.js";

export function presentPersonPage(
  viewer: Actor,
  person: StaffMemberRow,
  pendingRoleChange: RoleChangeRow | null,
  approverCandidates: ApproverCandidate[],
  translator: Translator,
) {
  const never = translator.t("staff.never");
  const canManage = canManageAccount(viewer, person);
  return {
    person: {
      name: person.name,
      email: person.email,
      roleLabel: translator.t(`staff.role.${person.role}`),
      statusLabel: translator.t(`staff.status.${person.status}`),
      createdAt: formatDateTime(person.createdAt),
      lastSignIn: formatDateTime(person.lastSignInAt, never),
      disabledAt: person.disabledAt ? formatDateTime(person.disabledAt) : null,
      secondFactorLabel: person.totpEnabledAt
        ? translator.t("staff.secondFactor.onSince", { date: formatDateTime(person.totpEnabledAt) })
        : translator.t("staff.secondFactor.notSetUp"),
      passkeys: presentPasskeys(person.passkeys, translator).map(({ name, createdAt, lastUsedAt }) => ({
        name,
        createdAt,
        lastUsedAt,
      })),
      singleSignOnLabel:
        person.oidcSubject && person.oidcLinkedAt
          ? translator.t("staff.singleSignOn.linkedSince", {
              date: formatDateTime(person.oidcLinkedAt),
              issuer: person.oidcIssuer ?? "",
            })
          : translator.t("staff.singleSignOn.notLinked"),
      sessionCount: person._count.sessions,
      isYou: person.id === viewer.id,
      invitationUrl: person.invitation ? urls.staffInvitationDetail(person.invitation.id) : null,
    },
    pendingRoleChange: pendingRoleChange
      ? presentPendingRoleChange(pendingRoleChange, viewer, approverCandidates, translator)
      : null,
    roleOptions: roleOptionsFor(viewer, translator, person.role),
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
