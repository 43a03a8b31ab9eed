// Random bytes for the per-request values (the CSP nonce, the CSRF cookie's seed), taken from a pool
// filled by the CSPRNG a few kilobytes at a time. crypto.randomBytes(16) asks OpenSSL for 16 bytes on
// every call, and that call, not the bytes, was a measurable share of a public page's time (npm run
// bench, figure 1, profiled with --cpu-prof). Node's own randomUUID() keeps a pool the same way. Every
// byte is handed out once; the values stay as unpredictable as randomBytes' own.
import { randomFillSync } from "node:crypto";

const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let offset = POOL_BYTES;

/** `size` fresh random bytes (at most the pool's size), encoded. */
export function randomString(size: number, encoding: "base64" | "base64url"): string {
  if (size > POOL_BYTES) throw new RangeError(`at most ${POOL_BYTES} random bytes at a time`);
  if (offset + size > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const value = pool.toString(encoding, offset, offset + size);
  // Used bytes are wiped, so the pool never holds a value already handed out.
  pool.fill(0, offset, offset + size);
  offset += size;
  return value;
}
