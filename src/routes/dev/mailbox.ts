// Development only (never mounted in production): read what the portal "sent" through the catcher.
import Router from "@koa/router";
import { notFound } from "../../errors.js";
import type { DevMailboxStore } from "../../mail/devMailbox.js";
import { urls } from "../../urls.js";

const URL_IN_TEXT = /(https?:\/\/[^\s<>"]+)/;
const IS_URL = /^https?:\/\//;

export function devMailboxRoutes(store: DevMailboxStore): Router {
  const router = new Router();

  router.get(urls.devMailbox(), async (ctx) => {
    const messages = await store.list();
    await ctx.render("dev/mailbox.njk", {
      messages: messages.map((message) => ({
        ...message,
        date: message.date.toISOString(),
        dateLabel: message.date.toLocaleString("en-GB", { timeZone: "UTC" }),
      })),
    });
  });

  router.post(urls.devMailboxClear(), async (ctx) => {
    await store.clear();
    ctx.status = 303;
    ctx.redirect(urls.devMailbox());
  });

  router.get("/dev/mailbox/:id", async (ctx) => {
    const message = await store.read(ctx.params.id ?? "");
    if (!message) throw notFound("There is no such message in the development mailbox.");
    await ctx.render("dev/message.njk", {
      message: {
        ...message,
        dateLabel: message.date.toLocaleString("en-GB", { timeZone: "UTC" }),
        hasHtml: message.html !== null,
        htmlUrl: urls.devMailboxMessageHtml(message.id),
        // Links in the text part become clickable segments; everything stays escaped by the template.
        textParts: message.text
          .split(URL_IN_TEXT)
          .filter((part) => part !== "")
          .map((part) => (IS_URL.test(part) ? { text: part, href: part } : { text: part })),
      },
    });
  });

  router.get("/dev/mailbox/:id/html", async (ctx) => {
    const message = await store.read(ctx.params.id ?? "");
    if (!message?.html) throw notFound("This message has no HTML version.");
    // The email's own HTML, shown as its own document in a sandbox: no scripts, no same-origin access.
    ctx.set("Content-Security-Policy", "sandbox; default-src 'none'; img-src data:; style-src 'self'");
    ctx.type = "html";
    ctx.body = message.html;
  });

  return router;
}
