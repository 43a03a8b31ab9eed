// Secrets at rest. sealSecret/openSecret: AES-256-GCM (authenticated: a changed byte fails to open),
// a fresh 96-bit IV per seal, versioned so the scheme can change. keyedHash: HMAC-SHA256 under a key
// derived for one purpose, for short secrets (recovery codes) that must be matched, never read back.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from "node:crypto";

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
