// The development mailbox shows an email's HTML as a mail client would: in a frame on the message page,
// with the email's inline styles applied, and nothing else allowed (no scripts, forms or requests).
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import nodemailer from "nodemailer";
import { type DevMailboxServer, startDevMailboxServer } from "../../mail/devMailbox.js";
import { startTestApp, type TestApp } from "../../test/app.js";
import { captureLogs } from "../../test/logs.js";
import { urls } from "../../urls.js";
import { DEV_MAILBOX_HTML_CSP, withLinksInNewTab } from "./mailbox.js";

const STYLED_EMAIL = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Confirm</title>
</head>
<body style="margin:0;background-color:#f3f4f6;">
<p style="color:#111827;font-family:Arial,Helvetica,sans-serif;">Open <a href="https://portal.example.org/links/confirm" style="color:#1d4ed8;">this link</a>.</p>
</body>
</html>`;

describe("the development mailbox's HTML view", () => {
  let directory: string;
  let mailbox: DevMailboxServer;
  let app: TestApp;
  let messageId: string;

  before(async () => {
    directory = await mkdtemp(path.join(tmpdir(), "vp-dev-mailbox-"));
    mailbox = await startDevMailboxServer({ directory, port: 0, logger: captureLogs().logger });
    app = await startTestApp({ devMailboxDir: directory });
    const transport = nodemailer.createTransport({ host: "127.0.0.1", port: mailbox.port, ignoreTLS: true });
    try {
      await transport.sendMail({
        from: "Vetting Portal <vetting-portal@localhost>",
        to: "applicant@example.org",
        subject: "Confirm your email address",
        text: "Open https://portal.example.org/links/confirm",
        html: STYLED_EMAIL,
      });
    } finally {
      transport.close();
    }
    const [message] = await mailbox.store.list();
    assert.ok(message, "the catcher filed the email");
    messageId = message.id;
  });

  after(async () => {
    await app?.close();
    await mailbox?.close();
    await rm(directory, { recursive: true, force: true });
  });

  test("is its own document that may use inline styles and data: images, and nothing else", async () => {
    const response = await fetch(`${app.baseUrl}${urls.devMailboxMessageHtml(messageId)}`);
    assert.equal(response.status, 200);
    assert.equal(
      response.headers.get("content-security-policy"),
      "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; frame-ancestors 'self'; sandbox allow-popups allow-popups-to-escape-sandbox",
    );
    assert.equal(response.headers.get("content-security-policy"), DEV_MAILBOX_HTML_CSP);
    assert.equal(response.headers.get("x-frame-options"), "SAMEORIGIN", "our message page may frame it");
    assert.match(response.headers.get("content-type") ?? "", /^text\/html/);
    const html = await response.text();
    assert.match(html, /<head>\n?<base target="_blank">/, "its links open a tab of their own");
    assert.match(html, /<p style="color:#111827;font-family:Arial,Helvetica,sans-serif;">/);
  });

  test("is framed, sandboxed, on the message page, which still allows no inline style itself", async () => {
    const response = await fetch(`${app.baseUrl}${urls.devMailboxMessage(messageId)}`);
    assert.equal(response.status, 200);
    const html = await response.text();
    assert.ok(
      html.includes(
        `<iframe class="message__html" sandbox="allow-popups allow-popups-to-escape-sandbox" src="${urls.devMailboxMessageHtml(messageId)}" title="HTML version of this email"></iframe>`,
      ),
      html,
    );
    const pagePolicy = response.headers.get("content-security-policy") ?? "";
    assert.match(pagePolicy, /(^|;)style-src 'self'(;|$)/);
    assert.match(pagePolicy, /(^|;)frame-src 'self'(;|$)/);
    assert.equal(response.headers.get("x-frame-options"), "DENY");
  });
});

describe("withLinksInNewTab", () => {
  test("puts the <base> first in the head, after the doctype, or first of all", () => {
    assert.equal(
      withLinksInNewTab('<html><head lang="en"><title>x</title></head><body></body></html>'),
      '<html><head lang="en"><base target="_blank"><title>x</title></head><body></body></html>',
    );
    assert.equal(
      withLinksInNewTab("<!DOCTYPE html><p>x</p>"),
      '<!DOCTYPE html><base target="_blank"><p>x</p>',
    );
    assert.equal(withLinksInNewTab("<p>x</p>"), '<base target="_blank"><p>x</p>');
    assert.equal(withLinksInNewTab("<header>x</header>"), '<base target="_blank"><header>x</header>');
  });
});
