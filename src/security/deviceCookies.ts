// Device cookies for staff sign-in (OWASP, "Slow Down Online Guessing Attacks with Device Cookies").
//
// The problem they solve: an account-wide lock after N failures stops password guessing, but lets
// anyone lock any staff member out by failing on purpose. With device cookies the account-wide lock
// applies only to unknown browsers. A browser that completed a sign-in (password and second factor)
// holds a cookie naming that account, signed by us; an attempt on that account carrying it is exempt
// from the account-wide lock and counts against a limit of its own, keyed by the cookie's nonce
// (security/signInLimits.ts), so a stolen cookie cannot be used to guess either. The per-address limits
// apply to every attempt alike.
//
// Lifecycle: issued (a fresh nonce) after every complete sign-in, replacing the browser's previous one;
// valid for a year from issue; sign-out leaves it (Clear-Site-Data there does not name cookies). The
// value is "<staff user id>.<issued at, seconds>.<nonce>.<signature>", the signature a keyedHash (HMAC
// under a key derived for this purpose from SESSION_SECRET) of the first three parts. Nothing is stored
// per cookie: only the nonces of cookies that failed too often, in the rate-limit store.

import { randomBytes, timingSafeEqual } from "node:crypto";
import type { Context } from "koa";
import type { Config } from "../config.js";
import { isCanonicalUuid } from "../domain/ids.js";
import { keyedHash } from "../secrets.js";

const PURPOSE = "staff-device-cookie";
export const DEVICE_COOKIE_LIFETIME_MS = 365 * 24 * 60 * 60 * 1000;
/** A cookie issued this far in the future (clocks of several instances disagreeing) is still accepted. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

function signature(secret: string, signed: string): string {
  return keyedHash(Buffer.from(secret, "utf8"), PURPOSE, signed);
}

/** A new device cookie value for this account (a fresh nonce each time). */
export function issueDeviceCookie(secret: string, staffUserId: string, now = new Date()): string {
  const nonce = randomBytes(16).toString("base64url");
  const signed = `${staffUserId}.${Math.floor(now.getTime() / 1000)}.${nonce}`;
  return `${signed}.${signature(secret, signed)}`;
}

/**
 * The nonce of a device cookie that we signed for this very account and that is still within its
 * lifetime; null for anything else (no cookie, another account's, altered, forged, expired).
 */
export function trustedDeviceNonce(
  /** The session secret's ring (sessionSecretRing): a cookie signed before a rotation still counts. */
  secrets: string | readonly string[],
  cookieValue: string | null | undefined,
  staffUserId: string,
  now = new Date(),
): string | null {
  if (!cookieValue || cookieValue.length > 200) return null;
  const parts = cookieValue.split(".");
  if (parts.length !== 4) return null;
  const [userId = "", issuedText = "", nonce = "", given = ""] = parts;
  if (!isCanonicalUuid(userId) || !/^\d{1,12}$/.test(issuedText) || !/^[A-Za-z0-9_-]{22}$/.test(nonce)) {
    return null;
  }
  const received = Buffer.from(given, "utf8");
  const isSignedByUs = (typeof secrets === "string" ? [secrets] : secrets).some((secret) => {
    const expected = Buffer.from(signature(secret, `${userId}.${issuedText}.${nonce}`), "utf8");
    return received.length === expected.length && timingSafeEqual(received, expected);
  });
  if (!isSignedByUs) return null;
  if (userId !== staffUserId) return null;
  const age = now.getTime() - Number(issuedText) * 1000;
  if (age > DEVICE_COOKIE_LIFETIME_MS || age < -CLOCK_SKEW_MS) return null;
  return nonce;
}

export function deviceCookieName(config: Config): string {
  // __Secure- cookies must be Secure; unlike __Host-, they may be limited to a path.
  return config.http.publicUrl.protocol === "https:" ? "__Secure-staff_device" : "staff_device";
}

/** The device cookie the browser sent, unverified (trustedDeviceNonce checks it against an account). */
export function deviceCookieFrom(ctx: Context, config: Config): string | null {
  return ctx.cookies.get(deviceCookieName(config)) ?? null;
}

/**
 * Hands the browser its device cookie: only the staff sign-in pages read it (Path=/staff), no script
 * can (HttpOnly), and no other site's page can make the browser send it (SameSite=Strict; the sign-in
 * form posts from our own page).
 */
export function setDeviceCookie(ctx: Context, config: Config, value: string): void {
  const isHttps = config.http.publicUrl.protocol === "https:";
  if (isHttps) ctx.cookies.secure = true; // TLS ends at the proxy in front of us.
  ctx.cookies.set(deviceCookieName(config), value, {
    httpOnly: true,
    sameSite: "strict",
    secure: isHttps,
    path: "/staff",
    maxAge: DEVICE_COOKIE_LIFETIME_MS,
    overwrite: true,
  });
}
