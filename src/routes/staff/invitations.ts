// Inviting staff and deciding invitations (four eyes).
import Router from "@koa/router";
import type { AppDependencies } from "../../app.js";

export function invitationRoutes(_deps: AppDependencies): Router {
  const router = new Router();
  return router;
}
