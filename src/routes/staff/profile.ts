// Each person's own account: password, authenticator, recovery codes, sessions, theme.
import Router from "@koa/router";
import type { AppDependencies } from "../../app.js";

export function profileRoutes(_deps: AppDependencies): Router {
  const router = new Router();
  return router;
}
