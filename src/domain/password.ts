// Password rules in one place (NIST SP 800-63B / OWASP ASVS 5 style): length only, no composition rules,
// never truncated, not among the most common passwords, and not built from the person's own name or
// address.
import { pbkdf2, scrypt, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";
import { dictionary } from "@zxcvbn-ts/language-common";
import argon2 from "argon2";
import { englishTranslator, type Translator } from "../i18n/translator.js";

const pbkdf2Async = promisify(pbkdf2);
const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: string,
  keyLength: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

/** About 49 000 passwords seen most often in breaches, from zxcvbn-ts's offline list. */
const COMMON_PASSWORDS = new Set(
  dictionary["passwords-common"].map((password) => String(password).toLowerCase()),
);

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;

/**
 * The problem with a proposed password, or null, said in the translator's language (English by
 * default, for code outside a page). Lengths count Unicode code points.
 */
export function passwordProblem(
  password: string,
  person: { name: string; email: string },
  translator: Translator = englishTranslator(),
): string | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH)
    return translator.t("staff.password.tooShort", { min: PASSWORD_MIN_LENGTH });
  if (length > PASSWORD_MAX_LENGTH)
    return translator.t("staff.password.tooLong", { max: PASSWORD_MAX_LENGTH });
  const lowered = password.toLowerCase();
  if (COMMON_PASSWORDS.has(lowered)) return translator.t("staff.password.common");
  const personalParts = [person.email, person.email.split("@")[0] ?? "", ...person.name.split(/\s+/)]
    .map((part) => part.trim().toLowerCase())
    .filter((part) => [...part].length >= 4);
  if (personalParts.some((part) => lowered.includes(part))) {
    return translator.t("staff.password.personal");
  }
  return null;
}

/**
 * A password being chosen, as every form that chooses one checks it (invitation, reset, profile): the
 * policy first, then whether the confirmation matches. Messages by field; {} when both are fine.
 */
export function newPasswordProblems(
  chosen: { password: string; passwordConfirmation: string },
  person: { name: string; email: string },
  translator: Translator = englishTranslator(),
): { password?: string; passwordConfirmation?: string } {
  const problem = passwordProblem(chosen.password, person, translator);
  if (problem) return { password: problem };
  if (chosen.password !== chosen.passwordConfirmation) {
    return { passwordConfirmation: translator.t("staff.password.mismatch") };
  }
  return {};
}

/** argon2id with the library's defaults (64 MiB, 3 passes), above OWASP's minimum. */
export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id });
}

/**
 * Whether the password matches the stored hash: argon2id, or a Werkzeug hash brought over from the
 * original system (isImportedPasswordHash), which the first sign-in replaces with argon2id.
 */
export function verifyPassword(hash: string, password: string): Promise<boolean> {
  if (isImportedPasswordHash(hash)) return verifyWerkzeugHash(hash, password);
  return argon2.verify(hash, password);
}

/** A hash in Werkzeug's format (`pbkdf2:sha256:<iterations>$<salt>$<hex>` or `scrypt:<n>:<r>:<p>$<salt>$<hex>`). */
export function isImportedPasswordHash(hash: string): boolean {
  return hash.startsWith("pbkdf2:") || hash.startsWith("scrypt:");
}

// Werkzeug's limits are far above these; the caps stop a crafted row from costing minutes or gigabytes.
const MAX_PBKDF2_ITERATIONS = 5_000_000;
const MAX_SCRYPT_MEMORY_BYTES = 512 * 1024 * 1024;

/**
 * Werkzeug's check_password_hash for the two methods it wrote (werkzeug/security.py): the salt is the
 * ASCII text between the `$` signs, used as it is; the digest is hex. PBKDF2-HMAC-SHA256 with the
 * digest's own length, and scrypt with hashlib's default 64 bytes and Werkzeug's maxmem of 132·n·r·p.
 * A hash that does not parse matches nothing.
 */
export async function verifyWerkzeugHash(hash: string, password: string): Promise<boolean> {
  const [method = "", salt = "", digestHex = "", ...rest] = hash.split("$");
  if (rest.length > 0 || salt === "" || !/^(?:[0-9a-f]{2})+$/.test(digestHex)) return false;
  const expected = Buffer.from(digestHex, "hex");
  const [kind, ...parameters] = method.split(":");
  let actual: Buffer;
  if (kind === "pbkdf2") {
    const [hashName, iterationsText] = parameters;
    const iterations = Number(iterationsText);
    if (hashName !== "sha256" || parameters.length !== 2 || !Number.isSafeInteger(iterations)) return false;
    if (iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS || expected.length !== 32) return false;
    actual = await pbkdf2Async(password, salt, iterations, 32, "sha256");
  } else if (kind === "scrypt") {
    const [n, r, p] = parameters.map(Number);
    if (parameters.length !== 3 || n === undefined || r === undefined || p === undefined) return false;
    if (![n, r, p].every((value) => Number.isSafeInteger(value) && value > 0)) return false;
    const maxmem = 132 * n * r * p;
    if (maxmem > MAX_SCRYPT_MEMORY_BYTES || expected.length !== 64) return false;
    try {
      actual = await scryptAsync(password, salt, 64, { N: n, r, p, maxmem });
    } catch {
      return false; // n not a power of two, and such: Werkzeug would raise; here it simply does not match
    }
  } else {
    return false;
  }
  return timingSafeEqual(actual, expected);
}
