import Router from "@koa/router";
import { urls } from "../../urls.js";

export function publicRoutes(): Router {
  const router = new Router();

  router.get("/", async (ctx) => {
    await ctx.render("public/home.njk");
  });

  // Applying is the next feature; until it exists its address says so plainly.
  router.get(urls.apply(), async (ctx) => {
    await ctx.render("public/coming-soon.njk", {
      heading: "Applications are not open yet",
      text: "The application form is being prepared. Please come back soon.",
    });
  });
  return router;
}
