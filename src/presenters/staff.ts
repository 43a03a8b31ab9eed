// Staff accounts and invitations as the pages show them: labels instead of enum names, dates as text.
import type {
  InvitationStatus,
  StaffRole,
  StaffStatus,
  ThemePreference,
} from "../generated/prisma/client.js";
import { type Actor, canInvite, ROLE_LABELS, STAFF_ROLES } from "../policies/staff.js";

export { ROLE_LABELS };

export const STAFF_STATUS_LABELS: Record<StaffStatus, string> = {
  INVITED: "Invited",
  PENDING_APPROVAL: "Pending approval",
  ACTIVE: "Active",
  DISABLED: "Disabled",
};

export const INVITATION_STATUS_LABELS: Record<InvitationStatus, string> = {
  PENDING_APPROVAL: "Waiting for approval",
  SENT: "Sent",
  ACCEPTED: "Accepted",
  REJECTED: "Rejected",
  REVOKED: "Revoked",
};

export const THEME_LABELS: Record<ThemePreference, string> = {
  SYSTEM: "Same as my device",
  LIGHT: "Light",
  DARK: "Dark",
};

const dateTimeFormat = new Intl.DateTimeFormat("en-GB", {
  dateStyle: "medium",
  timeStyle: "short",
  timeZone: "UTC",
});

/** "23 Nov 2026, 19:03 UTC", or the fallback when there is no date. */
export function formatDateTime(value: Date | null | undefined, fallback = "Never"): string {
  return value ? `${dateTimeFormat.format(value)} UTC` : fallback;
}

/** A machine-readable timestamp for <time datetime>. */
export function isoDateTime(value: Date | null | undefined): string | null {
  return value ? value.toISOString() : null;
}

/** The roles a form offers the viewer (those they may give), lowest first; `isCurrent` marks `currentRole`. */
export function roleOptionsFor(viewer: Actor, currentRole?: StaffRole) {
  return STAFF_ROLES.filter((role) => canInvite(viewer, role)).map((role) => ({
    value: role,
    label: ROLE_LABELS[role],
    isCurrent: role === currentRole,
  }));
}
