// The audit log page and its CSV export.
import Router from "@koa/router";
import type { AppDependencies } from "../../app.js";

export function auditLogRoutes(_deps: AppDependencies): Router {
  const router = new Router();
  return router;
}
