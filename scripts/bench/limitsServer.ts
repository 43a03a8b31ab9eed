// The server bench:limits measures, in its own process: the real app (createApp: every middleware, the
// home page rendered) with the request limiter on a real store, or the same app with a limiter that
// counts nothing and always allows ("none": the baseline). Prints "listening <port>" when ready.
//   BENCH_LIMITER=none|postgres|redis  DATABASE_URL  [RATE_LIMIT_DATABASE_URL]  [REDIS_URL]  PORT
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createApp } from "../../src/app.js";
import { buildAssetManifest } from "../../src/assets.js";
import { loadConfig } from "../../src/config.js";
import { createDatabaseAndSqlPool } from "../../src/db.js";
import { loadTranslators } from "../../src/i18n/translator.js";
import { createLogger } from "../../src/logger.js";
import {
  createRateLimitPool,
  createRequestLimiter,
  type LimitDecision,
  openRequestCounterStore,
  type RequestLimiter,
} from "../../src/security/requestLimits.js";
import { GENEROUS_RATE_LIMITS } from "../../src/test/rateLimits.js";
import { createViewEnvironment } from "../../src/views.js";

const mode = process.env.BENCH_LIMITER ?? "postgres";
const databaseUrl = process.env.DATABASE_URL ?? "";
const config = loadConfig({
  NODE_ENV: "test",
  DATABASE_URL: databaseUrl,
  PUBLIC_URL: "http://127.0.0.1:3000",
  SMTP_HOST: "127.0.0.1",
  LOG_LEVEL: "warn",
  // Limits nobody reaches: every request is counted and allowed, as for a well-behaved visitor.
  ...GENEROUS_RATE_LIMITS,
  // The load generator speaks for many clients through X-Forwarded-For, as nginx would.
  TRUSTED_PROXIES: "loopback",
  RATE_LIMIT_STORE: mode === "redis" ? "redis" : "postgres",
  ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
});
const logger = createLogger({ level: "warn", pretty: false });
const { db, sqlPool } = createDatabaseAndSqlPool(databaseUrl, config.database);
const rateLimitPool = createRateLimitPool(
  process.env.RATE_LIMIT_DATABASE_URL ?? databaseUrl,
  config.database,
);

/** The baseline: the same decision shape, nothing counted, nothing asked. */
function noLimits(): RequestLimiter {
  const window = {
    tier: "default",
    policy: "minute",
    limit: 1_000_000,
    windowSeconds: 60,
    consumed: 1,
    remaining: 999_999,
    resetSeconds: 60,
  };
  const decision: LimitDecision = { allowed: true, windows: [window], binding: window, decidedBy: "store" };
  return { storeKind: "postgres", check: async () => decision };
}

const counters =
  mode === "none" ? null : await openRequestCounterStore(config.rateLimits, { pool: rateLimitPool, logger });
const requestLimiter = counters
  ? createRequestLimiter({ settings: config.rateLimits, store: counters.store, logger })
  : noLimits();
const app = createApp({
  config,
  db,
  sqlPool,
  logger,
  assets: buildAssetManifest(),
  views: createViewEnvironment({ assets: buildAssetManifest() }),
  translators: await loadTranslators(config.languages),
  devMailbox: null,
  rateLimitPool,
  requestLimiter,
  homeserver: null,
});
const server = http.createServer(app.callback());
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
process.on("SIGTERM", () => {
  server.closeAllConnections();
  server.close(async () => {
    await counters?.close();
    await rateLimitPool.end();
    await db.$disconnect();
    process.exit(0);
  });
});
