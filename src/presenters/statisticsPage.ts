// The statistics page (views/staff/statistics/index.njk) and its CSV downloads, from the rows of
// queries/sql/statistics.ts. Each chart is drawn from the same numbers as the table beside it: the
// presenter computes the geometry (the SVG has no script and no style attribute; its colours are classes
// in static/css/app.css, so both themes apply), the template only places it.
import { CASE_MOVES, type CaseState } from "../domain/caseStates.js";
import { englishTranslator, type Translator } from "../i18n/translator.js";
import {
  type DecisionTimeRow,
  OPEN_OUTCOME,
  type OpenCasesPerStaffRow,
  OUTCOMES,
  type Outcome,
  type WeeklyOutcomeRow,
} from "../queries/sql/statistics.js";

const DAY_MS = 24 * 60 * 60 * 1000;
/** How many colours the stylesheet has for a chart's series (chart__series--0 …); more wrap around. */
const SERIES_CLASSES = 8;

/** The tables offered as CSV, by the name in their address (/staff/statistics/<name>.csv). */
export const STATISTICS_TABLES = ["weekly-outcomes", "decision-times", "open-cases"] as const;
export type StatisticsTable = (typeof STATISTICS_TABLES)[number];

export interface StatisticsRows {
  /** The first and last day of the period (UTC dates, both included). */
  from: string;
  to: string;
  weekly: WeeklyOutcomeRow[];
  decisionTimes: DecisionTimeRow[];
  openCases: OpenCasesPerStaffRow[];
}

const outcomeLabel = (outcome: Outcome, translator: Translator) =>
  translator.t(outcome === OPEN_OUTCOME ? "staff.statistics.stillOpen" : `states.${outcome}`);

const decisionLabel = (state: CaseState | null, translator: Translator) =>
  translator.t(state === null ? "staff.statistics.allDecisions" : `states.${state}`);

/** The Monday (UTC) of the ISO week a date is in, as 2026-03-30. */
export function weekStartOf(isoDate: string): string {
  const date = new Date(`${isoDate}T00:00:00.000Z`);
  const daysSinceMonday = (date.getUTCDay() + 6) % 7;
  return new Date(date.getTime() - daysSinceMonday * DAY_MS).toISOString().slice(0, 10);
}

/** Every week that overlaps the period, oldest first. */
function weeksOf(from: string, to: string): string[] {
  const weeks: string[] = [];
  const last = new Date(`${weekStartOf(to)}T00:00:00.000Z`).getTime();
  for (let time = new Date(`${weekStartOf(from)}T00:00:00.000Z`).getTime(); time <= last; time += 7 * DAY_MS)
    weeks.push(new Date(time).toISOString().slice(0, 10));
  return weeks;
}

/** 3 hours, 30.5 hours, 4.2 days: whole hours under a day, one decimal place beyond. */
export function formatDuration(seconds: number, translator: Translator): string {
  const hours = seconds / 3600;
  const duration = (unit: string, value: number) =>
    translator.t("staff.statistics.duration", { unit, value });
  if (hours < 1) return duration("minutes", Math.round(seconds / 60));
  if (hours < 48) return duration("hours", Number(hours.toFixed(1)));
  return duration("days", Number((hours / 24).toFixed(1)));
}

const hoursOf = (seconds: number) => String(Number((seconds / 3600).toFixed(2)));

