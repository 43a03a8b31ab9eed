// Placeholder — H1: /apply/confirm/:token, /apply/sign-in/:token, /apply/invitation/:token
import Router from "@koa/router";
import type { AppDependencies } from "../../app.js";

export function applicantLinkRoutes(_deps: AppDependencies): Router {
  return new Router();
}
