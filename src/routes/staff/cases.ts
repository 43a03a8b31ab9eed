// Placeholder — H2: queue, case page, new case, assign, start review, vetting records, comments, invite
import Router from "@koa/router";
import type { AppDependencies } from "../../app.js";

export function caseRoutes(_deps: AppDependencies): Router {
  return new Router();
}
