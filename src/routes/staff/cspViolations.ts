// The CSP violations page (server admins and up): what browsers reported to /csp-report, grouped by
// directive and blocked URL, filtered by an optional range of UTC dates from the query string.
import Router from "@koa/router";
import type { Context } from "koa";
import { z } from "zod";
import type { AppDependencies } from "../../appDependencies.js";
import { signedInStaff } from "../../middleware/requireStaff.js";
import { authorize, canViewCspViolations } from "../../policies/staff.js";
import { type CspViolationGroupView, presentCspViolationGroup } from "../../presenters/cspViolations.js";
import {
  CSP_VIOLATION_GROUP_LIMIT,
  findCspViolationGroups,
  type TCspViolationFilter,
} from "../../queries/cspViolations.js";
import { urls } from "../../urls.js";
import { fieldErrors, queryFields } from "../toolkit/forms.js";
import { checkDateRange, dateRangeBounds, ZOptionalIsoDate } from "./dateRangeFilter.js";

export const ZCspViolationFilter = z
  .object({ from: ZOptionalIsoDate, to: ZOptionalIsoDate })
  .superRefine(checkDateRange);
export type TCspViolationPageFilter = z.infer<typeof ZCspViolationFilter>;

function toQueryFilter(filter: TCspViolationPageFilter): TCspViolationFilter {
  return dateRangeBounds(filter);
}

export function cspViolationRoutes(deps: AppDependencies): Router {
  const router = new Router();

  async function renderPage(
    ctx: Context,
    page: {
      values: TCspViolationPageFilter;
      errors: Record<string, string>;
      groups?: CspViolationGroupView[];
      isTruncated?: boolean;
    },
  ): Promise<void> {
    await ctx.render("staff/csp/index.njk", {
      values: page.values,
      errors: page.errors,
      groups: page.groups ?? [],
      isTruncated: page.isTruncated ?? false,
      groupLimit: CSP_VIOLATION_GROUP_LIMIT,
      links: { page: urls.staffCspViolations(), staffHome: urls.staffHome() },
    });
  }

  // Mounted under /staff.
  router.get("/csp-violations", async (ctx) => {
    authorize(canViewCspViolations(signedInStaff(ctx)));
    const typed = queryFields(ctx, ["from", "to"]);
    const parsed = ZCspViolationFilter.safeParse(typed);
    if (!parsed.success) {
      await renderPage(ctx, { values: typed, errors: fieldErrors(parsed.error) });
      // Rendering sets 200; the filter could not be used.
      ctx.status = 400;
      return;
    }
    const { groups, isTruncated } = await findCspViolationGroups(deps.db, toQueryFilter(parsed.data));
    await renderPage(ctx, {
      values: parsed.data,
      errors: {},
      groups: groups.map((group) => presentCspViolationGroup(group, ctx.state.translator)),
      isTruncated,
    });
  });

  return router;
}
