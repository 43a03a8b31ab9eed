// npm run create-admin [-- --name "Full Name" --email person@example.org]
// Creates a superadmin from a terminal on the server: for the very first account, or to get back in
// when nobody can sign in. Asks for whatever the flags did not give, then prints a single-use link
// (valid 72 hours) where the person chooses their password and sets up two-step sign-in, exactly as
// invited staff do: no password is ever typed into, or printed by, a terminal.
// With standard input not a terminal, it reads the answers line by line (for automation).
import { createInterface } from "node:readline/promises";
import { parseArgs } from "node:util";
import { createSuperadmin } from "../src/commands/staff/createSuperadmin.js";
import { ConfigError, exitWithConfigProblems, loadConfig } from "../src/config.js";
import { openDatabase } from "../src/database/connect.js";
import { createDatabase } from "../src/db.js";
import { HttpError } from "../src/errors.js";
import { englishTranslator } from "../src/i18n/translator.js";
import { createLogger } from "../src/logger.js";
import { ZSetupForm } from "../src/routes/links/setup.js";
import { removeSetupLinkFile } from "../src/setupLinkFile.js";
import { absoluteUrl, urls } from "../src/urls.js";

async function createAdmin(): Promise<number> {
  const { values: flags } = parseArgs({
    options: { name: { type: "string" }, email: { type: "string" } },
    allowPositionals: false,
  });
  const config = loadConfig();
  const logger = createLogger({ level: "warn", pretty: process.stdout.isTTY });
  const readline = createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal: process.stdin.isTTY,
  });
  const lines = readline[Symbol.asyncIterator]();
  const ask = async (question: string): Promise<string> => {
    if (process.stdin.isTTY) return readline.question(question);
    const next = await lines.next();
    if (next.done) throw new Error(`No answer on standard input for: ${question.trim()}`);
    return next.value;
  };
  try {
    const name = flags.name ?? (await ask("Full name: "));
    const email = flags.email ?? (await ask("Email address: "));
    const parsed = ZSetupForm.safeParse({ name, email });
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        process.stderr.write(`${String(issue.path[0])}: ${englishTranslator().message(issue.message)}\n`);
      return 1;
    }
    const database = await openDatabase(config, logger);
    const db = createDatabase(database.url, config.database);
    try {
      const created = await createSuperadmin(db, { person: parsed.data, actor: { label: "terminal" } });
      // A setup link written on a first start can no longer be used: a superadmin exists.
      await removeSetupLinkFile(config.setupLinkFile);
      const link = absoluteUrl(config.http.publicUrl, urls.staffInvitation(created.invitationToken));
      process.stdout.write(
        `Superadmin ${parsed.data.email} created (id ${created.staffUserId}).\n\n` +
          `Open this single-use link (valid until ${created.invitationExpiresAt.toISOString()}) to choose the password\n` +
          `and set up two-step sign-in:\n\n    ${link}\n\n`,
      );
      return 0;
    } catch (error) {
      if (error instanceof HttpError) {
        process.stderr.write(`${error.message}\n`);
        return 1;
      }
      throw error;
    } finally {
      await db.$disconnect();
      await database.stop();
    }
  } finally {
    readline.close();
  }
}

createAdmin()
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    if (error instanceof ConfigError) exitWithConfigProblems(error);
    process.stderr.write(`create-admin failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
