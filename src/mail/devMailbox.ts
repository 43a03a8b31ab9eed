// Development's mail catcher: a real SMTP server on loopback (smtp-server) that files every message
// it receives as an .eml file, and the reading side used by the dev-only mailbox pages. Files rather
// than memory so every process (web, worker, a second instance) sees the same mailbox.
import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";
import type { Logger } from "../logger.js";

const MESSAGE_ID_PATTERN = /^\d{13}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAX_MESSAGE_BYTES = 30 * 1024 * 1024;
const MAX_LISTED = 200;

export interface DevMailboxEntry {
  id: string;
  from: string;
  to: string;
  subject: string;
  date: Date;
}

export interface DevMailMessage extends DevMailboxEntry {
  text: string;
  html: string | null;
}

export class DevMailboxStore {
  constructor(readonly directory: string) {}

  async list(): Promise<DevMailboxEntry[]> {
    const ids = (await this.ids()).slice(0, MAX_LISTED);
    return Promise.all(ids.map(async (id) => summarise(id, await this.parse(id))));
  }

  async read(id: string): Promise<DevMailMessage | undefined> {
    if (!MESSAGE_ID_PATTERN.test(id)) return undefined;
    try {
      const parsed = await this.parse(id);
      return {
        ...summarise(id, parsed),
        text: parsed.text ?? "",
        html: typeof parsed.html === "string" ? parsed.html : null,
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }

  async clear(): Promise<void> {
    await Promise.all((await this.ids()).map((id) => rm(this.fileOf(id), { force: true })));
  }

  /** Newest first. */
  private async ids(): Promise<string[]> {
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
    const names = await readdir(this.directory);
    return names
      .filter((name) => name.endsWith(".eml"))
      .map((name) => name.slice(0, -4))
      .filter((id) => MESSAGE_ID_PATTERN.test(id))
      .sort()
      .reverse();
  }

  private async parse(id: string): Promise<ParsedMail> {
    return simpleParser(await readFile(this.fileOf(id)));
  }

  fileOf(id: string): string {
    return path.join(this.directory, `${id}.eml`);
  }

  newMessageId(): string {
    return `${Date.now()}-${randomUUID()}`;
  }
}

function summarise(id: string, parsed: ParsedMail): DevMailboxEntry {
  const addressText = (value: ParsedMail["to"]) =>
    Array.isArray(value) ? value.map((address) => address.text).join(", ") : (value?.text ?? "");
  return {
    id,
    from: parsed.from?.text ?? "",
    to: addressText(parsed.to),
    subject: parsed.subject ?? "(no subject)",
    date: parsed.date ?? new Date(Number(id.slice(0, 13))),
  };
}

export interface DevMailboxServer {
  port: number;
  store: DevMailboxStore;
  close(): Promise<void>;
}

export async function startDevMailboxServer(options: {
  directory: string;
  port: number;
  logger: Logger;
}): Promise<DevMailboxServer> {
  const store = new DevMailboxStore(options.directory);
  await mkdir(options.directory, { recursive: true, mode: 0o700 });
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    size: MAX_MESSAGE_BYTES,
    logger: false,
    onData(stream, _session, callback) {
      const id = store.newMessageId();
      pipeline(stream, createWriteStream(store.fileOf(id), { mode: 0o600 }))
        .then(async () => {
          if (stream.sizeExceeded) {
            await rm(store.fileOf(id), { force: true });
            callback(Object.assign(new Error("Message too large"), { responseCode: 552 }));
            return;
          }
          options.logger.info({ messageId: id }, "development mailbox received a message");
          callback();
        })
        .catch((error: Error) => callback(error));
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", (error) => options.logger.error({ err: error }, "development mailbox SMTP error"));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    store,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
