// Where the database comes from: DATABASE_URL when set (always in production), otherwise the embedded
// Postgres kept in a git-ignored folder. Used by the portal and by the terminal commands alike.
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import { startEmbeddedPostgres } from "./embeddedPostgres.js";

export interface DatabaseHandle {
  url: string;
  /** Stops the embedded server when this process started it; a no-op for an external database. */
  stop(): Promise<void>;
  embedded: boolean;
}

export async function openDatabase(config: Config, logger: Logger): Promise<DatabaseHandle> {
  if (config.database.url) return { url: config.database.url, stop: async () => {}, embedded: false };
  if (config.isProduction) throw new Error("DATABASE_URL is required in production");
  const embedded = config.database.embedded;
  logger.info({ dataDir: embedded.dataDir, port: embedded.port }, "starting embedded Postgres");
  const server = await startEmbeddedPostgres({
    dataDir: embedded.dataDir,
    port: embedded.port,
    databaseName: embedded.databaseName,
    // The server's routine chatter stays out of a developer's terminal; its problems do not.
    onLog: (line: string) =>
      /\b(WARNING|ERROR|FATAL|PANIC):/.test(line)
        ? logger.warn({ category: "postgres" }, line)
        : logger.trace({ category: "postgres" }, line),
  });
  return { url: server.connectionString, stop: () => server.stop(), embedded: true };
}
