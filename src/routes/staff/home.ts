// The staff home page: who is signed in, and the places their role opens.
import Router from "@koa/router";
import type { AppDependencies } from "../../app.js";
import {
  canManageOutbox,
  canViewAuditLog,
  canViewStaffList,
  hasRole,
  ROLE_LABELS,
} from "../../policies/staff.js";

export function staffHomeRoutes(_deps: AppDependencies): Router {
  const router = new Router();

  // Mounted under /staff: this is /staff itself.
  router.get("/", async (ctx) => {
    const staff = ctx.state.staff;
    if (!staff) return;
    await ctx.render("staff/home.njk", {
      roleLabel: ROLE_LABELS[staff.role],
      can: {
        viewStaffList: canViewStaffList(staff),
        invite: hasRole(staff, "SERVER_ADMIN"),
        viewAuditLog: canViewAuditLog(staff),
        manageOutbox: canManageOutbox(staff),
      },
    });
  });

  return router;
}
