// The housekeeping jobs, run through the worker's own task list against a real database.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { loadConfig } from "../config.js";
import { createDatabase, type Database } from "../db.js";
import { createLogger } from "../logger.js";
import { createMailRelay } from "../mail/relay.js";
import { startSession } from "../sessions.js";
import { createTestDatabase, type TestDatabase } from "../test/postgres.js";
import { createStaffMember } from "../test/staff.js";
import { testViews } from "../test/views.js";
import { taskList } from "./worker.js";

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

test("expired link tokens, sessions and rate-limit counters are purged; live ones stay", async () => {
  const config = loadConfig({ NODE_ENV: "test", SMTP_HOST: "127.0.0.1" });
  const logger = createLogger({ level: "silent", pretty: false });
  const relay = createMailRelay(
    { host: "127.0.0.1", ports: [9], connectionTimeoutMs: 100, greetingTimeoutMs: 100, socketTimeoutMs: 100 },
    logger,
  );
  const tasks = taskList({ config, db, logger, views: testViews(), relay, throttle: null });
  const run = async (name: string) => {
    const task = tasks[name];
    assert.ok(task, name);
    await task({}, {} as never);
  };
  try {
    const longAgo = new Date(Date.now() - 30 * 24 * 3_600_000);
    await db.linkToken.createMany({
      data: [
        { tokenHash: "old-unused", purpose: "sign_in", expiresAt: longAgo },
        { tokenHash: "old-used", purpose: "sign_in", expiresAt: longAgo, usedAt: longAgo },
        { tokenHash: "live", purpose: "sign_in", expiresAt: new Date(Date.now() + 60_000) },
      ],
    });
    await run("purge_expired_link_tokens");
    assert.deepEqual(
      (await db.linkToken.findMany({ orderBy: { tokenHash: "asc" } })).map((row) => row.tokenHash),
      ["live", "old-used"],
    );

    const member = await createStaffMember(db, config, { role: "VETTING_AGENT" });
    await db.$transaction((tx) =>
      startSession(tx, { config, staffUserId: member.id, isAuthenticated: true }),
    );
    await db.$transaction((tx) =>
      startSession(tx, { config, staffUserId: member.id, isAuthenticated: true, now: longAgo }),
    );
    await run("purge_expired_sessions");
    assert.equal(await db.staffSession.count(), 1);

    await db.rateLimit.createMany({
      data: [
        { key: "expired", points: 3, expire: BigInt(Date.now() - 1000) },
        { key: "live", points: 3, expire: BigInt(Date.now() + 60_000) },
      ],
    });
    await run("purge_expired_rate_limits");
    assert.deepEqual(
      (await db.rateLimit.findMany()).map((row) => row.key),
      ["live"],
    );
  } finally {
    relay.close();
  }
});
