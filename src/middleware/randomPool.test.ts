import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { randomString } from "./randomPool.js";

describe("the random pool", () => {
  test("hands out distinct values of the asked size, across refills of the pool", () => {
    // 1000 × 32 bytes is several refills of the 4 KB pool.
    const values = Array.from({ length: 1000 }, () => randomString(32, "base64url"));
    assert.equal(new Set(values).size, 1000);
    for (const value of values) assert.match(value, /^[A-Za-z0-9_-]{43}$/);
    const nonce = randomString(16, "base64");
    assert.equal(Buffer.from(nonce, "base64").length, 16);
  });

  test("never hands out zeros left where a value was taken (a refill happens before the pool runs dry)", () => {
    // Values that straddle the end of the pool would otherwise come out partly blank.
    const zeros = Buffer.alloc(16).toString("base64");
    for (let index = 0; index < 2000; index += 1) assert.notEqual(randomString(16, "base64"), zeros);
  });

  test("refuses more bytes than the pool holds", () => {
    assert.throws(() => randomString(5000, "base64"), RangeError);
  });
});
