// Operator commands for the outbox.
//   npm run mail:status               counts by status, and the failed messages with their last error
//   npm run mail:test -- <address>    sends a test message through the configured relay now and says
//                                     which host:port accepted it (exit 1 when it was not delivered)
import { parseArgs } from "node:util";
import { buildAssetManifest } from "../src/assets.js";
import { type Config, ConfigError, exitWithConfigProblems, loadConfig } from "../src/config.js";
import { openDatabase } from "../src/database/connect.js";
import { createDatabase, type Database } from "../src/db.js";
import { createLogger, type Logger } from "../src/logger.js";
import { startDevMailboxServer } from "../src/mail/devMailbox.js";
import { ZRecipientAddress } from "../src/mail/messages/address.js";
import { deliverEmail, enqueueEmail } from "../src/mail/outbox.js";
import { createMailRelay } from "../src/mail/relay.js";
import { relaySettings } from "../src/mail/relaySettings.js";
import { createViewEnvironment } from "../src/views.js";

const STATUSES = ["QUEUED", "SENDING", "SENT", "FAILED", "CANCELLED"] as const;
const WAIT_FOR_OTHER_WORKER_MS = 120_000;

async function mailCommand(): Promise<number> {
  const { positionals } = parseArgs({ allowPositionals: true, options: {} });
  const [command, address] = positionals;
  const config = loadConfig();
  const logger = createLogger({ level: "warn", pretty: process.stderr.isTTY });
  if (command !== "status" && command !== "test") {
    process.stderr.write("usage: npm run mail:status | npm run mail:test -- <address>\n");
    return 2;
  }
  if (command === "test" && !ZRecipientAddress.safeParse(address ?? "").success) {
    process.stderr.write(`Not a deliverable address: ${JSON.stringify(address ?? "")}\n`);
    return 2;
  }
  const database = await openDatabase(config, logger);
  const db = createDatabase(database.url, config.database);
  try {
    return command === "status"
      ? await printStatus(db)
      : await sendTestMessage(config, db, logger, address ?? "");
  } finally {
    await db.$disconnect();
    await database.stop();
  }
}

async function printStatus(db: Database): Promise<number> {
  const counts = await db.outboxMessage.groupBy({ by: ["status"], _count: { _all: true } });
  const countOf = (status: string) => counts.find((row) => row.status === status)?._count._all ?? 0;
  process.stdout.write("Outbox\n");
  for (const status of STATUSES) {
    process.stdout.write(`  ${status.toLowerCase().padEnd(10)} ${String(countOf(status)).padStart(8)}\n`);
  }
  const failed = await db.outboxMessage.findMany({
    where: { status: "FAILED" },
    orderBy: { failedAt: "desc" },
    take: 50,
    select: { id: true, kind: true, recipient: true, attempts: true, failedAt: true, lastError: true },
  });
  if (failed.length > 0) {
    process.stdout.write(`\nFailed messages (newest ${failed.length}):\n`);
    for (const message of failed) {
      process.stdout.write(
        `  ${message.failedAt?.toISOString() ?? "?"}  ${message.kind} to ${message.recipient}  (${message.attempts} attempt(s), id ${message.id})\n    ${message.lastError ?? "no error recorded"}\n`,
      );
    }
  }
  return 0;
}

async function sendTestMessage(
  config: Config,
  db: Database,
  logger: Logger,
  recipient: string,
): Promise<number> {
  // In development the catcher normally runs inside the portal; start one if the portal is not running.
  let devMailbox: Awaited<ReturnType<typeof startDevMailboxServer>> | null = null;
  if (config.mail.devMailbox) {
    devMailbox = await startDevMailboxServer({
      directory: config.mail.devMailbox.dir,
      port: config.mail.devMailbox.smtpPort,
      logger,
    }).catch(() => null);
  }
  const relay = createMailRelay(relaySettings(config, config.mail.devMailbox?.smtpPort ?? null), logger);
  try {
    const { outboxMessageId } = await db.$transaction((tx) =>
      enqueueEmail(tx, { kind: "test_message", recipient, payload: {} }),
    );
    const views = createViewEnvironment({ assets: buildAssetManifest() });
    const outcome = await deliverEmail({ config, db, views, relay, logger, throttle: null }, outboxMessageId);
    // A running portal's worker may have picked the message up first: then wait for its verdict.
    const deadline = Date.now() + WAIT_FOR_OTHER_WORKER_MS;
    let row = await db.outboxMessage.findUniqueOrThrow({ where: { id: outboxMessageId } });
    while (
      outcome === "not_claimable" &&
      (row.status === "QUEUED" || row.status === "SENDING") &&
      Date.now() < deadline
    ) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      row = await db.outboxMessage.findUniqueOrThrow({ where: { id: outboxMessageId } });
    }
    if (row.status === "SENT") {
      process.stdout.write(
        `Sent to ${recipient}: accepted by ${row.acceptedBy} (Message-ID ${row.messageId}).\n`,
      );
      return 0;
    }
    process.stdout.write(
      `Not delivered to ${recipient} (${row.status.toLowerCase()}): ${row.lastError ?? "no error recorded"}\n` +
        (row.status === "QUEUED" ? "It stays queued and will be retried by the worker.\n" : ""),
    );
    return 1;
  } finally {
    relay.close();
    await devMailbox?.close();
  }
}

mailCommand()
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    if (error instanceof ConfigError) exitWithConfigProblems(error);
    process.stderr.write(`mail: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
