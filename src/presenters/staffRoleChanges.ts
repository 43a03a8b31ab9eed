// Role changes waiting for a second admin, as the invitations page and a person's page show them: what
// is asked, by whom, who may approve it, and what the viewer may do about it.
import type { StaffRole } from "../generated/prisma/client.js";
import type { Translator } from "../i18n/translator.js";
import {
  type Actor,
  canCancelRoleChange,
  canDecideRoleChange,
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
  translator: Translator,
): PendingRoleChangeView {
  const approvers = approversOf(approverCandidates, row);
  const role = (staffRole: StaffRole) => translator.t(`staff.role.${staffRole}`);
  return {
    id: row.id,
    personName: row.staffUser.name,
    personEmail: row.staffUser.email,
    personUrl: urls.staffPerson(row.staffUserId),
    changeLabel: row.isReenable
      ? translator.t("staff.roleChange.enable", { role: role(row.toRole) })
      : translator.t("staff.roleChange.change", { fromRole: role(row.fromRole), toRole: role(row.toRole) }),
    requestedBy: row.requestedBy.name,
    requestedAt: formatDateTime(row.requestedAt),
    requestedAtIso: isoDateTime(row.requestedAt),
    isOwnRequest: row.requestedById === viewer.id,
    approversText:
      approvers.length > 0
        ? translator.t("staff.roleChange.mayApprove", {
            names: approvers.map((approver) => approver.name).join(", "),
          })
        : translator.t("staff.roleChange.nobodyYet", {
            roles: translator.orList(
              rolesThatMayApprove(row.toRole).map((staffRole) =>
                translator.t(`staff.roleLower.${staffRole}`),
              ),
            ),
          }),
    can: { decide: canDecideRoleChange(viewer, row), cancel: canCancelRoleChange(viewer, row) },
    links: {
      decision: urls.staffRoleChangeAction(row.id, "decision"),
      cancel: urls.staffRoleChangeAction(row.id, "cancel"),
    },
  };
}
