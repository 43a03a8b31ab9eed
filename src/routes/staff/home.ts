// The staff home page: who is signed in, the places their role opens, and their dashboard. Everyone
// sees the open cases assigned to them and recent activity on those cases; admins also see the queue
// as a whole: counts by state, the cases waiting longest for a decision, and recent decisions.
import Router from "@koa/router";
import type { AppDependencies } from "../../appDependencies.js";
import { signedInStaff } from "../../middleware/requireStaff.js";
import { canViewCaseOverview } from "../../policies/cases.js";
import { presentStaffHomePage } from "../../presenters/staffHomePage.js";
import {
  countCasesByState,
  findActivityOnAssignedCases,
  findAssignedOpenCases,
  findCasesWaitingLongestForDecision,
  findRecentDecisions,
} from "../../queries/dashboard.js";

export function staffHomeRoutes(deps: AppDependencies): Router {
  const router = new Router();

  // Mounted under /staff: this is /staff itself.
  router.get("/", async (ctx) => {
    const staff = signedInStaff(ctx);
    const now = new Date();
    const [assigned, activity, overview] = await Promise.all([
      findAssignedOpenCases(deps.db, staff.id),
      findActivityOnAssignedCases(deps.db, staff.id),
      canViewCaseOverview(staff)
        ? Promise.all([
            countCasesByState(deps.db),
            findCasesWaitingLongestForDecision(deps.db),
            findRecentDecisions(deps.db),
          ]).then(([stateCounts, waitingLongest, recentDecisions]) => ({
            stateCounts,
            waitingLongest,
            recentDecisions,
          }))
        : null,
    ]);
    await ctx.render(
      "staff/home.njk",
      presentStaffHomePage(staff, { assigned, activity, overview }, now, ctx.state.translator),
    );
  });

  return router;
}
