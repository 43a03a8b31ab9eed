// What the web application is built from: everything createApp (app.ts) and the route factories need,
// created once per process by main.ts (or per test by src/test/app.ts). Its own module, so that routes
// name it without importing the app that imports them.
import type nunjucks from "nunjucks";
import type pg from "pg";
import type { AssetManifest } from "./assets.js";
import type { Config } from "./config.js";
import type { Database } from "./db.js";
import type { Translators } from "./i18n/translator.js";
import type { Logger } from "./logger.js";
import type { DevMailboxStore } from "./mail/devMailbox.js";
import type { Homeserver } from "./matrix/homeserver.js";
import type { RequestLimiter } from "./security/requestLimits.js";

export interface AppDependencies {
  config: Config;
  db: Database;
  /** The pg pool under db, for the reads written in SQL (queries/sql/*); db.ts createDatabaseAndSqlPool. */
  sqlPool: pg.Pool;
  logger: Logger;
  assets: AssetManifest;
  views: nunjucks.Environment;
  /** One translator per offered language (i18n/translator.ts), for pages and emails. */
  translators: Translators;
  /** The development mailbox, when mail goes to the local catcher. */
  devMailbox: DevMailboxStore | null;
  /** A small pg pool for rate-limiter-flexible's Postgres store (sign-in limits, shared by all instances). */
  rateLimitPool: pg.Pool;
  /** The tiered limits on every request, counted in the shared store (security/requestLimits.ts). */
  requestLimiter: RequestLimiter;
  /** The homeserver's admin client and status cache (matrix/homeserver.ts); null when Matrix is off. */
  homeserver: Homeserver | null;
}
