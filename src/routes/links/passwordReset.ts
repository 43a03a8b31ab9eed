// The password reset link (GET shows the form, POST sets the password).
import Router from "@koa/router";
import type { AppDependencies } from "../../app.js";

export function passwordResetLinkRoutes(_deps: AppDependencies): Router {
  const router = new Router();
  return router;
}
