// "Previous" and "next" on the case page (views/staff/cases/_case-navigation.njk): the neighbours of the
// case in the queue view it was opened from, whose query string the case's address carries as `from`.
import { formatCaseNumber } from "../domain/caseNumber.js";
import { urls } from "../urls.js";

export interface CaseNavigationModel {
  /** The queue view itself. */
  queue: string | null;
  previous: { url: string; number: string } | null;
  next: { url: string; number: string } | null;
  /** The `from` in the address is not a view the queue accepts: no links, a sentence instead. */
  isDamaged: boolean;
}

export function presentCaseNavigation(
  from: string,
  neighbours: {
    previous: { id: string; number: number } | null;
    next: { id: string; number: number } | null;
  },
): CaseNavigationModel {
  const link = (row: { id: string; number: number } | null) =>
    row ? { url: urls.staffCaseInView(row.id, from), number: formatCaseNumber(row.number) } : null;
  return {
    queue: urls.staffCases(from),
    previous: link(neighbours.previous),
    next: link(neighbours.next),
    isDamaged: false,
  };
}

export const DAMAGED_CASE_NAVIGATION: CaseNavigationModel = {
  queue: null,
  previous: null,
  next: null,
  isDamaged: true,
};
