// npm run import:original -- --from <postgresql://… | file.sqlite> --files <the original app's folder> [--dry-run]
// Moves staff accounts, vetting forms, evidence files, registration tokens and audit history from the
// original system into this portal's database (src/originalImport/importOriginal.ts). The source is only
// read. Prints the report; exit 0 when done, 1 when stopped (nothing written), 78 for bad settings.
import { parseArgs } from "node:util";
import { ConfigError, exitWithConfigProblems, loadConfig } from "../src/config.js";
import { openDatabase } from "../src/database/connect.js";
import { createDatabase } from "../src/db.js";
import { createLogger } from "../src/logger.js";
import {
  formatImportReport,
  ImportBlockedError,
  importOriginal,
} from "../src/originalImport/importOriginal.js";
import { OriginalSourceError } from "../src/originalImport/source.js";
import { evidenceStore } from "../src/storage/evidenceStore.js";

const USAGE =
  "Usage: npm run import:original -- --from <postgresql URL | SQLite file> --files <the original app folder> [--dry-run]\n";

async function main(): Promise<number> {
  let flags: { from?: string; files?: string; "dry-run"?: boolean };
  try {
    ({ values: flags } = parseArgs({
      options: { from: { type: "string" }, files: { type: "string" }, "dry-run": { type: "boolean" } },
      allowPositionals: false,
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!flags.from || !flags.files) {
    process.stderr.write(USAGE);
    return 2;
  }
  const config = loadConfig();
  const logger = createLogger({ level: "warn", pretty: process.stdout.isTTY });
  const database = await openDatabase(config, logger);
  const db = createDatabase(database.url, config.database);
  try {
    const report = await importOriginal(
      { db, config, store: evidenceStore(config.uploadsDir, config.evidence.encryption) },
      { from: flags.from, filesDir: flags.files, isDryRun: flags["dry-run"] === true },
    );
    process.stdout.write(formatImportReport(report));
    return 0;
  } catch (error) {
    if (error instanceof ImportBlockedError || error instanceof OriginalSourceError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    await db.$disconnect();
    await database.stop();
  }
}

main()
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    if (error instanceof ConfigError) exitWithConfigProblems(error);
    process.stderr.write(
      `import:original failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  });
