// Staff accounts and invitations as the pages show them: labels instead of enum names, dates as text.
import type { InvitationStatus, StaffStatus, ThemePreference } from "../generated/prisma/client.js";
import { ROLE_LABELS } from "../policies/staff.js";

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
