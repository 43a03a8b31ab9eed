// The staff case queue (views/staff/cases/index.njk): tabs with their counts, the search and filters
// with their choices, a page of rows, and the links between pages. Every filter lives in the address, so
// a view can be bookmarked and shared; links keep the filters and leave defaults out.
import { CASE_STATE_LABELS, CASE_STATES, type CaseState } from "../domain/caseStates.js";
import { canCloseCases, canOpenCase } from "../policies/cases.js";
import {
  CASE_QUEUE_SORTS,
  CASE_QUEUE_TABS,
  type TCaseQueueSort,
  type TCaseQueueTab,
} from "../queries/cases.js";
import type { CaseQueueRow, findStaffForAssigneeFilter } from "../queries/sql/caseQueue.js";
import type { SignedInStaff } from "../sessions.js";
import { urls } from "../urls.js";
import { ERASED_NAME, presentQueueRow, RECOMMENDATION_LABELS, stateOptions } from "./cases.js";

const TAB_LABELS: Record<TCaseQueueTab, string> = {
  all: "All cases",
  submitted: "Submitted",
  in_review: "In review",
  more_information: "More information requested",
  decided: "Decided",
  assigned: "Assigned to me",
};

const SORT_LABELS: Record<TCaseQueueSort, string> = {
  waiting: "Waiting longest",
  newest: "Newest",
  name: "Name (A to Z)",
};

/** The queue's query-string parameters (besides `after`, the keyset cursor of a later page). */
export const CASE_QUEUE_PARAMS = [
  "tab",
  "q",
  "state",
  "assignee",
  "recommendation",
  "score",
  "from",
  "to",
  "duplicate",
  "matrixVerified",
  "sort",
] as const;
export type CaseQueueParam = (typeof CASE_QUEUE_PARAMS)[number];

/** The query string of a queue view; defaults are left out so shared links stay short. */
export function caseQueueQuery(values: Partial<Record<CaseQueueParam | "after", string>>): string {
  const query = new URLSearchParams();
  for (const param of [...CASE_QUEUE_PARAMS, "after"] as const) {
    const value = values[param];
    if (!value) continue;
    if (param === "tab" && value === "all") continue;
    if (param === "sort" && value === "waiting") continue;
    query.set(param, value);
  }
  return query.toString();
}

/** What the queue shows: the query as typed (with its mistakes), or a page of rows and the tabs' counts. */
export interface CaseQueueView {
  values: Record<string, string>;
  errors: Record<string, string>;
  page?: {
    rows: readonly CaseQueueRow[];
    /** The cursor of the next page, when there is one. */
    next: string | null;
    isFirstPage: boolean;
  };
  counts?: Record<TCaseQueueTab, number>;
}

/**
 * The queue page's template data. The benchmark's baseline (scripts/bench/bareRender.ts) renders the
 * same page from the same data held in memory.
 */
export function queuePageModel(
  staff: SignedInStaff,
  view: CaseQueueView,
  people: Awaited<ReturnType<typeof findStaffForAssigneeFilter>>,
) {
  const currentTab = CASE_QUEUE_TABS.includes(view.values.tab as TCaseQueueTab) ? view.values.tab : "all";
  // Links out of a page with mistakes leave the mistaken parameters behind.
  const validValues = Object.fromEntries(
    Object.entries(view.values).filter(([param]) => !(param in view.errors)),
  );
  const page = view.page;
  return {
    values: view.values,
    errors: view.errors,
    hasErrors: Object.keys(view.errors).length > 0,
    tabs: CASE_QUEUE_TABS.map((tab) => ({
      key: tab,
      label: TAB_LABELS[tab],
      count: view.counts?.[tab] ?? null,
      // A tab keeps the search and filters, and starts at its first page.
      url: urls.staffCases(caseQueueQuery({ ...validValues, tab, after: "" })),
      isCurrent: tab === currentTab,
    })),
    stateOptions: stateOptions(CASE_STATES),
    assigneeOptions: people.map((person) => ({
      value: person.id,
      label: `${person.name}${person.id === staff.id ? " (you)" : ""}${person.status === "DISABLED" ? " (disabled)" : ""}`,
    })),
    recommendationOptions: Object.entries(RECOMMENDATION_LABELS).map(([value, label]) => ({ value, label })),
    scoreOptions: ["1", "2", "3", "4", "5"],
    sortOptions: CASE_QUEUE_SORTS.map((value) => ({ value, label: SORT_LABELS[value] })),
    activeFilters: presentActiveFilters(validValues, people),
    // A case opened from here carries this view, for its "previous" and "next" links.
    rows: page
      ? page.rows.map((row) => ({
          ...presentQueueRow(row),
          url: urls.staffCaseInView(row.id, caseQueueQuery({ ...validValues, after: "" })),
        }))
      : [],
    erasedName: ERASED_NAME,
    links: {
      page: urls.staffCases(),
      clear: urls.staffCases(caseQueueQuery({ tab: currentTab })),
      newCase: urls.staffCaseNew(),
      next: page?.next ? urls.staffCases(caseQueueQuery({ ...view.values, after: page.next })) : null,
      first: page && !page.isFirstPage ? urls.staffCases(caseQueueQuery(view.values)) : null,
    },
    // The bulk-action bar: it carries the view (for "every case in this view" and the way back).
    bulk: {
      action: urls.staffCasesBulk(),
      viewFields: Object.entries(validValues)
        .filter(([param, value]) => param !== "after" && value !== "")
        .map(([name, value]) => ({ name, value })),
      viewCount: view.counts?.[currentTab as TCaseQueueTab] ?? null,
      assigneeOptions: people
        .filter((person) => person.status === "ACTIVE")
        .map((person) => ({
          value: person.id,
          label: `${person.name}${person.id === staff.id ? " (you)" : ""}`,
        })),
    },
    can: { openCase: canOpenCase(staff), closeCases: canCloseCases(staff) },
  };
}

/**
 * The search and filters in force, as the closed filter panel names them ("State: In review"): the
 * order too when it is not the default, since it sits in the same panel. Mistaken values are left out
 * (the panel is open then, showing them with their messages).
 */
export function presentActiveFilters(
  values: Partial<Record<string, string>>,
  people: readonly { id: string; name: string }[],
): { label: string; value: string }[] {
  const active: { label: string; value: string }[] = [];
  const add = (label: string, value: string | undefined) => {
    if (value) active.push({ label, value });
  };
  add("Search", values.q ? `“${values.q}”` : undefined);
  add("State", values.state ? CASE_STATE_LABELS[values.state as CaseState] : undefined);
  add(
    "Assigned to",
    values.assignee === "unassigned"
      ? "Nobody"
      : values.assignee
        ? (people.find((person) => person.id === values.assignee)?.name ?? "Someone no longer listed")
        : undefined,
  );
  add(
    "Recommendation",
    values.recommendation
      ? RECOMMENDATION_LABELS[values.recommendation as keyof typeof RECOMMENDATION_LABELS]
      : undefined,
  );
  add("Score", values.score);
  add("Submitted from", values.from);
  add("Submitted until", values.to);
  add("Only possible duplicates", values.duplicate === "yes" ? "yes" : undefined);
  add("Only with a verified Matrix ID", values.matrixVerified === "yes" ? "yes" : undefined);
  if (values.sort && values.sort !== "waiting")
    add("Order", SORT_LABELS[values.sort as TCaseQueueSort] ?? undefined);
  return active;
}
