// Ten single-use recovery codes per person, shown once. 50 random bits each (10 characters of
// Crockford base32, grouped 5-5); sign-in attempts are rate-limited, and only keyed hashes are stored.
import { randomBytes } from "node:crypto";
import { keyedHash } from "../secrets.js";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
export const RECOVERY_CODE_COUNT = 10;

export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const bytes = randomBytes(10);
    const characters = [...bytes].map((byte) => ALPHABET[byte % 32]).join("");
    return `${characters.slice(0, 5)}-${characters.slice(5, 10)}`;
  });
}

/** Case, spaces and dashes do not matter when a person types a code. */
export function hashRecoveryCode(key: Buffer, code: string): string {
  return keyedHash(key, "recovery-code", code.toLowerCase().replace(/[\s-]/g, ""));
}
