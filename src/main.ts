// Process entry. Starts, in order: configuration, database (embedded in development), migrations,
// the development mail catcher, the job worker, the web server; then gives the first-superadmin setup
// link if one is needed (printed on a terminal, else written to SETUP_LINK_FILE: setupLinkFile.ts).
// Under a Type=notify systemd unit it then reports itself ready (systemdNotify.ts). SIGINT/SIGTERM stop
// everything in reverse order and exit 0.
//   tsx src/main.ts            web server and worker in one process
//   tsx src/main.ts --web      web server only       tsx src/main.ts --worker   worker only
import { createApp } from "./app.js";
import { buildAssetManifest } from "./assets.js";
import { issueSetupLinkIfNeeded } from "./commands/staff/issueSetupLink.js";
import { type Config, ConfigError, exitWithConfigProblems, loadConfig } from "./config.js";
import { openDatabase } from "./database/connect.js";
import { pendingMigrations } from "./database/migrate.js";
import { databaseConnectionProblem } from "./database/unavailable.js";
import { createDatabaseAndSqlPool, type Database } from "./db.js";
import { loadTranslators } from "./i18n/translator.js";
import { sweepUploadsVolume } from "./jobs/sweepUploads.js";
import { createLogger, type Logger } from "./logger.js";
import { createMailRelay } from "./mail/relay.js";
import { relaySettings } from "./mail/relaySettings.js";
import { createHomeserver } from "./matrix/homeserver.js";
import {
  createRateLimitPool,
  createRequestLimiter,
  openRequestCounterStore,
} from "./security/requestLimits.js";
import { httpTimeouts, startHttpServer } from "./server.js";
import { removeSetupLinkFile, writeSetupLinkFile } from "./setupLinkFile.js";
import { evidenceStore } from "./storage/evidenceStore.js";
import { serviceManager } from "./systemdNotify.js";
import { absoluteUrl, urls } from "./urls.js";
import { createViewEnvironment } from "./views.js";

/** Things to stop at shutdown, stopped last-started-first. */
class ShutdownStack {
  private readonly steps: { name: string; stop: () => Promise<void> }[] = [];
  push(name: string, stop: () => Promise<void>) {
    this.steps.push({ name, stop });
  }
  async unwind(logger: Logger) {
    for (const step of this.steps.reverse()) {
      try {
        await step.stop();
        logger.debug(`stopped ${step.name}`);
      } catch (error) {
        logger.error({ err: error }, `failed to stop ${step.name}`);
      }
    }
  }
}

const shutdown = new ShutdownStack();
let logger: Logger | undefined;

