// The CSP violation table stays bounded: the daily job (run through the worker's own task list) deletes
// rows not seen for 90 days, and the dedup window is measured from a row's last sighting.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { CSP_DEDUP_WINDOW_MS, recordCspViolations } from "../commands/operations/recordCspViolations.js";
import { loadConfig } from "../config.js";
import { createDatabase, type Database } from "../db.js";
import type { TCspViolation } from "../domain/cspReports.js";
import { createLogger } from "../logger.js";
import { createMailRelay } from "../mail/relay.js";
import { createTestDatabase, type TestDatabase } from "../test/postgres.js";
import { testViews } from "../test/views.js";
import { CSP_VIOLATION_RETENTION_DAYS } from "./purgeOldCspViolations.js";
import { taskList } from "./worker.js";

const DAY_MS = 24 * 60 * 60 * 1000;

let database: TestDatabase;
let db: Database;
before(async () => {
  database = await createTestDatabase();
  db = createDatabase(database.url, { poolMax: 3, statementTimeoutMs: 10_000, connectionTimeoutMs: 5_000 });
});
after(async () => {
  await db.$disconnect();
  await database.drop();
});

const violation = (blockedUrl: string): TCspViolation => ({
  directive: "img-src",
  blockedUrl,
  documentUrl: "https://portal.example/",
  disposition: "enforce",
  sourceFile: null,
  lineNumber: null,
  columnNumber: null,
  sample: null,
});

test("a row keeps counting while reports come within an hour of its last sighting", async () => {
  const start = new Date("2026-02-01T00:00:00.000Z");
  const later = (ms: number) => new Date(start.getTime() + ms);
  await recordCspViolations(db, [violation("https://slide.example/")], start);
  // Exactly an hour after the last sighting still counts; each report moves the window on.
  await recordCspViolations(db, [violation("https://slide.example/")], later(CSP_DEDUP_WINDOW_MS));
  await recordCspViolations(db, [violation("https://slide.example/")], later(2 * CSP_DEDUP_WINDOW_MS));
  // A millisecond more than an hour of silence starts a new row.
  await recordCspViolations(db, [violation("https://slide.example/")], later(3 * CSP_DEDUP_WINDOW_MS + 1));
  const rows = await db.cspViolation.findMany({
    where: { blockedUrl: "https://slide.example/" },
    orderBy: { firstSeenAt: "asc" },
  });
  assert.deepEqual(
    rows.map((row) => [row.count, row.firstSeenAt.toISOString(), row.lastSeenAt.toISOString()]),
    [
      [3, "2026-02-01T00:00:00.000Z", "2026-02-01T02:00:00.000Z"],
      [1, "2026-02-01T03:00:00.001Z", "2026-02-01T03:00:00.001Z"],
    ],
  );
});

test(`purge_old_csp_violations deletes rows not seen for ${CSP_VIOLATION_RETENTION_DAYS} days`, async () => {
  const now = Date.now();
  await recordCspViolations(
    db,
    [violation("https://old.example/")],
    new Date(now - (CSP_VIOLATION_RETENTION_DAYS + 1) * DAY_MS),
  );
  // First seen long ago, but still seen recently: kept.
  await recordCspViolations(db, [violation("https://ongoing.example/")], new Date(now - 200 * DAY_MS));
  await db.cspViolation.updateMany({
    where: { blockedUrl: "https://ongoing.example/" },
    data: { lastSeenAt: new Date(now - (CSP_VIOLATION_RETENTION_DAYS - 1) * DAY_MS) },
  });
  await recordCspViolations(db, [violation("https://new.example/")], new Date(now));

  const config = loadConfig({ NODE_ENV: "test", SMTP_HOST: "127.0.0.1" });
  const logger = createLogger({ level: "silent", pretty: false });
  const relay = createMailRelay(
    { host: "127.0.0.1", ports: [9], connectionTimeoutMs: 100, greetingTimeoutMs: 100, socketTimeoutMs: 100 },
    logger,
  );
  const task = taskList({
    config,
    db,
    logger,
    views: testViews(),
    relay,
    throttle: null,
  }).purge_old_csp_violations;
  assert.ok(task);
  await task({}, {} as never);
  const left = await db.cspViolation.findMany({ where: { blockedUrl: { not: "https://slide.example/" } } });
  assert.deepEqual(left.map((row) => row.blockedUrl).sort(), [
    "https://new.example/",
    "https://ongoing.example/",
  ]);
});
