// The registration token string: generated here (not by the homeserver) so that a retried create can
// send the same string and never make a second token; stored only sealed, and found again by a keyed
// hash (the homeserver's list gives plaintext strings, matched without opening every seal).
import { hkdfSync, randomBytes } from "node:crypto";
import { keyedHash, openSecretWithRing, sealSecret } from "../secrets.js";

const PURPOSE = "matrix-registration-token";

/** 32 random bytes, base64url: 43 characters of [A-Za-z0-9_-], within Synapse's 64-character limit. */
export function generateRegistrationToken(): string {
  return randomBytes(32).toString("base64url");
}

/** A key for this purpose only, derived from the secrets key (TOTP_ENCRYPTION_KEY). */
function sealingKey(secretsKey: Buffer): Buffer {
  return Buffer.from(hkdfSync("sha256", secretsKey, Buffer.alloc(0), `vetting-portal:${PURPOSE}:seal`, 32));
}

export function sealRegistrationToken(secretsKey: Buffer, token: string): string {
  return sealSecret(sealingKey(secretsKey), token);
}

/** `secretsKeys`: one key, or the keyring (totpKeyring), current first: a previous key's seal opens too. */
export function openRegistrationToken(secretsKeys: Buffer | readonly Buffer[], sealed: string): string {
  const ring = Buffer.isBuffer(secretsKeys) ? [secretsKeys] : secretsKeys;
  return openSecretWithRing(ring.map(sealingKey), sealed).plaintext;
}

/** Whether the current key (the ring's first) sealed it; else rotate-keys re-seals it. */
export function isSealedWithCurrentKey(secretsKeys: readonly Buffer[], sealed: string): boolean {
  return openSecretWithRing(secretsKeys.map(sealingKey), sealed).keyIndex === 0;
}

export function registrationTokenLookup(secretsKey: Buffer, token: string): string {
  return keyedHash(secretsKey, `${PURPOSE}:lookup`, token);
}
