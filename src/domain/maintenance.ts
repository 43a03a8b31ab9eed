// Planned maintenance: a window announced in advance, and a read-only switch for while the
// work runs. The two are separate on purpose. The window (MAINTENANCE_FROM, MAINTENANCE_UNTIL) is what
// people are told; the switch (MAINTENANCE_READ_ONLY) is what the portal does. Work starts when the
// operator starts it and ends when they have checked it: a portal that turned read-only by the clock
// would refuse people's forms after a migration finished early, or take them while one overran.

/** What config.ts makes of the MAINTENANCE_* settings. */
export interface MaintenanceSettings {
  /** The announced window; null: nothing announced. */
  window: { from: Date; until: Date } | null;
  /** The banner shows from this long before `window.from` until `window.until`. */
  announceMs: number;
  /** One line of plain text the operator adds to the banner (isOneLineText); null: none. */
  note: string | null;
  /** Every state-changing request is refused with 503 (middleware/readOnlyMaintenance.ts). */
  isReadOnly: boolean;
}

/**
 * What people are told now: nothing; "announced" (the window is coming, or has begun while the portal
 * still takes forms); or "read-only" (the switch is on, whatever the clock says).
 */
export type MaintenancePhase = "none" | "announced" | "read-only";

export function maintenancePhase(settings: MaintenanceSettings, now: Date): MaintenancePhase {
  if (settings.isReadOnly) return "read-only";
  const window = settings.window;
  if (!window) return "none";
  const isAnnounced =
    now.getTime() >= window.from.getTime() - settings.announceMs && now.getTime() < window.until.getTime();
  return isAnnounced ? "announced" : "none";
}

/** When a refused request may be tried again when the window's end is unknown or already past. */
export const READ_ONLY_RETRY_AFTER_SECONDS = 300;

/** Retry-After for a refused write: until the announced end, or a few minutes when it has passed. */
export function readOnlyRetryAfterSeconds(settings: MaintenanceSettings, now: Date): number {
  const untilMs = settings.window ? settings.window.until.getTime() - now.getTime() : 0;
  return untilMs > 0 ? Math.ceil(untilMs / 1000) : READ_ONLY_RETRY_AFTER_SECONDS;
}

/** The announced end while it is still ahead, else null ("until the work is done"). */
export function expectedEnd(settings: MaintenanceSettings, now: Date): Date | null {
  const until = settings.window?.until;
  return until && until.getTime() > now.getTime() ? until : null;
}
