// Secrets at rest. sealSecret/openSecret: AES-256-GCM (authenticated: a changed byte fails to open),
// a fresh 96-bit IV per seal, versioned so the scheme can change. keyedHash: HMAC-SHA256 under a key
// derived for one purpose, for short secrets (recovery codes) that must be matched, never read back.
//
// Keys rotate with a keyring: the current key seals and signs; the previous one (TOTP_ENCRYPTION_KEY_
// PREVIOUS, SESSION_SECRET_PREVIOUS) still opens and verifies what it made, until `npm run rotate-keys`
// has re-sealed everything stored under it and the operator removes it.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from "node:crypto";
import type { Config } from "./config.js";

const VERSION = "v1";

export function sealSecret(key: Buffer, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
  return `${VERSION}.${iv.toString("base64url")}.${ciphertext.toString("base64url")}`;
}

export function openSecret(key: Buffer, sealed: string): string {
  const [version, ivText, payloadText] = sealed.split(".");
  if (version !== VERSION || !ivText || !payloadText) throw new Error("Unrecognised sealed secret");
  const payload = Buffer.from(payloadText, "base64url");
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(ivText, "base64url"));
  decipher.setAuthTag(payload.subarray(payload.length - 16));
  return Buffer.concat([
    decipher.update(payload.subarray(0, payload.length - 16)),
    decipher.final(),
  ]).toString("utf8");
}

export function keyedHash(key: Buffer, purpose: string, value: string): string {
  const purposeKey = Buffer.from(hkdfSync("sha256", key, Buffer.alloc(0), `vetting-portal:${purpose}`, 32));
  return createHmac("sha256", purposeKey).update(value, "utf8").digest("hex");
}

/** The TOTP secrets key and, during a rotation, the one before it: current first. */
export function totpKeyring(staff: Pick<Config["staff"], "totpKey" | "totpKeyPrevious">): Buffer[] {
  return staff.totpKeyPrevious ? [staff.totpKey, staff.totpKeyPrevious] : [staff.totpKey];
}

/** The session secret and, during a rotation, the one before it: current first. */
export function sessionSecretRing(config: Pick<Config, "sessionSecret" | "sessionSecretPrevious">): string[] {
  return config.sessionSecretPrevious
    ? [config.sessionSecret, config.sessionSecretPrevious]
    : [config.sessionSecret];
}

/**
 * Opens a sealed secret with the first key of the ring that opens it. `keyIndex` says which: 0 is the
 * current key; anything else needs re-sealing (rotate-keys).
 */
export function openSecretWithRing(
  keys: readonly Buffer[],
  sealed: string,
): { plaintext: string; keyIndex: number } {
  let lastError: unknown = new Error("No key to open a sealed secret");
  for (const [keyIndex, key] of keys.entries()) {
    try {
      return { plaintext: openSecret(key, sealed), keyIndex };
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}
