// The limits against real Postgres (the rate_limits table), as every instance would share them.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import pg from "pg";
import { createTestDatabase, type TestDatabase } from "../test/postgres.js";
import { createSignInLimits, SIGN_IN_LIMITS, type SignInLimits } from "./signInLimits.js";

let database: TestDatabase;
let pool: pg.Pool;
let limits: SignInLimits;
before(async () => {
  database = await createTestDatabase();
  pool = new pg.Pool({ connectionString: database.url, max: 3 });
  limits = createSignInLimits(pool);
});
after(async () => {
  await pool.end();
  await database.drop();
});
beforeEach(async () => {
  await pool.query("TRUNCATE rate_limits");
});

describe("sign-in limits", () => {
  test("10 consecutive failures per account and IP; the 11th blocks for an hour and says so once", async () => {
    for (let failure = 1; failure <= SIGN_IN_LIMITS.consecutiveFailuresPerAccountAndIp; failure += 1) {
      assert.deepEqual(await limits.recordFailure("Ana@Example.org", "192.0.2.1"), {
        blockedForSeconds: null,
        accountBlocked: false,
      });
    }
    assert.equal(await limits.secondsBlocked("ana@example.org", "192.0.2.1"), null);
    assert.deepEqual(await limits.recordFailure("ana@example.org", "192.0.2.1"), {
      blockedForSeconds: 3600,
      accountBlocked: true,
    });
    const wait = await limits.secondsBlocked("ana@example.org", "192.0.2.1");
    assert.ok(wait !== null && wait > 3590 && wait <= 3600);
    assert.equal(
      await limits.secondsBlocked("ana@example.org", "192.0.2.2"),
      null,
      "another IP is not blocked",
    );
    const again = await limits.recordFailure("ana@example.org", "192.0.2.1");
    assert.equal(again.accountBlocked, false, "the owner hears of one block once");
    const { rows } = await pool.query<{ key: string }>("SELECT key FROM rate_limits");
    assert.ok(
      rows.every((row) => !row.key.includes("example.org")),
      "no addresses in the table",
    );
  });

  test("a complete sign-in starts the account + IP count again", async () => {
    for (let failure = 1; failure <= 9; failure += 1)
      await limits.recordFailure("bo@example.org", "192.0.2.1");
    await limits.recordSuccess("bo@example.org", "192.0.2.1");
    for (let failure = 1; failure <= 10; failure += 1) {
      assert.equal((await limits.recordFailure("bo@example.org", "192.0.2.1")).blockedForSeconds, null);
    }
  });

  test("rotating IPs does not help: 50 failures a day per account, then an hour's block everywhere", async () => {
    for (let failure = 1; failure <= SIGN_IN_LIMITS.failuresPerAccountPerDay; failure += 1) {
      const outcome = await limits.recordFailure("cy@example.org", `198.51.100.${failure}`);
      assert.equal(outcome.blockedForSeconds, null, `failure ${failure}`);
    }
    const blocking = await limits.recordFailure("cy@example.org", "198.51.100.200");
    assert.deepEqual(blocking, { blockedForSeconds: 3600, accountBlocked: true });
    assert.ok((await limits.secondsBlocked("cy@example.org", "203.0.113.9")) !== null);
  });

  test("a remembered browser is not held by the lock on unknown browsers, and its failures do not add to it", async () => {
    for (let failure = 1; failure <= SIGN_IN_LIMITS.failuresPerAccountPerDay + 1; failure += 1) {
      await limits.recordFailure("fay@example.org", `198.51.100.${failure}`);
    }
    assert.ok((await limits.secondsBlocked("fay@example.org", "203.0.113.9")) !== null, "unknown browsers");
    assert.equal(
      await limits.secondsBlocked("fay@example.org", "203.0.113.9", "owners-device-nonce"),
      null,
      "the owner's browser",
    );

    await limits.forgetFailures("fay@example.org", "203.0.113.9");
    for (let failure = 1; failure <= SIGN_IN_LIMITS.failuresPerAccountPerDay + 1; failure += 1) {
      const outcome = await limits.recordFailure(
        "fay@example.org",
        `192.0.2.${failure}`,
        `device-${failure % 9}`,
      );
      assert.equal(outcome.blockedForSeconds, null, `failure ${failure}`);
    }
    assert.equal(
      await limits.secondsBlocked("fay@example.org", "203.0.113.9"),
      null,
      "remembered browsers' failures do not lock unknown browsers out",
    );
  });

  test("a remembered browser has its own limit: 10 failures a day, then that browser is blocked for an hour", async () => {
    for (let failure = 1; failure <= SIGN_IN_LIMITS.failuresPerTrustedDevicePerDay; failure += 1) {
      const outcome = await limits.recordFailure("gus@example.org", `198.51.100.${failure}`, "stolen-nonce");
      assert.deepEqual(outcome, { blockedForSeconds: null, accountBlocked: false }, `failure ${failure}`);
    }
    // From yet another address: the per-address counts are far from their limits.
    assert.deepEqual(await limits.recordFailure("gus@example.org", "198.51.100.99", "stolen-nonce"), {
      blockedForSeconds: 3600,
      accountBlocked: true,
    });
    const wait = await limits.secondsBlocked("gus@example.org", "203.0.113.1", "stolen-nonce");
    assert.ok(wait !== null && wait > 3590 && wait <= 3600, "that browser, from anywhere");
    assert.equal(await limits.secondsBlocked("gus@example.org", "203.0.113.1", "another-nonce"), null);
    assert.equal(await limits.secondsBlocked("gus@example.org", "203.0.113.1"), null, "unknown browsers");
    const again = await limits.recordFailure("gus@example.org", "198.51.100.98", "stolen-nonce");
    assert.equal(again.accountBlocked, false, "the owner hears of one block once");
  });

  test("the per-address limits hold for remembered browsers too", async () => {
    for (let failure = 1; failure <= SIGN_IN_LIMITS.consecutiveFailuresPerAccountAndIp; failure += 1) {
      await limits.recordFailure("hal@example.org", "192.0.2.1", `device-${failure}`);
    }
    const blocking = await limits.recordFailure("hal@example.org", "192.0.2.1", "device-11");
    assert.equal(blocking.blockedForSeconds, 3600);
    assert.ok((await limits.secondsBlocked("hal@example.org", "192.0.2.1", "device-12")) !== null);
  });

  test("one IP trying many accounts: 100 failures a day, then a day's block for that IP", async () => {
    for (let failure = 1; failure <= SIGN_IN_LIMITS.failuresPerIpPerDay; failure += 1) {
      const outcome = await limits.recordFailure(`person${failure}@example.org`, "192.0.2.50");
      assert.equal(outcome.blockedForSeconds, null, `failure ${failure}`);
    }
    const blocking = await limits.recordFailure("someone-else@example.org", "192.0.2.50");
    assert.equal(blocking.blockedForSeconds, 24 * 3600);
    assert.equal(blocking.accountBlocked, false, "no account's owner is to blame");
    const wait = await limits.secondsBlocked("fresh@example.org", "192.0.2.50");
    assert.ok(wait !== null && wait > 23 * 3600);
    assert.equal(await limits.secondsBlocked("fresh@example.org", "192.0.2.51"), null);
  });

  test("after a password reset, the account's earlier failures are forgotten", async () => {
    for (let failure = 1; failure <= 11; failure += 1)
      await limits.recordFailure("di@example.org", "192.0.2.1");
    assert.ok((await limits.secondsBlocked("di@example.org", "192.0.2.1")) !== null);
    await limits.forgetFailures("di@example.org", "192.0.2.1");
    assert.equal(await limits.secondsBlocked("di@example.org", "192.0.2.1"), null);
  });

  test("password reset requests: 3 an hour per address, 20 an hour per IP", async () => {
    const allowed = [];
    for (let request = 1; request <= 4; request += 1)
      allowed.push(await limits.resetRequestForAddress("ed@example.org"));
    assert.deepEqual(allowed, [true, true, true, false]);
    for (let request = 1; request <= SIGN_IN_LIMITS.resetRequestsPerIpPerHour; request += 1) {
      assert.equal(await limits.resetRequestFromIp("192.0.2.9"), null);
    }
    const wait = await limits.resetRequestFromIp("192.0.2.9");
    assert.ok(wait !== null && wait > 3500 && wait <= 3600);
  });
});
