// A small browser for HTTP-level tests of staff pages: it keeps cookies the way a browser does, reads
// the CSRF token of the last page it loaded and sends it with forms, and never follows redirects (tests
// assert them). Plus delivery of queued outbox mail through a real SMTP server on loopback.
import { createLogger } from "../logger.js";
import { deliverEmail } from "../mail/outbox.js";
import { createMailRelay } from "../mail/relay.js";
import type { TestApp } from "./app.js";
import type { ReceivedMessage, TestSmtpServer } from "./smtp.js";
import { testViews } from "./views.js";

export class TestBrowser {
  readonly cookies = new Map<string, string>();
  csrfToken = "";
  userAgent = "TestBrowser/1.0";
  /** Sent with every request, e.g. X-Forwarded-For to a test app that trusts loopback as its proxy. */
  readonly headers: Record<string, string> = {};

  constructor(private readonly baseUrl: string) {}

  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  private remember(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";");
      const separator = pair.indexOf("=");
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      const expired = attributes.some((attribute) => {
        const [key, date] = attribute.trim().split("=");
        return key?.toLowerCase() === "expires" && date !== undefined && new Date(date) <= new Date();
      });
      if (!value || expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  /** GET; remembers the page's CSRF token. */
  async get(path: string): Promise<{ response: Response; html: string }> {
    const response = await fetch(new URL(path, this.baseUrl), {
      redirect: "manual",
      headers: { ...this.headers, cookie: this.cookieHeader(), "user-agent": this.userAgent },
    });
    this.remember(response);
    const html = await response.text();
    const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
    if (token) this.csrfToken = token;
    return { response, html };
  }

  /** POSTs a form with the CSRF token of the last page loaded. */
  async post(path: string, fields: Record<string, string>): Promise<{ response: Response; html: string }> {
    const response = await fetch(new URL(path, this.baseUrl), {
      method: "POST",
      redirect: "manual",
      headers: {
        ...this.headers,
        cookie: this.cookieHeader(),
        "content-type": "application/x-www-form-urlencoded",
        "user-agent": this.userAgent,
      },
      body: new URLSearchParams({ _csrf: this.csrfToken, ...fields }).toString(),
    });
    this.remember(response);
    const html = await response.text();
    const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
    if (token) this.csrfToken = token;
    return { response, html };
  }
}

/** Delivers every queued outbox message through the SMTP server (plain SMTP on loopback). */
export async function deliverQueuedEmails(
  testApp: TestApp,
  smtp: TestSmtpServer,
): Promise<ReceivedMessage[]> {
  const logger = createLogger({ level: "silent", pretty: false });
  const relay = createMailRelay(
    {
      host: "127.0.0.1",
      ports: [smtp.port],
      allowPlaintext: true,
      connectionTimeoutMs: 2_000,
      greetingTimeoutMs: 2_000,
      socketTimeoutMs: 5_000,
    },
    logger,
  );
  const before = smtp.messages.length;
  try {
    const queued = await testApp.db.outboxMessage.findMany({
      where: { status: "QUEUED" },
      orderBy: { createdAt: "asc" },
      select: { id: true },
    });
    const views = testViews();
    for (const { id } of queued) {
      const outcome = await deliverEmail(
        { config: testApp.config, db: testApp.db, views, relay, logger, throttle: null },
        id,
      );
      if (outcome !== "sent") throw new Error(`outbox message ${id} was not sent: ${outcome}`);
    }
  } finally {
    relay.close();
  }
  return smtp.messages.slice(before);
}

/** The path of the first link to this site in a message's text part. */
export function linkPathIn(message: ReceivedMessage, publicUrl: URL): string {
  const match = new RegExp(`${publicUrl.origin.replace(/[.]/g, "\\.")}(/\\S+)`).exec(message.text);
  if (!match?.[1]) throw new Error(`no link to ${publicUrl.origin} in the message`);
  return match[1];
}
