import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { loadConfig } from "./config.js";
import { refreshLastSeenIfDue } from "./database/lastSeen.js";
import { createPgPool } from "./database/pgPool.js";
import { createDatabaseAndSqlPool, type Database } from "./db.js";
import { endSessionsOf, loadSession, purgeExpiredSessions, startSession } from "./sessions.js";
import { createTestDatabase, type TestDatabase } from "./test/postgres.js";
import { createStaffMember } from "./test/staff.js";

let database: TestDatabase;
let db: Database;
let sqlPool: pg.Pool;
const config = loadConfig({ NODE_ENV: "test", SESSION_IDLE_MINUTES: "60", SESSION_ABSOLUTE_HOURS: "12" });

before(async () => {
  database = await createTestDatabase();
  ({ db, sqlPool } = createDatabaseAndSqlPool(database.url, {
    poolMax: 3,
    statementTimeoutMs: 10_000,
    connectionTimeoutMs: 5_000,
  }));
});
after(async () => {
  await db.$disconnect();
  await database.drop();
});

const minutes = (count: number) => count * 60_000;

describe("staff sessions", () => {
  test("the cookie value is 256 random bits; only its hash is stored", async () => {
    const member = await createStaffMember(db, config, { role: "VETTING_AGENT" });
    const { token, sessionId } = await db.$transaction((tx) =>
      startSession(tx, { config, staffUserId: member.id, isAuthenticated: true }),
    );
    assert.equal(Buffer.from(token, "base64url").length, 32);
    const row = await db.staffSession.findUniqueOrThrow({ where: { id: sessionId } });
    assert.equal(row.tokenHash, createHash("sha256").update(token).digest("hex"));
    const loaded = await loadSession(db, sqlPool, config, token);
    assert.equal(loaded?.staff?.id, member.id);
  });

  test("a new id replaces the old one, and a pending second-factor session opens nothing", async () => {
    const member = await createStaffMember(db, config, { role: "VETTING_AGENT" });
    const pending = await db.$transaction((tx) =>
      startSession(tx, { config, staffUserId: member.id, isAuthenticated: false }),
    );
    const pendingLoaded = await loadSession(db, sqlPool, config, pending.token);
    assert.equal(pendingLoaded?.session.isAuthenticated, false);
    assert.equal(pendingLoaded?.staff, null);
    const full = await db.$transaction((tx) =>
      startSession(tx, {
        config,
        staffUserId: member.id,
        isAuthenticated: true,
        replacing: pending.sessionId,
      }),
    );
    assert.notEqual(full.token, pending.token);
    assert.equal(await loadSession(db, sqlPool, config, pending.token), null, "the old id is gone");
    assert.ok((await loadSession(db, sqlPool, config, full.token))?.staff);
  });

  test("idle for 60 minutes or older than 12 hours: over, and deleted", async () => {
    const member = await createStaffMember(db, config, { role: "VETTING_AGENT" });
    const start = new Date("2026-11-23T08:00:00Z");
    const { token } = await db.$transaction((tx) =>
      startSession(tx, { config, staffUserId: member.id, isAuthenticated: true, now: start }),
    );
    // Active every 50 minutes: alive until the absolute limit.
    let now = start;
    for (let visit = 0; visit < 14; visit += 1) {
      now = new Date(now.getTime() + minutes(50));
      assert.ok(await loadSession(db, sqlPool, config, token, now), `alive at ${now.toISOString()}`);
    }
    now = new Date(start.getTime() + minutes(12 * 60));
    assert.equal(await loadSession(db, sqlPool, config, token, now), null, "12 hours is the most");

    const idle = await db.$transaction((tx) =>
      startSession(tx, { config, staffUserId: member.id, isAuthenticated: true, now: start }),
    );
    assert.equal(
      await loadSession(db, sqlPool, config, idle.token, new Date(start.getTime() + minutes(61))),
      null,
    );
    assert.equal(await db.staffSession.count({ where: { staffUserId: member.id } }), 0);
  });

  test("lastSeenAt is refreshed once a minute by one request; the session's other requests never wait on its row", async () => {
    const member = await createStaffMember(db, config, { role: "VETTING_AGENT" });
    const start = new Date("2026-11-23T08:00:00Z");
    const { token, sessionId } = await db.$transaction((tx) =>
      startSession(tx, { config, staffUserId: member.id, isAuthenticated: true, now: start }),
    );
    const lastSeen = async () =>
      (await db.staffSession.findUniqueOrThrow({ where: { id: sessionId } })).lastSeenAt.toISOString();
    assert.ok(await loadSession(db, sqlPool, config, token, new Date(start.getTime() + 30_000)));
    assert.equal(await lastSeen(), start.toISOString(), "not due within the minute");

    // Another request holds the row (it is writing lastSeenAt): this one goes on at once. A pool whose
    // statements give up after 2 s waiting for a lock fails here if the refresh waits for the row.
    const holder = new pg.Client({ connectionString: database.url });
    await holder.connect();
    const impatient = createPgPool(database.url, {
      max: 1,
      connectionTimeoutMs: 5_000,
      applicationName: "sessions-test",
      options: "-c lock_timeout=2000",
    });
    try {
      await holder.query("BEGIN");
      await holder.query("SELECT 1 FROM staff_sessions WHERE id = $1 FOR UPDATE", [sessionId]);
      const due = new Date(start.getTime() + minutes(2));
      assert.ok(await loadSession(db, impatient, config, token, due));
      await holder.query("COMMIT");
      assert.equal(await lastSeen(), start.toISOString(), "left to the request holding the row");
      // Twenty requests find it due at once: one writes it, none waits for another.
      const wrote = await Promise.all(
        Array.from({ length: 20 }, () =>
          refreshLastSeenIfDue(sqlPool, "staff_sessions", { id: sessionId, lastSeenAt: start }, due),
        ),
      );
      assert.equal(wrote.filter(Boolean).length, 1);
      assert.equal(await lastSeen(), due.toISOString());
    } finally {
      await holder.end();
      await impatient.end();
    }
  });

  test("ending a person's sessions can spare the current one; the purge job removes expired rows", async () => {
    const member = await createStaffMember(db, config, { role: "SERVER_ADMIN" });
    const sessions = [];
    for (let index = 0; index < 3; index += 1) {
      sessions.push(
        await db.$transaction((tx) =>
          startSession(tx, { config, staffUserId: member.id, isAuthenticated: true }),
        ),
      );
    }
    const [current] = sessions;
    assert.equal(
      await db.$transaction((tx) => endSessionsOf(tx, member.id, { except: current?.sessionId })),
      2,
    );
    assert.ok(await loadSession(db, sqlPool, config, current?.token));

    await db.staffSession.updateMany({ data: { expiresAt: new Date(Date.now() - 1) } });
    assert.ok((await purgeExpiredSessions(db, config)) >= 1);
    assert.equal(await db.staffSession.count(), 0);
  });
});
