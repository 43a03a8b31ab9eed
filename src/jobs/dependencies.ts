import type nunjucks from "nunjucks";
import type { Config } from "../config.js";
import type { Database } from "../db.js";
import type { Logger } from "../logger.js";
import type { MailRelay } from "../mail/relay.js";

export interface JobDependencies {
  config: Config;
  db: Database;
  logger: Logger;
  views: nunjucks.Environment;
  relay: MailRelay;
}
