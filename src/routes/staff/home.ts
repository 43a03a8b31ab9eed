// The staff home page: who is signed in, the places their role opens, and their dashboard. Everyone
// sees the open cases assigned to them and recent activity on those cases; admins also see the queue
// as a whole: counts by state, the cases waiting longest for a decision, and recent decisions.
import Router from "@koa/router";
import type { AppDependencies } from "../../appDependencies.js";
import { signedInStaff } from "../../middleware/requireStaff.js";
import { canViewCaseOverview } from "../../policies/cases.js";
import { canListRegistrationTokens } from "../../policies/registrationTokens.js";
import {
  canManageOutbox,
  canViewAuditLog,
  canViewCspViolations,
  canViewInvitations,
  canViewStaffList,
  ROLE_LABELS,
} from "../../policies/staff.js";
import {
  presentCaseActivity,
  presentRecentDecision,
  presentStateCounts,
  presentWaitingCase,
} from "../../presenters/dashboard.js";
import {
  countCasesByState,
  findActivityOnAssignedCases,
  findAssignedOpenCases,
  findCasesWaitingLongestForDecision,
  findRecentDecisions,
} from "../../queries/dashboard.js";
import { urls } from "../../urls.js";

export function staffHomeRoutes(deps: AppDependencies): Router {
  const router = new Router();

  // Mounted under /staff: this is /staff itself.
  router.get("/", async (ctx) => {
    const staff = signedInStaff(ctx);
    const now = new Date();
    const isAdmin = canViewCaseOverview(staff);
    const [assigned, activity, overview] = await Promise.all([
      findAssignedOpenCases(deps.db, staff.id),
      findActivityOnAssignedCases(deps.db, staff.id),
      isAdmin
        ? Promise.all([
            countCasesByState(deps.db),
            findCasesWaitingLongestForDecision(deps.db),
            findRecentDecisions(deps.db),
          ])
        : null,
    ]);
    await ctx.render("staff/home.njk", {
      roleLabel: ROLE_LABELS[staff.role],
      can: {
        viewStaffList: canViewStaffList(staff),
        invite: canViewInvitations(staff),
        viewAuditLog: canViewAuditLog(staff),
        manageOutbox: canManageOutbox(staff),
        viewCspViolations: canViewCspViolations(staff),
        listRegistrationTokens: canListRegistrationTokens(staff),
        viewCaseOverview: isAdmin,
      },
      links: { queue: urls.staffCases(), cspViolations: urls.staffCspViolations() },
      assignedCases: assigned.map((row) => presentWaitingCase(row, now)),
      recentActivity: activity.map(presentCaseActivity),
      overview: overview && {
        stateCounts: presentStateCounts(overview[0]),
        waitingLongest: overview[1].map((row) => presentWaitingCase(row, now)),
        recentDecisions: overview[2].map(presentRecentDecision),
      },
    });
  });

  return router;
}
