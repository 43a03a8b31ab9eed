// Werkzeug's password hashes, as the original system stored them, checked against hashes made by
// Werkzeug itself (3.1.8: generate_password_hash(password, "pbkdf2:sha256:260000") and
// generate_password_hash(password, "scrypt")), so the check does not merely agree with itself.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { hashPassword, isImportedPasswordHash, verifyPassword, verifyWerkzeugHash } from "./password.js";

const PASSWORD = "Corr3ct horse ☃ battery";
const WERKZEUG_PBKDF2 =
  "pbkdf2:sha256:260000$1ogYLr2vzm5ohv8X$de9a50055c51b103ef3eade2af967ec978c23c28e1b5f53375509549660c5421";
const WERKZEUG_SCRYPT =
  "scrypt:32768:8:1$4mx6I9Off0PNbFLQ$697fdb4c13b2db0de7702a40d2e35bb0094e84857a4050a535d95a6ad382aa64b369c81cadc5bf6c0597a1f787e3429db63b9fb30caf10d1dfc68ee05fcd62d3";

describe("passwords brought over from the original system", () => {
  test("Werkzeug's pbkdf2:sha256 and scrypt hashes accept the password and nothing else", async () => {
    assert.equal(await verifyPassword(WERKZEUG_PBKDF2, PASSWORD), true);
    assert.equal(await verifyPassword(WERKZEUG_SCRYPT, PASSWORD), true);
    assert.equal(await verifyPassword(WERKZEUG_PBKDF2, `${PASSWORD} `), false);
    assert.equal(await verifyPassword(WERKZEUG_SCRYPT, PASSWORD.replace("☃", "*")), false);
  });

  test("a hash that does not parse, or asks for absurd work, matches nothing", async () => {
    for (const hash of [
      "pbkdf2:sha256:260000$salt",
      "pbkdf2:sha1:260000$salt$00",
      `pbkdf2:sha256:999999999$salt$${"00".repeat(32)}`,
      `scrypt:1048576:64:64$salt$${"00".repeat(64)}`,
      `scrypt:1000:8:1$salt$${"00".repeat(64)}`,
      "plain$$secret",
      "scrypt:32768:8:1$salt$zz",
    ]) {
      assert.equal(await verifyWerkzeugHash(hash, PASSWORD), false, hash);
    }
  });

  test("only Werkzeug's formats count as imported; argon2id is the portal's own", async () => {
    assert.equal(isImportedPasswordHash(WERKZEUG_PBKDF2), true);
    assert.equal(isImportedPasswordHash(WERKZEUG_SCRYPT), true);
    const own = await hashPassword(PASSWORD);
    assert.equal(isImportedPasswordHash(own), false);
    assert.equal(await verifyPassword(own, PASSWORD), true);
  });
});
