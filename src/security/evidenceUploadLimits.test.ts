// The hourly upload limits against real Postgres (the shared rate_limits table): per person, wherever
// they upload from, and per IP address, whoever uploads from it.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import pg from "pg";
import { loadConfig } from "../config.js";
import { HttpError } from "../errors.js";
import { catalogTranslator } from "../i18n/translator.js";
import { createTestDatabase, type TestDatabase } from "../test/postgres.js";
import { createEvidenceUploadLimits, type EvidenceUploadLimits } from "./evidenceUploadLimits.js";

let database: TestDatabase;
let pool: pg.Pool;
let limits: EvidenceUploadLimits;
before(async () => {
  database = await createTestDatabase();
  pool = new pg.Pool({ connectionString: database.url, max: 3 });
  const config = loadConfig({
    NODE_ENV: "test",
    DATABASE_URL: database.url,
    PUBLIC_URL: "http://127.0.0.1:3000",
    EVIDENCE_UPLOADS_PER_HOUR: "3",
    EVIDENCE_UPLOADS_PER_HOUR_PER_IP: "5",
  });
  limits = createEvidenceUploadLimits(pool, config);
});
after(async () => {
  await pool.end();
  await database.drop();
});
beforeEach(async () => {
  await pool.query("TRUNCATE rate_limits");
});

async function refusal(attempt: Promise<void>): Promise<HttpError> {
  try {
    await attempt;
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  assert.fail("the upload was allowed");
}

describe("evidence upload limits", () => {
  test("a person may upload 3 times an hour (in tests); the 4th is refused for the rest of the hour, from any address", async () => {
    for (let upload = 1; upload <= 3; upload += 1) {
      await limits.consume({ personKey: "applicant:case-1", ipAddress: `192.0.2.${upload}` });
    }
    const refused = await refusal(
      limits.consume({ personKey: "applicant:case-1", ipAddress: "198.51.100.9" }),
    );
    assert.equal(refused.status, 429);
    assert.equal(refused.id, "rate_limited");
    assert.equal(
      catalogTranslator("en").message(refused.message, refused.messageValues),
      "You have uploaded a lot of files in the last hour. Try again in 60 minutes.",
    );
    assert.equal(
      catalogTranslator("de").message(refused.message, refused.messageValues),
      "Sie haben in der letzten Stunde viele Dateien hochgeladen. Versuchen Sie es in 60 Minuten erneut.",
    );
    const retryAfter = Number(refused.headers["Retry-After"]);
    assert.ok(retryAfter > 3500 && retryAfter <= 3600, String(retryAfter));

    await limits.consume({ personKey: "staff:someone-else", ipAddress: "198.51.100.9" });
  });

  test("an address may send 5 uploads an hour (in tests), whoever sends them", async () => {
    for (let upload = 1; upload <= 5; upload += 1) {
      await limits.consume({ personKey: `applicant:case-${upload}`, ipAddress: "203.0.113.7" });
    }
    const refused = await refusal(
      limits.consume({ personKey: "applicant:case-new", ipAddress: "203.0.113.7" }),
    );
    assert.equal(refused.status, 429);
    assert.match(
      catalogTranslator("en").message(refused.message, refused.messageValues),
      /^You have uploaded a lot of files in the last hour\. Try again in \d+ minutes\.$/,
    );
    await limits.consume({ personKey: "applicant:case-new", ipAddress: "203.0.113.8" });
  });

  test("the counters live in the shared rate_limits table, keyed by person and by address", async () => {
    await limits.consume({ personKey: "staff:abc", ipAddress: "192.0.2.44" });
    const { rows } = await pool.query<{ key: string; points: number }>(
      "SELECT key, points FROM rate_limits ORDER BY key",
    );
    assert.deepEqual(rows, [
      { key: "evidence_upload_ip:192.0.2.44", points: 1 },
      { key: "evidence_upload_person:staff:abc", points: 1 },
    ]);
  });
});
