// The queue's bulk actions: the confirmation page (views/staff/cases/bulk-confirm.njk) listing every
// selected case with its state and assignee and whether the action changes it (or why not), the page
// that says what was done (bulk-done.njk), and the rows of the CSV export.
import { BULK_CASE_LIMIT, type BulkOutcome, type TBulkCaseAction } from "../commands/cases/bulkCases.js";
import { formatCaseNumber } from "../domain/caseNumber.js";
import { englishTranslator, type Translator } from "../i18n/translator.js";
import type { CaseQueueRow } from "../queries/sql/caseQueue.js";
import { urls } from "../urls.js";
import { erasedName, presentQueueRow, recommendationLabel, stateLabel } from "./cases.js";

export interface BulkConfirmationInput {
  action: TBulkCaseAction;
  /** The queue view the selection was made in (its query string), for the links back to it. */
  from: string;
  /** "selected": the ticked rows; "view": every case the view matches. */
  scope: "selected" | "view";
  rows: readonly CaseQueueRow[];
  /** Why each case is left out, by case id (cases not in it take the action). */
  skipReasons: ReadonlyMap<string, string>;
  assignee?: { id: string; name: string } | null;
  /**
   * A problem with the whole request (nothing selected, too many cases, an inactive assignee): a catalog
   * id, or text.
   */
  problem?: string | null;
  reasonForm?: { values: Record<string, string>; errors: Record<string, string> };
  translator: Translator;
}

export function bulkConfirmationModel(input: BulkConfirmationInput) {
  const { translator } = input;
  const rows = input.rows.map((row) => {
    const shown = presentQueueRow(row, translator);
    const reason = input.skipReasons.get(row.id) ?? null;
    return {
      ...shown,
      url: urls.staffCaseInView(row.id, input.from),
      isSkipped: reason !== null,
      reason: reason === null ? null : translator.message(reason),
    };
  });
  const changing = rows.filter((row) => !row.isSkipped);
  const title = translator.t(`staff.cases.bulk.title.${input.action}`);
  const errors = input.reasonForm?.errors ?? {};
  return {
    action: input.action,
    title,
    hasErrors: Object.keys(errors).length > 0,
    problem: input.problem ? translator.message(input.problem, { limit: BULK_CASE_LIMIT }) : null,
    scope: input.scope,
    rows,
    changeCount: changing.length,
    skipCount: rows.length - changing.length,
    assignee: input.assignee ?? null,
    // One field, not one per case: the body parser takes at most 100 fields, a selection up to 500 cases.
    caseIds: changing.map((row) => row.id).join(" "),
    from: input.from,
    values: input.reasonForm?.values ?? {},
    errors,
    links: {
      queue: urls.staffCases(input.from),
      act: urls.staffCasesBulkAction(input.action),
    },
  };
}

export function bulkOutcomeModel(input: {
  action: Exclude<TBulkCaseAction, "export">;
  from: string;
  outcome: BulkOutcome;
  assignee?: { name: string } | null;
  translator: Translator;
}) {
  const { translator } = input;
  return {
    title: translator.t(`staff.cases.bulk.doneTitle.${input.action}`),
    action: input.action,
    assignee: input.assignee ?? null,
    done: input.outcome.done.map((row) => ({
      number: formatCaseNumber(row.number),
      url: urls.staffCaseInView(row.id, input.from),
    })),
    skipped: input.outcome.skipped.map((row) => ({
      number: row.number === null ? translator.t("staff.cases.bulk.aCase") : formatCaseNumber(row.number),
      url: row.number === null ? null : urls.staffCaseInView(row.id, input.from),
      reason: translator.message(row.reason),
    })),
    links: { queue: urls.staffCases(input.from) },
  };
}

export const QUEUE_CSV_HEADER = [
  "case",
  "name",
  "state",
  "assigned_to",
  "created_at",
  "submitted_at",
  "last_submitted_at",
  "possible_duplicate",
  "latest_recommendation",
  "latest_score",
];

/**
 * A queue row as CSV cells (for csvLine, which makes each formula-safe): what the queue shows, in
 * English (a file outlives the page's language).
 */
export function queueCsvCells(row: CaseQueueRow): string[] {
  const translator = englishTranslator();
  return [
    formatCaseNumber(row.number),
    row.erasedAt ? erasedName(translator) : row.fullName,
    stateLabel(translator, row.state),
    row.assigneeName ?? "",
    row.createdAt.toISOString(),
    row.submittedAt?.toISOString() ?? "",
    row.lastSubmittedAt?.toISOString() ?? "",
    row.isPossibleDuplicate ? "yes" : "no",
    row.latestRecommendation ? recommendationLabel(translator, row.latestRecommendation) : "",
    row.latestScore === null ? "" : String(row.latestScore),
  ];
}
