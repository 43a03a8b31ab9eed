// Development only (never mounted in production): read what the portal "sent" through the catcher.
import Router from "@koa/router";
import { notFound } from "../../errors.js";
import type { DevMailboxStore } from "../../mail/devMailbox.js";
import { urls } from "../../urls.js";

const URL_IN_TEXT = /(https?:\/\/[^\s<>"]+)/;
const IS_URL = /^https?:\/\//;

/**
 * The policy of an email's HTML, shown as a mail client shows it: its inline styles (emails are styled
 * inline, views/emails/_layout.html.njk) and data: images, nothing else. Sandboxed without scripts, forms
 * or same-origin access, framed only by our own message page; links may open a tab of their own.
 */
export const DEV_MAILBOX_HTML_CSP = [
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  "img-src data:",
  "form-action 'none'",
  "frame-ancestors 'self'",
  "sandbox allow-popups allow-popups-to-escape-sandbox",
].join("; ");

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
    // The email's own HTML as its own document, in the message page's frame or opened alone.
    ctx.set("Content-Security-Policy", DEV_MAILBOX_HTML_CSP);
    ctx.set("X-Frame-Options", "SAMEORIGIN");
    ctx.type = "html";
    ctx.body = withLinksInNewTab(message.html);
  });

  return router;
}

/**
 * The email's links open in a tab of their own, as in a mail client: followed inside the preview's frame
 * they would open a portal page that refuses to be framed. A <base> goes into the head (or where the
 * parser starts one).
 */
export function withLinksInNewTab(html: string): string {
  const base = '<base target="_blank">';
  const opening = /<head\b[^>]*>/i.exec(html) ?? /^\s*<!doctype[^>]*>/i.exec(html);
  if (!opening) return `${base}${html}`;
  const end = opening.index + opening[0].length;
  return `${html.slice(0, end)}${base}${html.slice(end)}`;
}
