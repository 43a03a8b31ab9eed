// The invitation link: choose a password, enrol the authenticator, land signed in.
import Router from "@koa/router";
import type { AppDependencies } from "../../app.js";

export function invitationLinkRoutes(_deps: AppDependencies): Router {
  const router = new Router();
  return router;
}
