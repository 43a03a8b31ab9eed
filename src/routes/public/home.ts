import Router from "@koa/router";
import { urls } from "../../urls.js";

export function publicRoutes(): Router {
  const router = new Router();

  router.get("/", async (ctx) => {
    await ctx.render("public/home.njk");
  });

  // Applying and staff sign-in are the next features; until they exist their addresses say so plainly.
  router.get(urls.apply(), async (ctx) => {
    await ctx.render("public/coming-soon.njk", {
      heading: "Applications are not open yet",
      text: "The application form is being prepared. Please come back soon.",
    });
  });
  router.get(urls.staffSignIn(), async (ctx) => {
    await ctx.render("public/coming-soon.njk", {
      heading: "Staff sign-in is not open yet",
      text: "Staff accounts are being set up. Sign-in will be available here.",
    });
  });

  return router;
}
