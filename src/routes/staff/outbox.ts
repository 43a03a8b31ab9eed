// The outbox page: messages, retry, cancel, test message.
import Router from "@koa/router";
import type { AppDependencies } from "../../app.js";

export function outboxRoutes(_deps: AppDependencies): Router {
  const router = new Router();
  return router;
}
