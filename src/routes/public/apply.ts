// Placeholder — H1 (applicant side): GET/POST /apply, /apply/sent, GET/POST /apply/sign-in, /apply/sign-in/sent, GET /privacy
import Router from "@koa/router";
import type { AppDependencies } from "../../app.js";

export function applyRoutes(_deps: AppDependencies): Router {
  return new Router();
}
