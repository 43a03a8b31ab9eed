// npm run create-admin [-- --name "Full Name" --email person@example.org]
// Creates a superadmin from a terminal on the server: for the very first account, or to get back in
// when nobody can sign in. Asks for whatever the flags did not give; the password is only ever read
// from the prompt (never from arguments, which other users of the machine can see in `ps`).
// With standard input not a terminal, it reads the answers line by line (for automation).
import { createInterface } from "node:readline/promises";
import { parseArgs } from "node:util";
import { createSuperadmin } from "../src/commands/createSuperadmin.js";
import { ConfigError, exitWithConfigProblems, loadConfig } from "../src/config.js";
import { openDatabase } from "../src/database/connect.js";
import { createDatabase } from "../src/db.js";
import { hashPassword, passwordProblem } from "../src/domain/password.js";
import { HttpError } from "../src/errors.js";
import { createLogger } from "../src/logger.js";
import { ZSetupForm } from "../src/routes/links/setup.js";

async function createAdmin(): Promise<number> {
  const { values: flags } = parseArgs({
    options: { name: { type: "string" }, email: { type: "string" } },
    allowPositionals: false,
  });
  const config = loadConfig();
  const logger = createLogger({ level: "warn", pretty: process.stdout.isTTY });
  const prompt = createPrompt();
  try {
    const name = flags.name ?? (await prompt.ask("Full name: "));
    const email = flags.email ?? (await prompt.ask("Email address: "));
    const password = await prompt.ask("Password (12 to 128 characters): ", { hidden: true });
    const passwordConfirmation = await prompt.ask("Repeat the password: ", { hidden: true });

    const parsed = ZSetupForm.safeParse({ name, email, password, passwordConfirmation });
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        process.stderr.write(`${String(issue.path[0])}: ${issue.message}\n`);
      return 1;
    }
    const problem = passwordProblem(parsed.data.password, parsed.data);
    if (problem) return fail(`password: ${problem}`);
    if (parsed.data.password !== parsed.data.passwordConfirmation)
      return fail("password: the two passwords differ");

    const database = await openDatabase(config, logger);
    const db = createDatabase(database.url, config.database);
    try {
      const { staffUserId } = await createSuperadmin(db, {
        person: {
          name: parsed.data.name,
          email: parsed.data.email,
          passwordHash: await hashPassword(parsed.data.password),
        },
        actor: { label: "terminal" },
      });
      process.stdout.write(`Superadmin ${parsed.data.email} created (id ${staffUserId}).\n`);
      return 0;
    } catch (error) {
      if (error instanceof HttpError) return fail(error.message);
      throw error;
    } finally {
      await db.$disconnect();
      await database.stop();
    }
  } finally {
    prompt.close();
  }
}

function fail(message: string): number {
  process.stderr.write(`${message}\n`);
  return 1;
}

/** Line prompts; on a terminal, hidden answers are not echoed. */
function createPrompt() {
  const readline = createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal: process.stdin.isTTY,
  });
  const lines = readline[Symbol.asyncIterator]();
  let muted = false;
  // readline has no "hidden" option: swallow its echo while a secret is typed.
  const writeToOutput = (readline as unknown as { _writeToOutput: (text: string) => void })._writeToOutput;
  (readline as unknown as { _writeToOutput: (text: string) => void })._writeToOutput = function (
    text: string,
  ) {
    if (!muted || text.includes("\n")) writeToOutput.call(this, muted ? "\n" : text);
  };
  return {
    async ask(question: string, options: { hidden?: boolean } = {}): Promise<string> {
      if (process.stdin.isTTY) {
        process.stdout.write(question);
        muted = options.hidden === true;
        try {
          return await readline.question("");
        } finally {
          muted = false;
        }
      }
      const next = await lines.next();
      if (next.done) throw new Error(`No answer on standard input for: ${question.trim()}`);
      return next.value;
    },
    close: () => readline.close(),
  };
}

createAdmin()
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    if (error instanceof ConfigError) exitWithConfigProblems(error);
    process.stderr.write(`create-admin failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
