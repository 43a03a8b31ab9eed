// Starts the real application on a real socket, against a fresh database on the run's test Postgres,
// with the log captured so tests can read the lines that were written.
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type Koa from "koa";
import type pg from "pg";
import { createApp } from "../app.js";
import { buildAssetManifest } from "../assets.js";
import { type Config, loadConfig } from "../config.js";
import { createDatabaseAndSqlPool, type Database } from "../db.js";
import { loadTranslators } from "../i18n/translator.js";
import type { Logger } from "../logger.js";
import { DevMailboxStore } from "../mail/devMailbox.js";
import { createHomeserver, type Homeserver } from "../matrix/homeserver.js";
import {
  createRateLimitPool,
  createRequestLimiter,
  openRequestCounterStore,
} from "../security/requestLimits.js";
import { httpTimeouts, startHttpServer } from "../server.js";
import { createViewEnvironment } from "../views.js";
import { captureLogs } from "./logs.js";
import { createTestDatabase } from "./postgres.js";
import { GENEROUS_RATE_LIMITS } from "./rateLimits.js";

export interface TestApp {
  baseUrl: string;
  config: Config;
  db: Database;
  /** The pg pool under db, as the app's SQL reads use it. */
  sqlPool: pg.Pool;
  /** The app's homeserver client and status cache (null unless the test's env configures Matrix). */
  homeserver: Homeserver | null;
  databaseUrl: string;
  logger: Logger;
  /** Every JSON log line written so far. */
  logLines(): Record<string, unknown>[];
  /** The raw log text written so far. */
  logText(): string;
  close(): Promise<void>;
}

export async function startTestApp(
  options: {
    env?: Record<string, string>;
    /** Adds routes behind the real middleware, for conditions no real route produces yet. */
    extend?: (app: Koa) => void;
    devMailboxDir?: string;
    /** A database the test manages itself (already migrated); by default a fresh one is created. */
    databaseUrl?: string;
    /** Where the rate-limit pool connects instead of databaseUrl (e.g. through a proxy a test stalls). */
    rateLimitDatabaseUrl?: string;
    /**
     * Serve through server.ts as main.ts does, with the configured arrival deadlines (headers, body);
     * by default a plain node:http server with Node's own.
     */
    isPortalServer?: boolean;
  } = {},
): Promise<TestApp> {
  const database = options.databaseUrl
    ? { url: options.databaseUrl, drop: async () => {} }
    : await createTestDatabase();
  const uploadsDir = await mkdtemp(path.join(tmpdir(), "vp-uploads-"));
  const config = loadConfig({
    NODE_ENV: "test",
    DATABASE_URL: database.url,
    PUBLIC_URL: "http://127.0.0.1:3000",
    UPLOADS_DIR: uploadsDir,
    SMTP_HOST: "127.0.0.1",
    SMTP_PORTS: "2525",
    LOG_LEVEL: "debug",
    // Tests make many requests from 127.0.0.1; the request-limit tests set small limits themselves.
    ...GENEROUS_RATE_LIMITS,
    ...options.env,
  });
  const logs = captureLogs(config.logLevel);
  const logger = logs.logger;
  const { db, sqlPool } = createDatabaseAndSqlPool(database.url, config.database);
  const assets = buildAssetManifest();
  const views = createViewEnvironment({ assets });
  const translators = await loadTranslators(config.languages);
  const devMailbox = options.devMailboxDir ? new DevMailboxStore(options.devMailboxDir) : null;
  const rateLimitPool = createRateLimitPool(options.rateLimitDatabaseUrl ?? database.url, config.database);
  rateLimitPool.on("error", (error) => logger.warn({ err: error }, "rate-limit pool connection error"));
  const requestCounters = await openRequestCounterStore(config.rateLimits, { pool: rateLimitPool, logger });
  const requestLimiter = createRequestLimiter({
    settings: config.rateLimits,
    store: requestCounters.store,
    logger,
  });
  const homeserver = createHomeserver(config, logger);
  const app = createApp({
    config,
    db,
    sqlPool,
    logger,
    assets,
    views,
    translators,
    devMailbox,
    rateLimitPool,
    requestLimiter,
    homeserver,
  });
  options.extend?.(app);
  let server: http.Server;
  if (options.isPortalServer) {
    ({ server } = await startHttpServer(app, {
      host: "127.0.0.1",
      port: 0,
      timeouts: httpTimeouts(config),
      logger: logger.child({ category: "http" }),
    }));
  } else {
    server = http.createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  }
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    config,
    db,
    sqlPool,
    homeserver,
    databaseUrl: database.url,
    logger,
    logText: logs.text,
    logLines: logs.lines,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db.$disconnect();
      await requestCounters.close();
      await rateLimitPool.end();
      await database.drop();
      await rm(uploadsDir, { recursive: true, force: true });
    },
  };
}

/** Fetches a page and returns the CSRF cookie and token a browser would hold after loading it. */
export async function loadForm(
  url: string,
): Promise<{ response: Response; html: string; cookie: string; csrfToken: string }> {
  const response = await fetch(url);
  const html = await response.text();
  const cookie = (response.headers.getSetCookie()[0] ?? "").split(";")[0] ?? "";
  const csrfToken = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
  return { response, html, cookie, csrfToken };
}

export function postForm(
  url: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}
