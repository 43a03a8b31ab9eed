// Staff accounts and invitations as the pages show them: labels instead of enum names (the catalog's
// `staff.role.*`, `staff.status.*`, `staff.invitationStatus.*`, `staff.theme.*`), dates as text.
import type { StaffRole } from "../generated/prisma/client.js";
import type { Translator } from "../i18n/translator.js";
import { type Actor, canInvite, ROLE_LABELS, STAFF_ROLES } from "../policies/staff.js";

export { ROLE_LABELS };

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
export function roleOptionsFor(viewer: Actor, translator: Translator, currentRole?: StaffRole) {
  return STAFF_ROLES.filter((role) => canInvite(viewer, role)).map((role) => ({
    value: role,
    label: translator.t(`staff.role.${role}`),
    isCurrent: role === currentRole,
  }));
}
