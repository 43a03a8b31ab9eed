import type { Config } from "../config.js";
import type { RelaySettings } from "./relay.js";

/** The relay from configuration, or, in development, the local catcher (loopback, no TLS). */
export function relaySettings(config: Config, devMailboxPort: number | null): RelaySettings {
  const timeouts = {
    connectionTimeoutMs: config.mail.timeouts.connectionMs,
    greetingTimeoutMs: config.mail.timeouts.greetingMs,
    socketTimeoutMs: config.mail.timeouts.socketMs,
  };
  if (config.mail.relay) {
    return {
      host: config.mail.relay.host,
      ports: config.mail.relay.ports,
      user: config.mail.relay.user,
      password: config.mail.relay.password,
      caFile: config.mail.relay.caFile,
      ...timeouts,
    };
  }
  if (devMailboxPort === null || config.isProduction) {
    throw new Error("No mail relay configured (SMTP_HOST) and no development mailbox running");
  }
  return { host: "127.0.0.1", ports: [devMailboxPort], allowPlaintext: true, ...timeouts };
}
