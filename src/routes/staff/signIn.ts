// Sign-in, second factor, sign-out, password reset request.
import Router from "@koa/router";
import type { AppDependencies } from "../../app.js";

export function signInRoutes(_deps: AppDependencies): Router {
  const router = new Router();
  router.get("/staff/sign-in", async (ctx) => {
    await ctx.render("public/coming-soon.njk", {
      heading: "Staff sign-in is not open yet",
      text: "Staff accounts are being set up. Sign-in will be available here.",
    });
  });
  return router;
}
