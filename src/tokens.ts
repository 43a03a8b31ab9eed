// Single-use link tokens: 256 random bits, base64url, handed out once; only their SHA-256 is stored,
// so a database leak does not hand out working links. A fast hash is enough for 256-bit secrets.
import { createHash, randomBytes } from "node:crypto";

export function generateLinkToken(): { token: string; tokenHash: string } {
  const token = randomBytes(32).toString("base64url");
  return { token, tokenHash: hashLinkToken(token) };
}

export function hashLinkToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Shape check before any database lookup: 43 base64url characters. */
export function isWellFormedLinkToken(value: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(value);
}
