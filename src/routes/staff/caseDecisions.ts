// Placeholder — H3: POST /cases/:id/decision
import Router from "@koa/router";
import type { AppDependencies } from "../../app.js";

export function caseDecisionRoutes(_deps: AppDependencies): Router {
  return new Router();
}
