// The migration that added the language of the privacy notice's text to each consent, on a database
// that already holds consents: those to the built-in notice (shown only in English until then) say
// English; those to an operator's notice (one file in a language the portal never knew) stay unknown.
import assert from "node:assert/strict";
import { cp, mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import pg from "pg";
import { createEmptyDatabase, type TestDatabase } from "../test/postgres.js";
import { applyMigrations, migrationsDirectory } from "./migrations.js";

const MIGRATION = "20261207114806_privacy_notice_language";

let database: TestDatabase | undefined;
let before: string | undefined;
after(async () => {
  await database?.drop();
  if (before) await rm(before, { recursive: true, force: true });
});

test("earlier consents to the built-in notice are recorded as English, others as unknown", async () => {
  // The migrations as they stood before this one.
  before = await mkdtemp(path.join(os.tmpdir(), "vp-migrations-"));
  await cp(migrationsDirectory, before, { recursive: true });
  for (const entry of await readdir(before, { withFileTypes: true })) {
    if (entry.isDirectory() && entry.name >= MIGRATION) {
      await rm(path.join(before, entry.name), { recursive: true });
    }
  }
  database = await createEmptyDatabase();
  await applyMigrations(database.url, { migrationsDir: before });

  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const insert = (email: string, version: string | null) =>
      client.query(
        `INSERT INTO vetting_cases (id, state, origin, "fullName", email, statement, "privacyNoticeVersion",
                                    "privacyConsentAt", "updatedAt")
         VALUES (gen_random_uuid(), 'SUBMITTED', 'APPLICANT', 'Someone', $1, 'Hello', $2::text,
                 CASE WHEN $2::text IS NULL THEN NULL ELSE now() END, now())`,
        [email, version],
      );
    await insert("built-in@example.org", "built-in-1");
    await insert("own@example.org", "2026-11");
    await insert("none@example.org", null);

    const { applied } = await applyMigrations(database.url);
    assert.ok(applied.includes(MIGRATION), applied.join(", "));

    const { rows } = await client.query<{ email: string; privacyNoticeLanguage: string | null }>(
      `SELECT email, "privacyNoticeLanguage" FROM vetting_cases ORDER BY email`,
    );
    assert.deepEqual(rows, [
      { email: "built-in@example.org", privacyNoticeLanguage: "en" },
      { email: "none@example.org", privacyNoticeLanguage: null },
      { email: "own@example.org", privacyNoticeLanguage: null },
    ]);
  } finally {
    await client.end();
  }
});
