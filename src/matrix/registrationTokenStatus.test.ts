// Live status from the homeserver's list: one call shared by every page view within the cache's life,
// failures cached too (a hanging homeserver costs one timeout per TTL), and every row state mapped.
// Against the fake Synapse over real HTTP; no database needed.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, beforeEach, describe, test } from "node:test";
import { type FakeSynapse, startFakeSynapse } from "../test/fakeSynapse.js";
import { CACHE_TTL_MS, createHomeserverStatusSource, liveStatusOf } from "./registrationTokenStatus.js";
import { createSynapseAdmin } from "./synapseAdmin.js";
import { registrationTokenLookup } from "./tokenSecrets.js";

const key = randomBytes(32);
let synapse: FakeSynapse;
before(async () => {
  synapse = await startFakeSynapse();
});
after(() => synapse.close());
beforeEach(() => synapse.reset());

function sourceAt(clock: { now: number }, errors: unknown[] = []) {
  return createHomeserverStatusSource(createSynapseAdmin(synapse.settings({ requestTimeoutMs: 300 })), key, {
    now: () => clock.now,
    onError: (error) => errors.push(error),
  });
}

describe("the homeserver status source", () => {
  test("one list call serves every view until the cache is 15 s old; invalidate() forgets it", async () => {
    synapse.addToken({ token: "tokenOne" });
    const clock = { now: 1_000_000 };
    const source = sourceAt(clock);
    // Two views at once share the call in flight.
    const [first, second] = await Promise.all([source.snapshot(), source.snapshot()]);
    assert.equal(first, second);
    assert.equal(synapse.requestsTo("list").length, 1);
    clock.now += CACHE_TTL_MS - 1;
    await source.snapshot();
    assert.equal(synapse.requestsTo("list").length, 1, "still cached");
    clock.now += 1;
    await source.snapshot();
    assert.equal(synapse.requestsTo("list").length, 2, "stale after 15 s");
    source.invalidate();
    await source.snapshot();
    assert.equal(synapse.requestsTo("list").length, 3);
    assert.equal(CACHE_TTL_MS, 15_000);
  });

  test("a homeserver that hangs or fails gives null, logged once, cached like an answer", async () => {
    const clock = { now: 1_000_000 };
    const errors: unknown[] = [];
    const source = sourceAt(clock, errors);
    synapse.fail("list", { hang: true });
    assert.equal(await source.snapshot(), null);
    assert.equal(await source.snapshot(), null);
    assert.equal(synapse.requestsTo("list").length, 1);
    assert.equal(errors.length, 1);
    synapse.clearFaults();
    clock.now += CACHE_TTL_MS;
    assert.ok(await source.snapshot(), "back once the cache is stale");
  });

  test("the snapshot holds keyed hashes of the strings, never the strings", async () => {
    synapse.addToken({ token: "secretTokenString" });
    const snapshot = await sourceAt({ now: 0 }).snapshot();
    assert.ok(snapshot);
    assert.deepEqual([...snapshot.keys()], [registrationTokenLookup(key, "secretTokenString")]);
  });
});

describe("liveStatusOf", () => {
  test("maps every state and every homeserver answer", async () => {
    const now = Date.now();
    synapse.addToken({ token: "available", expiry_time: now + 60_000 });
    synapse.addToken({ token: "pendingUse", pending: 1, expiry_time: now + 60_000 });
    synapse.addToken({ token: "used", expiry_time: now + 60_000 });
    synapse.markUsed("used");
    synapse.addToken({ token: "usedThenExpired", expiry_time: now + 60_000 });
    synapse.markUsed("usedThenExpired");
    synapse.markExpired("usedThenExpired");
    synapse.addToken({ token: "expired", expiry_time: now + 60_000 });
    synapse.markExpired("expired");
    synapse.addToken({ token: "neverExpires", expiry_time: null });
    const snapshot = await sourceAt({ now: 0 }).snapshot();
    assert.ok(snapshot);
    const created = (token: string) => ({
      state: "CREATED" as const,
      tokenLookup: registrationTokenLookup(key, token),
    });
    assert.equal(liveStatusOf(created("available"), snapshot), "available");
    assert.equal(liveStatusOf(created("pendingUse"), snapshot), "available");
    assert.equal(liveStatusOf(created("neverExpires"), snapshot), "available");
    assert.equal(liveStatusOf(created("used"), snapshot), "used");
    assert.equal(liveStatusOf(created("usedThenExpired"), snapshot), "used");
    assert.equal(liveStatusOf(created("expired"), snapshot), "expired");
    assert.equal(liveStatusOf(created("deletedElsewhere"), snapshot), "unknown");
    assert.equal(liveStatusOf(created("available"), null), "unavailable");
    // Our own states need no homeserver.
    for (const [state, status] of [
      ["PENDING", "pending"],
      ["FAILED", "failed"],
      ["REVOKED", "revoked"],
    ] as const) {
      assert.equal(liveStatusOf({ state, tokenLookup: "x" }, null), status);
      assert.equal(
        liveStatusOf({ state, tokenLookup: registrationTokenLookup(key, "available") }, snapshot),
        status,
      );
    }
  });
});
