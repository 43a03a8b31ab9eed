// The credential primitives staff accounts stand on: sealed secrets, TOTP, recovery codes, passwords.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { keyedHash, openSecret, sealSecret } from "../secrets.js";
import { passwordProblem } from "./password.js";
import { hashRecoveryCode, newRecoveryCodes } from "./recoveryCodes.js";
import { matchTotpCode, newTotpSecret, totpCodeAt, totpQrCode, totpStep, totpUri } from "./totp.js";

const key = randomBytes(32);

describe("sealed secrets", () => {
  test("open what was sealed, refuse a changed byte or another key, and never repeat a ciphertext", () => {
    const sealed = sealSecret(key, "JBSWY3DPEHPK3PXP");
    assert.match(sealed, /^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    assert.ok(!sealed.includes("JBSWY3DPEHPK3PXP"));
    assert.equal(openSecret(key, sealed), "JBSWY3DPEHPK3PXP");
    assert.notEqual(sealSecret(key, "JBSWY3DPEHPK3PXP"), sealed, "a fresh IV every time");
    // One character of the ciphertext changed, always to a different one (the second-to-last: the last may
    // carry padding bits that decoding ignores).
    const replaced = sealed.at(-2) === "A" ? "B" : "A";
    const tampered = `${sealed.slice(0, -2)}${replaced}${sealed.slice(-1)}`;
    assert.notEqual(tampered, sealed);
    assert.throws(() => openSecret(key, tampered));
    assert.throws(() => openSecret(randomBytes(32), sealed));
  });

  test("keyed hashes depend on key and purpose", () => {
    assert.equal(keyedHash(key, "a", "x"), keyedHash(key, "a", "x"));
    assert.notEqual(keyedHash(key, "a", "x"), keyedHash(key, "b", "x"));
    assert.notEqual(keyedHash(key, "a", "x"), keyedHash(randomBytes(32), "a", "x"));
  });
});

describe("TOTP (RFC 6238)", () => {
  test("matches the RFC's SHA-1 test vector", () => {
    // RFC 6238 appendix B: the ASCII secret "12345678901234567890", T = 59 s → 94287082 (8 digits); the
    // 6-digit code is its last six digits.
    const rfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    assert.equal(totpCodeAt(rfcSecret, new Date(59_000)), "287082");
  });

  test("accepts the current step and one either side, once; refuses older steps and other codes", () => {
    const secret = newTotpSecret();
    const now = new Date("2026-11-23T12:00:10Z");
    const step = totpStep(now);
    assert.equal(matchTotpCode(secret, totpCodeAt(secret, now), null, now), step);
    assert.equal(
      matchTotpCode(secret, totpCodeAt(secret, new Date(now.getTime() - 30_000)), null, now),
      step - 1n,
    );
    assert.equal(
      matchTotpCode(secret, totpCodeAt(secret, new Date(now.getTime() + 30_000)), null, now),
      step + 1n,
    );
    assert.equal(
      matchTotpCode(secret, totpCodeAt(secret, new Date(now.getTime() - 90_000)), null, now),
      null,
    );
    assert.equal(matchTotpCode(secret, totpCodeAt(secret, now), step, now), null, "a code works once");
    assert.equal(
      matchTotpCode(secret, totpCodeAt(secret, new Date(now.getTime() - 30_000)), step, now),
      null,
    );
    assert.equal(matchTotpCode(secret, "12345", null, now), null);
    const spaced = totpCodeAt(secret, now).replace(/^(\d{3})/, "$1 ");
    assert.equal(matchTotpCode(secret, spaced, null, now), step, "spaces are ignored");
  });

  test("the enrolment URI and QR code are made locally", async () => {
    const uri = totpUri("JBSWY3DPEHPK3PXP", "ada@example.org", "Vetting Portal");
    assert.match(uri, /^otpauth:\/\/totp\/Vetting%20Portal:ada%40example\.org\?/);
    assert.match(uri, /secret=JBSWY3DPEHPK3PXP/);
    assert.match(await totpQrCode(uri), /^data:image\/png;base64,/);
  });
});

describe("recovery codes", () => {
  test("ten distinct codes; the hash ignores case, spaces and dashes", () => {
    const codes = newRecoveryCodes();
    assert.equal(new Set(codes).size, 10);
    for (const code of codes) assert.match(code, /^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/);
    const [first] = codes;
    assert.ok(first);
    assert.equal(
      hashRecoveryCode(key, first),
      hashRecoveryCode(key, ` ${first.toUpperCase().replace("-", " ")} `),
    );
    assert.notEqual(hashRecoveryCode(key, first), hashRecoveryCode(key, codes[1] ?? ""));
  });
});

describe("password rules", () => {
  const person = { name: "Ada Lovelace", email: "ada@example.org" };
  test("length only: 12 to 128 characters of anything, counted as characters", () => {
    assert.equal(passwordProblem("short", person), "Use at least 12 characters.");
    assert.equal(passwordProblem("x".repeat(129), person), "Use at most 128 characters.");
    assert.equal(passwordProblem("🐢".repeat(12), person), null, "12 emoji are 12 characters");
    assert.equal(passwordProblem("all lower case words here", person), null, "no composition rules");
  });
  test("refuses the common passwords and the person's own name or address", () => {
    assert.match(passwordProblem("qwerty123456", person) ?? "", /too common/);
    assert.match(passwordProblem("1QAZ2wsx3EDC", person) ?? "", /too common/, "whatever the case");
    assert.match(passwordProblem("LOVELACE rules the world", person) ?? "", /name or email/);
  });
});
