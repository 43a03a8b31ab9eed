// Placeholder — H1: the workspace under /application
import Router from "@koa/router";
import type { AppDependencies } from "../../app.js";

export function workspaceRoutes(_deps: AppDependencies): Router {
  return new Router();
}