/** A round number a little above the largest value, for the chart's scale (1, 2, 5 × 10ⁿ). */
function niceMaximum(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

// The charts' drawing areas, in the viewBox's units (the SVG scales to its column's width).
const WEEKLY = { width: 640, height: 260, left: 40, right: 8, top: 12, bottom: 40 };
const BARS = { width: 640, seriesHeight: 16, rowGap: 10, left: 180, right: 70, top: 8 };

function weeklyChart(
  weeks: { week: string; counts: number[]; total: number }[],
  outcomes: Outcome[],
  translator: Translator,
) {
  const plotWidth = WEEKLY.width - WEEKLY.left - WEEKLY.right;
  const plotHeight = WEEKLY.height - WEEKLY.top - WEEKLY.bottom;
  const maximum = niceMaximum(Math.max(0, ...weeks.map((week) => week.total)));
  const slot = plotWidth / Math.max(1, weeks.length);
  const barWidth = Math.max(2, slot * 0.7);
  const scale = plotHeight / maximum;
  const baseline = WEEKLY.top + plotHeight;
  // Label at most about 8 weeks, so the dates never overlap.
  const labelEvery = Math.max(1, Math.ceil(weeks.length / 8));
  return {
    width: WEEKLY.width,
    height: WEEKLY.height,
    baseline,
    left: WEEKLY.left,
    right: WEEKLY.width - WEEKLY.right,
    ticks: [0, maximum / 2, maximum].map((value) => ({
      label: Number.isInteger(value) ? String(value) : value.toFixed(1),
      y: round(baseline - value * scale),
    })),
    bars: weeks.map((week, index) => {
      const x = WEEKLY.left + index * slot + (slot - barWidth) / 2;
      let top = baseline;
      const segments = week.counts.flatMap((count, outcomeIndex) => {
        if (count === 0) return [];
        const height = count * scale;
        top -= height;
        return [
          {
            x: round(x),
            y: round(top),
            width: round(barWidth),
            height: round(height),
            seriesClass: seriesClass(outcomeIndex),
            title: translator.t("staff.statistics.weekTitle", {
              week: week.week,
              count,
              outcome: outcomeLabel(outcomes[outcomeIndex] as Outcome, translator).toLowerCase(),
            }),
          },
        ];
      });
      return {
        segments,
        label: index % labelEvery === 0 ? week.week.slice(5) : null,
        labelX: round(x + barWidth / 2),
      };
    }),
  };
}

/** Horizontal bars, one row per label, each row one or more series (drawn side by side, thinner). */
function barChart(rows: { label: string; values: { value: number; text: string }[] }[]) {
  const plotWidth = BARS.width - BARS.left - BARS.right;
  const maximum = niceMaximum(Math.max(0, ...rows.flatMap((row) => row.values.map((cell) => cell.value))));
  const seriesCount = Math.max(1, ...rows.map((row) => row.values.length));
  // Each series a bar as tall as its value's text, so the numbers beside them never overlap.
  const barHeight = BARS.seriesHeight;
  const rowHeight = seriesCount * barHeight + BARS.rowGap;
  return {
    width: BARS.width,
    height: BARS.top * 2 + rows.length * rowHeight,
    left: BARS.left,
    rows: rows.map((row, index) => {
      const top = BARS.top + index * rowHeight;
      return {
        // Long names are cut in the chart; the table beside it has them whole.
        label: row.label.length > 24 ? `${row.label.slice(0, 23)}…` : row.label,
        labelY: round(top + (rowHeight - BARS.rowGap) / 2),
        bars: row.values.map((cell, seriesIndex) => {
          const width = (cell.value / maximum) * plotWidth;
          return {
            x: BARS.left,
            y: round(top + seriesIndex * barHeight + 1),
            width: round(width),
            height: round(barHeight - 2),
            seriesClass: seriesClass(seriesIndex),
            text: cell.text,
            textX: round(BARS.left + width + 4),
            textY: round(top + seriesIndex * barHeight + barHeight / 2),
          };
        }),
      };
    }),
  };
}

const round = (value: number) => Math.round(value * 10) / 10;
const seriesClass = (index: number) => `chart__series--${index % SERIES_CLASSES}`;

/** The numbers of the page, as rows of cells: what the tables show and the CSV files hold. */
function tablesOf(rows: StatisticsRows) {
  const outcomes = [...OUTCOMES] as Outcome[];
  const byWeek = new Map<string, Map<Outcome, number>>();
  for (const row of rows.weekly) {
    const counts = byWeek.get(row.week) ?? new Map<Outcome, number>();
    counts.set(row.outcome, row.count);
    byWeek.set(row.week, counts);
  }
  const weeks = weeksOf(rows.from, rows.to).map((week) => {
    const counts = outcomes.map((outcome) => byWeek.get(week)?.get(outcome) ?? 0);
    return { week, counts, total: counts.reduce((sum, count) => sum + count, 0) };
  });
  const overall = rows.decisionTimes.find((row) => row.state === null) ?? null;
  const approvedState: CaseState = CASE_MOVES.approve.to;
  const approved = rows.decisionTimes.find((row) => row.state === approvedState)?.decided ?? 0;
  return { outcomes, weeks, overall, approved };
}

export function presentStatisticsPage(
  rows: StatisticsRows,
  csvLinks: Record<StatisticsTable, string>,
  translator: Translator,
) {
  const { outcomes, weeks, overall, approved } = tablesOf(rows);
  const decisionRows = rows.decisionTimes.map((row) => ({
    label: decisionLabel(row.state, translator),
    decided: row.decided,
    median: formatDuration(row.medianSeconds, translator),
    percentile90: formatDuration(row.percentile90Seconds, translator),
    medianSeconds: row.medianSeconds,
    percentile90Seconds: row.percentile90Seconds,
  }));
  const openCaseRows = rows.openCases.map((row) => ({
    name: row.name ?? translator.t("staff.statistics.unassigned"),
    isUnassigned: row.staffUserId === null,
    openCases: row.openCases,
  }));
  return {
    period: { from: rows.from, to: rows.to },
    csv: csvLinks,
    summary: {
      submitted: weeks.reduce((sum, week) => sum + week.total, 0),
      decided: overall?.decided ?? 0,
      approvalRate:
        overall && overall.decided > 0 ? `${Math.round((approved / overall.decided) * 100)}%` : null,
      approved,
      median: overall ? formatDuration(overall.medianSeconds, translator) : null,
      percentile90: overall ? formatDuration(overall.percentile90Seconds, translator) : null,
    },
    weekly: {
      outcomes: outcomes.map((outcome, index) => ({
        label: outcomeLabel(outcome, translator),
        seriesClass: seriesClass(index),
      })),
      rows: weeks,
      chart: weeklyChart(weeks, outcomes, translator),
    },
    decisionTimes: {
      rows: decisionRows,
      chart: barChart(
        decisionRows.map((row) => ({
          label: row.label,
          values: [
            { value: row.medianSeconds, text: row.median },
            { value: row.percentile90Seconds, text: row.percentile90 },
          ],
        })),
      ),
    },
    openCases: {
      rows: openCaseRows,
      chart: barChart(
        openCaseRows.map((row) => ({
          label: row.name,
          values: [{ value: row.openCases, text: String(row.openCases) }],
        })),
      ),
    },
  };
}

/**
 * One table as CSV rows (the header first), for csvLine (presenters/auditEvents.ts). The headers are in
 * English, like the audit log's: a file's columns stay the same whoever downloads it.
 */
export function statisticsCsvRows(table: StatisticsTable, rows: StatisticsRows): string[][] {
  const { outcomes, weeks } = tablesOf(rows);
  const english = englishTranslator();
  switch (table) {
    case "weekly-outcomes":
      return [
        [
          english.t("staff.statistics.csv.weekStarting"),
          ...outcomes.map((outcome) => outcomeLabel(outcome, english)),
          english.t("staff.statistics.csv.total"),
        ],
        ...weeks.map((week) => [week.week, ...week.counts.map(String), String(week.total)]),
      ];
    case "decision-times":
      return [
        [
          english.t("staff.statistics.csv.outcome"),
          english.t("staff.statistics.csv.decided"),
          english.t("staff.statistics.csv.medianHours"),
          english.t("staff.statistics.csv.percentile90Hours"),
        ],
        ...rows.decisionTimes.map((row) => [
          decisionLabel(row.state, english),
          String(row.decided),
          hoursOf(row.medianSeconds),
          hoursOf(row.percentile90Seconds),
        ]),
      ];
    case "open-cases":
      return [
        [english.t("staff.statistics.csv.staffMember"), english.t("staff.statistics.csv.openCases")],
        ...rows.openCases.map((row) => [
          row.name ?? english.t("staff.statistics.unassigned"),
          String(row.openCases),
        ]),
      ];
  }
}
