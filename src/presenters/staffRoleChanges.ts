// Role changes waiting for a second admin, as the invitations page and a person's page show them: what
// is asked, by whom, who may approve it, and what the viewer may do about it.
import type { StaffRole } from "../generated/prisma/client.js";
import {
  type Actor,
  canCancelRoleChange,
  canDecideRoleChange,
  ROLE_LABELS,
  rolesThatMayApprove,
} from "../policies/staff.js";
import { type ApproverCandidate, approversOf, type RoleChangeRow } from "../queries/staffRoleChanges.js";
import { urls } from "../urls.js";
import { formatDateTime, isoDateTime } from "./staff.js";

export interface PendingRoleChangeView {
  id: string;
  personName: string;
  personEmail: string;
  personUrl: string;
  /** "Vetting agent → Inviting admin", or "Enable the account (Inviting admin)". */
  changeLabel: string;
  requestedBy: string;
  requestedAt: string;
  requestedAtIso: string | null;
  isOwnRequest: boolean;
  /** Who may approve it, by name, or why nobody can yet. */
  approversText: string;
  can: { decide: boolean; cancel: boolean };
  links: { decision: string; cancel: string };
}

export function presentPendingRoleChange(
  row: RoleChangeRow,
  viewer: Actor,
  approverCandidates: ApproverCandidate[],
): PendingRoleChangeView {
  const approvers = approversOf(approverCandidates, row);
  return {
    id: row.id,
    personName: row.staffUser.name,
    personEmail: row.staffUser.email,
    personUrl: urls.staffPerson(row.staffUserId),
    changeLabel: row.isReenable
      ? `Enable the account (${ROLE_LABELS[row.toRole]})`
      : `${ROLE_LABELS[row.fromRole]} → ${ROLE_LABELS[row.toRole]}`,
    requestedBy: row.requestedBy.name,
    requestedAt: formatDateTime(row.requestedAt),
    requestedAtIso: isoDateTime(row.requestedAt),
    isOwnRequest: row.requestedById === viewer.id,
    approversText:
      approvers.length > 0
        ? `May approve: ${approvers.map((approver) => approver.name).join(", ")}.`
        : `Nobody can approve it yet: it needs ${approverRolesText(row.toRole)} other than the person and whoever asked. It waits until there is one, or until it is cancelled.`,
    can: { decide: canDecideRoleChange(viewer, row), cancel: canCancelRoleChange(viewer, row) },
    links: {
      decision: urls.staffRoleChangeAction(row.id, "decision"),
      cancel: urls.staffRoleChangeAction(row.id, "cancel"),
    },
  };
}

/** "a superadmin", "a server admin or superadmin". */
function approverRolesText(toRole: StaffRole): string {
  const labels = rolesThatMayApprove(toRole).map((role) => ROLE_LABELS[role].toLowerCase());
  const last = labels.pop() ?? "";
  return `a ${labels.length > 0 ? `${labels.join(", ")} or ` : ""}${last}`;
}
