// Placeholder — H4: export and erase
import Router from "@koa/router";
import type { AppDependencies } from "../../app.js";

export function casePrivacyRoutes(_deps: AppDependencies): Router {
  return new Router();
}
