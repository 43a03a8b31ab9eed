// The one Nodemailer transport. In development it points at the local catcher; otherwise at the relay.
// Port fallback across the relay's port list, timeouts and the CA file arrive with the outbox (issue 4);
// until then the first configured port is used, always with STARTTLS required and certificates checked.
import nodemailer, { type Transporter } from "nodemailer";
import type { Config } from "../config.js";

export function createMailTransport(mail: Config["mail"], devMailboxPort: number | null): Transporter {
  if (mail.relay) {
    const port = mail.relay.ports[0] ?? 587;
    return nodemailer.createTransport({
      host: mail.relay.host,
      port,
      secure: port === 465,
      requireTLS: port !== 465,
      auth: mail.relay.user ? { user: mail.relay.user, pass: mail.relay.password ?? "" } : undefined,
      pool: true,
    });
  }
  if (devMailboxPort === null) throw new Error("No mail relay configured and no development mailbox running");
  // Loopback only, development only: no TLS to a catcher on this machine.
  return nodemailer.createTransport({
    host: "127.0.0.1",
    port: devMailboxPort,
    secure: false,
    ignoreTLS: true,
  });
}
