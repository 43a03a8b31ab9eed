// An invitation's page (staff/invitations/detail.njk): the invitation, its links, and what the viewer
// may do with it (decide only while it waits for approval).

import type { Translator } from "../i18n/translator.js";
import {
  type Actor,
  canDecideInvitation,
  canResendInvitation,
  canRevokeInvitation,
} from "../policies/staff.js";
import type { InvitationDetailRow } from "../queries/staffInvitations.js";
import { urls } from "../urls.js";
import { formatDateTime } from "./staff.js";

export function presentInvitationPage(
  viewer: Actor,
  invitation: InvitationDetailRow,
  translator: Translator,
) {
  const target = { status: invitation.status, role: invitation.invitee.role };
  return {
    invitation: {
      id: invitation.id,
      name: invitation.invitee.name,
      email: invitation.invitee.email,
      roleLabel: translator.t(`staff.role.${invitation.invitee.role}`),
      statusLabel: translator.t(`staff.invitationStatus.${invitation.status}`),
      accountStatusLabel: translator.t(`staff.status.${invitation.invitee.status}`),
      invitedBy: invitation.invitedBy.name,
      decidedBy: invitation.decidedBy?.name ?? null,
      decisionNote: invitation.decisionNote,
      createdAt: formatDateTime(invitation.createdAt),
      decidedAt: invitation.decidedAt ? formatDateTime(invitation.decidedAt) : null,
      sentAt: invitation.sentAt ? formatDateTime(invitation.sentAt) : null,
      acceptedAt: invitation.acceptedAt ? formatDateTime(invitation.acceptedAt) : null,
      isPending: invitation.status === "PENDING_APPROVAL",
      isOwn: invitation.invitedById === viewer.id,
    },
    links: {
      invitations: urls.staffInvitations(),
      decision: urls.staffInvitationDecision(invitation.id),
      resend: urls.staffInvitationResend(invitation.id),
      revoke: urls.staffInvitationRevoke(invitation.id),
    },
    can: {
      decide:
        invitation.status === "PENDING_APPROVAL" &&
        canDecideInvitation(viewer, { invitedById: invitation.invitedById, role: invitation.invitee.role }),
      resend: canResendInvitation(viewer, target),
      revoke: canRevokeInvitation(viewer, target),
    },
  };
}
