// A vetting record's rule on dates, shared by its form's validation (routes/staff/cases.ts) and the pages
// that offer the form (the date field's max, presenters/cases.ts).

/**
 * The latest day that is not in the future anywhere: an agent in UTC+14 may record "today" before UTC
 * has reached it.
 */
export function latestAllowedDay(now = new Date()): string {
  return new Date(now.getTime() + 14 * 60 * 60 * 1000).toISOString().slice(0, 10);
}