async function main(): Promise<void> {
  const args = new Set(process.argv.slice(2));
  const runWeb = args.has("--web") || !args.has("--worker");
  const runWorker = args.has("--worker") || !args.has("--web");

  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    exitWithConfigProblems(error);
  }
  const log = createLogger({ level: config.logLevel, pretty: config.logFormat === "pretty" });
  logger = log;
  const systemd = serviceManager(config.systemdNotifySocket, log);
  let shuttingDown = false;

  const stopAll = async (signal: string) => {
    if (shuttingDown) {
      log.warn({ signal }, "second signal: exiting without waiting");
      process.exit(1);
    }
    shuttingDown = true;
    log.info({ signal }, "shutting down");
    await systemd.stopping();
    await shutdown.unwind(log);
    log.info("stopped");
    process.exit(0);
  };
  process.on("SIGINT", () => void stopAll("SIGINT"));
  process.on("SIGTERM", () => void stopAll("SIGTERM"));

  const database = await openDatabase(config, log);
  shutdown.push("database server", database.stop);

  // In production migrations are an explicit deployment step (npm run db:migrate), never a race
  // between instances starting; in development and tests the portal brings its database up to date.
  if (!config.isProduction) {
    const { migrateDatabase } = await import("./database/migrate.js");
    const { applied } = await migrateDatabase(database.url, log);
    if (applied.length > 0) log.info({ applied }, "applied migrations");
  } else {
    const pending = await pendingMigrations(database.url);
    if (pending.length > 0) {
      process.stderr.write(
        `The database is missing ${pending.length} migration(s) (${pending.join(", ")}): run npm run db:migrate, then start again.\n`,
      );
      await shutdown.unwind(log);
      process.exit(1);
    }
  }

  const { db, sqlPool } = createDatabaseAndSqlPool(database.url, config.database);
  shutdown.push("database pool", () => db.$disconnect());
  await evidenceStore(config.uploadsDir).ensureLayout();
  // A crash mid-upload leaves temporary files; they go before anything else runs (then every 15 min).
  const swept = await sweepUploadsVolume({ db, config, logger: log });
  log.debug({ ...swept }, "swept the uploads volume at start");

  // Modules only some processes need are loaded by those only (the development mailbox's mail parser,
  // the job queue's library, the schema engine): a production web process stays smaller for the whole
  // of its life (docs/performance.md, memory).
  const devMailbox = config.mail.devMailbox
    ? await (await import("./mail/devMailbox.js")).startDevMailboxServer({
        directory: config.mail.devMailbox.dir,
        port: config.mail.devMailbox.smtpPort,
        logger: log,
      })
    : null;
  if (devMailbox) shutdown.push("development mailbox", devMailbox.close);
  const relay = createMailRelay(relaySettings(config, devMailbox?.port ?? null), log);
  shutdown.push("mail relay", async () => relay.close());

  const assets = buildAssetManifest();
  const views = createViewEnvironment({ assets });
  const translators = await loadTranslators(config.languages);

  if (runWorker) {
    const { startWorker } = await import("./jobs/worker.js");
    const runner = await startWorker({
      connectionString: database.url,
      concurrency: config.worker.concurrency,
      deps: { config, db, logger: log, views, relay },
    });
    shutdown.push("job worker", () => runner.stop());
    log.info({ concurrency: config.worker.concurrency }, "job worker started");
  }

  if (runWeb) {
    const rateLimitPool = createRateLimitPool(database.url, config.database);
    rateLimitPool.on("error", (error) => log.warn({ err: error }, "rate-limit pool connection error"));
    shutdown.push("rate-limit pool", () => rateLimitPool.end());
    const requestCounters = await openRequestCounterStore(config.rateLimits, {
      pool: rateLimitPool,
      logger: log,
    });
    shutdown.push("request-limit store", requestCounters.close);
    const requestLimiter = createRequestLimiter({
      settings: config.rateLimits,
      store: requestCounters.store,
      logger: log,
    });
    const app = createApp({
      config,
      db,
      sqlPool,
      logger: log,
      assets,
      views,
      translators,
      devMailbox: devMailbox?.store ?? null,
      rateLimitPool,
      requestLimiter,
      homeserver: createHomeserver(config, log),
    });
    const httpServer = await startHttpServer(app, {
      host: config.http.host,
      port: config.http.port,
      // Short header and body deadlines for every request; only an accepted upload gets its own long one.
      timeouts: httpTimeouts(config),
      logger: log.child({ category: "http" }),
    });
    shutdown.push("web server", () => httpServer.close(config.http.shutdownTimeoutMs, log));
    const { address } = httpServer;
    log.info(
      { url: `http://${address.address}:${address.port}`, publicUrl: config.http.publicUrl.origin },
      "web server listening",
    );
    if (devMailbox) {
      log.info({ url: absoluteUrl(config.http.publicUrl, urls.devMailbox()) }, "development mailbox");
    }
  }

  await announceSetupLink(config, db, log);
  // Only now: the database answered, the uploads volume is laid out, the port listens.
  await systemd.ready(
    [runWeb && `web server on port ${config.http.port}`, runWorker && "job worker"]
      .filter(Boolean)
      .join(", "),
  );
}

async function announceSetupLink(config: Config, db: Database, logger: Logger) {
  const outcome = await issueSetupLinkIfNeeded(db);
  if (outcome.kind === "issued") {
    const link = absoluteUrl(config.http.publicUrl, urls.setup(outcome.token));
    const notice = `No superadmin exists yet. Create the first one with this single-use link (valid until ${outcome.expiresAt.toISOString()}):\n\n    ${link}\n\nOr run: npm run create-admin\n`;
    if (process.stdout.isTTY) {
      // Straight to the terminal, not through the logger: the link is the one secret meant to be read here.
      process.stdout.write(`\n${notice}\n`);
    } else {
      // Standard output is a log (the journal, a collector): the link goes to a file only we can read.
      await writeSetupLinkFile(config.setupLinkFile, notice);
      logger.warn(
        { file: config.setupLinkFile, expiresAt: outcome.expiresAt.toISOString() },
        "no superadmin yet: the single-use setup link is in this file (readable by this user only; removed once used), or run: npm run create-admin",
      );
    }
  } else if (outcome.kind === "already_issued") {
    logger.warn(
      { file: config.setupLinkFile, expiresAt: outcome.expiresAt.toISOString() },
      "no superadmin yet; a setup link was issued earlier and is still valid (shown in the terminal then, or in this file), or run: npm run create-admin",
    );
  } else {
    // A superadmin exists: a link left over from before (used, or made moot by create-admin) goes.
    await removeSetupLinkFile(config.setupLinkFile);
  }
}

main().catch(async (error: unknown) => {
  // A database that refuses us for a setting (its TLS certificate not accepted) is said in one sentence
  // that names what to fix, in the log and on stderr; anything else with its stack.
  const problem = databaseConnectionProblem(error);
  if (problem) {
    logger?.fatal({ category: "database" }, problem);
    process.stderr.write(`fatal: ${problem}\n`);
  } else {
    process.stderr.write(
      `fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
  // Stop whatever did start (an embedded Postgres above all) rather than leave it orphaned.
  if (logger) await shutdown.unwind(logger);
  process.exit(1);
});
