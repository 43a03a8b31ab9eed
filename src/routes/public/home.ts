import Router from "@koa/router";
import type { AppDependencies } from "../../appDependencies.js";

export function publicRoutes(_deps: AppDependencies): Router {
  const router = new Router();

  router.get("/", async (ctx) => {
    await ctx.render("public/home.njk");
  });
  return router;
}
