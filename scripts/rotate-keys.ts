// npm run rotate-keys
// Moves everything stored under the previous keys to the current ones (src/commands/operations/
// rotateKeys.ts): evidence data keys re-wrapped (files untouched), TOTP secrets and Matrix registration
// tokens re-sealed. Run it after the portal restarted with the new key current and the old one as
// *_PREVIOUS; when it reports nothing left under the previous keys, remove the *_PREVIOUS settings.
// Exit 0: done, nothing left that a configured key cannot open; 1: something is (listed); 78: settings.

import { rotateKeys } from "../src/commands/operations/rotateKeys.js";
import { ConfigError, exitWithConfigProblems, loadConfig } from "../src/config.js";
import { openDatabase } from "../src/database/connect.js";
import { createDatabase } from "../src/db.js";
import { createLogger } from "../src/logger.js";

async function main(): Promise<number> {
  const config = loadConfig();
  const logger = createLogger({ level: "warn", pretty: process.stdout.isTTY });
  const database = await openDatabase(config, logger);
  const db = createDatabase(database.url, config.database);
  try {
    const outcome = await rotateKeys(db, config);
    const lines = [
      config.evidence.encryption
        ? `evidence data keys re-wrapped under key ${config.evidence.encryption.current.id}: ${outcome.evidenceKeysRewrapped}`
        : "evidence encryption is off (EVIDENCE_ENCRYPTION_KEY not set): no data keys to re-wrap",
      `TOTP secrets re-sealed: ${outcome.totpSecretsResealed}`,
      `Matrix registration tokens re-sealed: ${outcome.registrationTokensResealed}`,
    ];
    if (config.staff.totpKeyPrevious) {
      lines.push(
        "Recovery codes made before the TOTP key changed match only while TOTP_ENCRYPTION_KEY_PREVIOUS is set: ask staff to make new ones before removing it.",
      );
    }
    process.stdout.write(`${lines.join("\n")}\n`);
    if (outcome.evidenceKeysUnderUnknownKey > 0 || outcome.secretsNotOpened > 0) {
      process.stderr.write(
        `Not moved: ${outcome.evidenceKeysUnderUnknownKey} evidence data keys wrapped by a key that is not configured, ` +
          `${outcome.secretsNotOpened} sealed secrets that no configured key opens. Keep (or restore) the key that made them.\n`,
      );
      return 1;
    }
    process.stdout.write(
      "Nothing is left under the previous keys: the *_PREVIOUS settings can be removed.\n",
    );
    return 0;
  } finally {
    await db.$disconnect();
    await database.stop();
  }
}

main()
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    if (error instanceof ConfigError) exitWithConfigProblems(error);
    process.stderr.write(`rotate-keys failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
