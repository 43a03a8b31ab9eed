// The planned-maintenance banner every page's layout shows (views/partials/maintenance-banner.njk), and
// the sentence the read-only refusal page and JSON answer say. Times are UTC, as everywhere else.
import { expectedEnd, type MaintenanceSettings, maintenancePhase } from "../domain/maintenance.js";
import { formatDateTime } from "./staff.js";

export interface MaintenanceBanner {
  isReadOnly: boolean;
  title: string;
  /** The sentence that says when and what; plain text (the template escapes it). */
  text: string;
  /** The operator's MAINTENANCE_NOTE, or null. */
  note: string | null;
}

/** The banner for this moment, or null when there is nothing to say. */
export function presentMaintenanceBanner(settings: MaintenanceSettings, now: Date): MaintenanceBanner | null {
  const phase = maintenancePhase(settings, now);
  if (phase === "none") return null;
  if (phase === "read-only") {
    return {
      isReadOnly: true,
      title: "Maintenance under way",
      text: `${readOnlySentence(settings, now)} You can read pages, but forms cannot be sent until then.`,
      note: settings.note,
    };
  }
  // "announced" always has a window.
  const window = settings.window as { from: Date; until: Date };
  return {
    isReadOnly: false,
    title: "Planned maintenance",
    text: `Planned maintenance on ${formatDateTime(window.from)} for about ${formatDuration(window.until.getTime() - window.from.getTime())}: the portal will be read-only.`,
    note: settings.note,
  };
}

/** "The portal is read-only for maintenance until about 23 Nov 2026, 21:00 UTC." (or "for now."). */
export function readOnlySentence(settings: MaintenanceSettings, now: Date): string {
  const end = expectedEnd(settings, now);
  return end
    ? `The portal is read-only for maintenance until about ${formatDateTime(end)}.`
    : "The portal is read-only for maintenance for now.";
}

/** "45 minutes", "1 hour", "2 hours and 30 minutes", "3 days" (rounded to the minute). */
export function formatDuration(milliseconds: number): string {
  const totalMinutes = Math.max(1, Math.round(milliseconds / 60_000));
  const days = Math.floor(totalMinutes / (24 * 60));
  const hours = Math.floor((totalMinutes % (24 * 60)) / 60);
  const minutes = totalMinutes % 60;
  const parts = [
    [days, "day"],
    [hours, "hour"],
    [minutes, "minute"],
  ]
    .filter(([count]) => count !== 0)
    .map(([count, unit]) => `${count} ${unit}${count === 1 ? "" : "s"}`);
  return parts.length > 1 ? `${parts.slice(0, -1).join(", ")} and ${parts.at(-1)}` : (parts[0] ?? "");
}
