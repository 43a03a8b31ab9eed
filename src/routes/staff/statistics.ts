// The statistics page for admins (policies/cases.ts canViewStatistics). Mounted under /staff.
//   GET /statistics                 the period (from/to, UTC dates) and the page's charts and tables
//   GET /statistics/<table>.csv     one of its tables for the same period
// The downloads are GETs: they read numbers the page already shows and write nothing, so there is no
// audit row to protect (the audit log's export, which writes one, is a POST for that reason).
import Router from "@koa/router";
import type { Context } from "koa";
import { z } from "zod";
import type { AppDependencies } from "../../appDependencies.js";
import { notFound } from "../../errors.js";
import { signedInStaff } from "../../middleware/requireStaff.js";
import { canViewStatistics } from "../../policies/cases.js";
import { authorize } from "../../policies/staff.js";
import { csvLine } from "../../presenters/auditEvents.js";
import {
  presentStatisticsPage,
  STATISTICS_TABLES,
  type StatisticsRows,
  type StatisticsTable,
  statisticsCsvRows,
  weekStartOf,
} from "../../presenters/statisticsPage.js";
import {
  findDecisionTimes,
  findOpenCasesPerStaff,
  findWeeklyOutcomes,
} from "../../queries/sql/statistics.js";
import { urls } from "../../urls.js";
import { fieldErrors, queryFields } from "../toolkit/forms.js";
import { checkDateRange, dateRangeBounds, ZOptionalIsoDate } from "./dateRangeFilter.js";

const DAY_MS = 24 * 60 * 60 * 1000;
/** The default period: the current week and the eleven before it. */
const DEFAULT_WEEKS = 12;
/** A longer period would draw bars too thin to read; the CSV of two periods covers more. */
export const MAX_PERIOD_DAYS = 731;

const FIELDS = ["from", "to"] as const;

export const ZStatisticsPeriod = z
  .object({ from: ZOptionalIsoDate, to: ZOptionalIsoDate })
  .superRefine(checkDateRange)
  .superRefine((period, context) => {
    if (!period.from || !period.to || period.to < period.from) return;
    const days = (Date.parse(period.to) - Date.parse(period.from)) / DAY_MS + 1;
    if (days > MAX_PERIOD_DAYS)
      context.addIssue({
        code: "custom",
        path: ["to"],
        message: "staff.validation.periodTooLong",
      });
  });

const isoDate = (time: number) => new Date(time).toISOString().slice(0, 10);

/** The period asked for, with the defaults filled in: until today, and twelve weeks back from `to`. */
export function resolvePeriod(period: { from: string; to: string }, now: Date): { from: string; to: string } {
  const to = period.to || isoDate(now.getTime());
  const from = period.from || isoDate(Date.parse(weekStartOf(to)) - (DEFAULT_WEEKS - 1) * 7 * DAY_MS);
  return { from, to };
}

export function statisticsRoutes(deps: AppDependencies): Router {
  const router = new Router();

  /** The period of the request, or null when the page with its errors (status 400) was rendered. */
  async function readPeriod(ctx: Context): Promise<{ from: string; to: string } | null> {
    const typed = queryFields(ctx, FIELDS);
    const parsed = ZStatisticsPeriod.safeParse(typed);
    if (parsed.success) {
      const period = resolvePeriod(parsed.data, new Date());
      if (period.to >= period.from) return period;
      // Only "to" given, before the default start? resolvePeriod counts back from `to`, so this is a
      // "from" after a default "to" (today): say so on the field that was typed.
      return renderErrors(ctx, typed, { from: "staff.validation.startInFuture" });
    }
    return renderErrors(ctx, typed, fieldErrors(parsed.error));
  }

  async function renderErrors(
    ctx: Context,
    values: Record<string, string>,
    errors: Record<string, string>,
  ): Promise<null> {
    await ctx.render("staff/statistics/index.njk", {
      values,
      errors,
      links: { page: urls.staffStatistics(), staffHome: urls.staffHome() },
    });
    ctx.status = 400;
    return null;
  }

  /** The rows of the page, or of one table (a download reads only what its table shows). */
  async function loadRows(
    period: { from: string; to: string },
    table: StatisticsTable | null = null,
  ): Promise<StatisticsRows> {
    const bounds = dateRangeBounds(period);
    const range = { from: bounds.from as Date, until: bounds.until as Date };
    const wants = (needed: StatisticsTable[]) => table === null || needed.includes(table);
    const [weekly, decisionTimes, openCases] = await Promise.all([
      wants(["weekly-outcomes"]) ? findWeeklyOutcomes(deps.sqlPool, range) : [],
      wants(["decision-times"]) ? findDecisionTimes(deps.sqlPool, range) : [],
      wants(["open-cases"]) ? findOpenCasesPerStaff(deps.sqlPool) : [],
    ]);
    return { ...period, weekly, decisionTimes, openCases };
  }

  router.get("/statistics", async (ctx) => {
    authorize(canViewStatistics(signedInStaff(ctx)));
    const period = await readPeriod(ctx);
    if (!period) return;
    const query = new URLSearchParams(period).toString();
    const csvLinks = Object.fromEntries(
      STATISTICS_TABLES.map((table) => [table, urls.staffStatisticsCsv(table, query)]),
    ) as Record<StatisticsTable, string>;
    await ctx.render("staff/statistics/index.njk", {
      values: period,
      errors: {},
      links: { page: urls.staffStatistics(), staffHome: urls.staffHome() },
      statistics: presentStatisticsPage(await loadRows(period), csvLinks, ctx.state.translator),
    });
  });

  router.get("/statistics/:table.csv", async (ctx) => {
    authorize(canViewStatistics(signedInStaff(ctx)));
    const table = STATISTICS_TABLES.find((known) => known === ctx.params.table);
    if (!table) throw notFound();
    const period = await readPeriod(ctx);
    if (!period) return;
    const rows = statisticsCsvRows(table, await loadRows(period, table));
    ctx.set("Content-Disposition", `attachment; filename="${table}-${period.from}-to-${period.to}.csv"`);
    ctx.type = "text/csv; charset=utf-8";
    ctx.body = rows.map(csvLine).join("");
  });

  return router;
}
