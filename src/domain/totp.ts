// Time-based one-time passwords (RFC 6238: SHA-1, 6 digits, 30 s) with the otpauth library. A code is
// accepted in the current step or one step either side, and only once: the step it matched must be
// later than the last step accepted for that person.
import { Secret, TOTP } from "otpauth";
import QRCode from "qrcode";

const PERIOD_SECONDS = 30;

export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totpFor(secretBase32: string, label = "staff", issuer = "Vetting Portal"): TOTP {
  return new TOTP({
    issuer,
    label,
    algorithm: "SHA1",
    digits: 6,
    period: PERIOD_SECONDS,
    secret: Secret.fromBase32(secretBase32),
  });
}

/** The otpauth:// URI authenticator apps read from the QR code. */
export function totpUri(secretBase32: string, accountName: string, issuer: string): string {
  return totpFor(secretBase32, accountName, issuer).toString();
}

/** The QR code as a PNG data: URL, made here (no external service); the CSP allows img-src data:. */
export function totpQrCode(uri: string): Promise<string> {
  return QRCode.toDataURL(uri, { errorCorrectionLevel: "M", margin: 2, width: 240 });
}

export function totpStep(now: Date): bigint {
  return BigInt(Math.floor(now.getTime() / 1000 / PERIOD_SECONDS));
}

/** The step a code belongs to when it is valid now and newer than lastUsedStep; otherwise null. */
export function matchTotpCode(
  secretBase32: string,
  code: string,
  lastUsedStep: bigint | null,
  now = new Date(),
): bigint | null {
  const digits = code.replace(/\s+/g, "");
  if (!/^\d{6}$/.test(digits)) return null;
  const delta = totpFor(secretBase32).validate({ token: digits, timestamp: now.getTime(), window: 1 });
  if (delta === null) return null;
  const step = totpStep(now) + BigInt(delta);
  return lastUsedStep !== null && step <= lastUsedStep ? null : step;
}

/** For tests and the enrolment page's self-check: the code for a moment. */
export function totpCodeAt(secretBase32: string, at: Date): string {
  return totpFor(secretBase32).generate({ timestamp: at.getTime() });
}
