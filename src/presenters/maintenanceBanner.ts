// The planned-maintenance banner every page's layout shows (views/partials/maintenance-banner.njk), and
// the sentence the read-only refusal page and JSON answer say, in the page's language (English for staff
// pages). Times are UTC, as everywhere else.
import { expectedEnd, type MaintenanceSettings, maintenancePhase } from "../domain/maintenance.js";
import { englishTranslator, type Translator } from "../i18n/translator.js";

export interface MaintenanceBanner {
  isReadOnly: boolean;
  title: string;
  /** The sentence that says when and what; plain text (the template escapes it). */
  text: string;
  /** The operator's MAINTENANCE_NOTE, or null (the operator's own words, as written). */
  note: string | null;
}

/** The banner for this moment, or null when there is nothing to say. */
export function presentMaintenanceBanner(
  settings: MaintenanceSettings,
  now: Date,
  translator: Translator = englishTranslator(),
): MaintenanceBanner | null {
  const phase = maintenancePhase(settings, now);
  if (phase === "none") return null;
  const { t } = translator;
  if (phase === "read-only") {
    return {
      isReadOnly: true,
      title: t("maintenance.banner.readOnlyTitle"),
      text: `${readOnlySentence(settings, now, translator)} ${t("maintenance.banner.readOnlyText")}`,
      note: settings.note,
    };
  }
  // "announced" always has a window.
  const window = settings.window as { from: Date; until: Date };
  return {
    isReadOnly: false,
    title: t("maintenance.banner.announcedTitle"),
    text: t("maintenance.banner.announcedText", {
      from: translator.dateTime(window.from),
      duration: formatDuration(window.until.getTime() - window.from.getTime(), translator),
    }),
    note: settings.note,
  };
}

/** "The portal is read-only for maintenance until about 23 November 2026 at 21:00 UTC." (or "for now."). */
export function readOnlySentence(
  settings: MaintenanceSettings,
  now: Date,
  translator: Translator = englishTranslator(),
): string {
  const end = expectedEnd(settings, now);
  return end
    ? translator.t("maintenance.readOnlyUntil", { until: translator.dateTime(end) })
    : translator.t("maintenance.readOnlyForNow");
}

/** "45 minutes", "1 hour", "2 hours and 30 minutes", "3 days" (rounded to the minute), in the language. */
export function formatDuration(milliseconds: number, translator: Translator = englishTranslator()): string {
  const totalMinutes = Math.max(1, Math.round(milliseconds / 60_000));
  const counts = {
    days: Math.floor(totalMinutes / (24 * 60)),
    hours: Math.floor((totalMinutes % (24 * 60)) / 60),
    minutes: totalMinutes % 60,
  };
  const parts = (Object.keys(counts) as (keyof typeof counts)[])
    .filter((unit) => counts[unit] !== 0)
    .map((unit) => translator.t(`units.${unit}`, { count: counts[unit] }));
  // The catalog joins the last two ("2 hours and 30 minutes"), so that every word is the language's own.
  if (parts.length < 2) return parts[0] ?? "";
  return translator.t("units.andList", { first: parts.slice(0, -1).join(", "), last: parts.at(-1) });
}
