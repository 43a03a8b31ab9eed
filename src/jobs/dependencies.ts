import type { Transporter } from "nodemailer";
import type nunjucks from "nunjucks";
import type { Config } from "../config.js";
import type { Database } from "../db.js";
import type { Logger } from "../logger.js";

export interface JobDependencies {
  config: Config;
  db: Database;
  logger: Logger;
  views: nunjucks.Environment;
  mailTransport: Transporter;
}
