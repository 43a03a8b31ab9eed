// The staff case queue (views/staff/cases/index.njk): tabs with their counts, the search and filters
// with their choices, a page of rows, and the links between pages. Every filter lives in the address, so
// a view can be bookmarked and shared; links keep the filters and leave defaults out.
import { CASE_STATES, type CaseState } from "../domain/caseStates.js";
import { englishTranslator, type Translator } from "../i18n/translator.js";
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
import {
  erasedName,
  presentQueueRow,
  RECOMMENDATIONS,
  recommendationLabel,
  recommendationOptions,
  stateLabel,
  stateOptions,
} from "./cases.js";

const tabLabel = (translator: Translator, tab: TCaseQueueTab) => translator.t(`staff.cases.queue.tab.${tab}`);
const sortLabel = (translator: Translator, sort: TCaseQueueSort) =>
  translator.t(`staff.cases.queue.sort.${sort}`);

/** A person as the queue's choices name them: "(you)", "(disabled)". */
function personLabel(
  translator: Translator,
  person: { id: string; name: string; status?: string },
  viewer: { id: string },
): string {
  const isYou = person.id === viewer.id;
  const isDisabled = person.status === "DISABLED";
  if (isYou && isDisabled) return translator.t("staff.cases.queue.personYouDisabled", { name: person.name });
  if (isYou) return translator.t("staff.cases.queue.personYou", { name: person.name });
  if (isDisabled) return translator.t("staff.cases.queue.personDisabled", { name: person.name });
  return person.name;
}

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
  translator: Translator,
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
      label: tabLabel(translator, tab),
      count: view.counts?.[tab] ?? null,
      // A tab keeps the search and filters, and starts at its first page.
      url: urls.staffCases(caseQueueQuery({ ...validValues, tab, after: "" })),
      isCurrent: tab === currentTab,
    })),
    stateOptions: stateOptions(CASE_STATES, translator),
    assigneeOptions: people.map((person) => ({
      value: person.id,
      label: personLabel(translator, person, staff),
    })),
    recommendationOptions: recommendationOptions(translator),
    scoreOptions: ["1", "2", "3", "4", "5"],
    sortOptions: CASE_QUEUE_SORTS.map((value) => ({ value, label: sortLabel(translator, value) })),
    activeFilters: presentActiveFilters(validValues, people, translator),
    // A case opened from here carries this view, for its "previous" and "next" links.
    rows: page
      ? page.rows.map((row) => ({
          ...presentQueueRow(row, translator),
          url: urls.staffCaseInView(row.id, caseQueueQuery({ ...validValues, after: "" })),
        }))
      : [],
    erasedName: erasedName(translator),
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
          label: personLabel(translator, { id: person.id, name: person.name }, staff),
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
  translator: Translator = englishTranslator(),
): { label: string; value: string }[] {
  const active: { label: string; value: string }[] = [];
  const add = (label: string, value: string | undefined) => {
    if (value) active.push({ label: translator.t(`staff.cases.queue.active.${label}`), value });
  };
  const yes = translator.t("staff.cases.queue.active.yes");
  add(
    "search",
    values.q ? translator.t("staff.cases.queue.active.searchValue", { query: values.q }) : undefined,
  );
  add(
    "state",
    values.state && (CASE_STATES as readonly string[]).includes(values.state)
      ? stateLabel(translator, values.state as CaseState)
      : undefined,
  );
  add(
    "assignee",
    values.assignee === "unassigned"
      ? translator.t("staff.cases.queue.active.nobody")
      : values.assignee
        ? (people.find((person) => person.id === values.assignee)?.name ??
          translator.t("staff.cases.queue.active.unknownPerson"))
        : undefined,
  );
  add(
    "recommendation",
    values.recommendation && (RECOMMENDATIONS as readonly string[]).includes(values.recommendation)
      ? recommendationLabel(translator, values.recommendation as (typeof RECOMMENDATIONS)[number])
      : undefined,
  );
  add("score", values.score);
  add("from", values.from);
  add("to", values.to);
  add("duplicate", values.duplicate === "yes" ? yes : undefined);
  add("matrixVerified", values.matrixVerified === "yes" ? yes : undefined);
  if (
    values.sort &&
    (CASE_QUEUE_SORTS as readonly string[]).includes(values.sort) &&
    values.sort !== "waiting"
  )
    add("sort", sortLabel(translator, values.sort as TCaseQueueSort));
  return active;
}
