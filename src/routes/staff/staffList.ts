// The staff list and the actions on accounts.
import Router from "@koa/router";
import type { AppDependencies } from "../../app.js";

export function staffListRoutes(_deps: AppDependencies): Router {
  const router = new Router();
  return router;
}
