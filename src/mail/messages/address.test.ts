import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ZRecipientAddress } from "./address.js";

const isAccepted = (address: string) => ZRecipientAddress.safeParse(address).success;

describe("ZRecipientAddress", () => {
  test("accepts ordinary addresses", () => {
    for (const address of [
      "ada@example.org",
      "Ada.Lovelace+vetting@mail.example.co.uk",
      "o'brien@example.ie",
      "first_last-1@sub-domain.example.org",
      "root@localhost",
      "josé@exämple.org",
    ]) {
      assert.ok(isAccepted(address), address);
    }
  });

  test("trims surrounding spaces and returns the clean address", () => {
    assert.equal(ZRecipientAddress.parse("  ada@example.org\t"), "ada@example.org");
  });

  test("refuses each forbidden character", () => {
    for (const address of [
      '"ada"@example.org',
      'ada"@example.org',
      "ada(comment)@example.org",
      "ada)@example.org",
      "<ada@example.org>",
      "Ada <ada@example.org>",
      "ada>@example.org",
      "ada@example.org,bob@example.org",
      "ada@example.org;bob@example.org",
      "ada lovelace@example.org",
      "ada@exam ple.org",
      "ada\\@example.org",
      "ada\r@example.org",
      "ada\n@example.org",
      "ada@example.org\n",
      "\r\nada@example.org",
      "a@b.c\r\nBcc: x@y.z",
    ]) {
      assert.ok(!isAccepted(address), JSON.stringify(address));
    }
  });

  test("refuses what is not a plain local@domain", () => {
    for (const address of [
      "",
      "ada",
      "ada@",
      "@example.org",
      "ada@@example.org",
      "ada@example",
      "ada@example.",
      "ada@.example.org",
      "ada@-example.org",
      "ada@[192.0.2.1]",
      ".ada@example.org",
      "ada.@example.org",
      "a..da@example.org",
      "ada@example..org",
    ]) {
      assert.ok(!isAccepted(address), JSON.stringify(address));
    }
  });

  test("refuses addresses longer than 254 characters and local parts longer than 64", () => {
    const domain = `${["d", "e", "f", "g"].map((letter) => letter.repeat(60)).join(".")}.org`;
    assert.ok(isAccepted(`${"a".repeat(64)}@example.org`));
    assert.ok(!isAccepted(`${"a".repeat(65)}@example.org`));
    assert.ok(isAccepted(`${"a".repeat(254 - domain.length - 1)}@${domain}`));
    assert.ok(!isAccepted(`${"a".repeat(255 - domain.length - 1)}@${domain}`));
  });

  test("gives one message a person can act on", () => {
    const result = ZRecipientAddress.safeParse("a@b.c\r\nBcc: x@y.z");
    assert.deepEqual(
      result.error?.issues.map((issue) => issue.message),
      ["must be a plain email address like name@example.org"],
    );
  });
});
