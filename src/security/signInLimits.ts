// Brute-force limits for staff sign-in and password-reset requests, counted in Postgres
// (rate-limiter-flexible's Postgres store, table rate_limits) so that every instance shares them.
//
// Sign-in failures (wrong password, wrong second-factor code) count against three keys:
//   account + IP   10 consecutive failures, then blocked for an hour; a full sign-in resets it
//   IP             100 failures a day, then blocked for a day (one address trying many accounts)
// and, depending on the browser (OWASP's device cookies, security/deviceCookies.ts):
//   account        from browsers without a valid device cookie for the account ("unknown browsers"):
//                  50 failures a day from anywhere, then unknown browsers are blocked for an hour
//                  (rotating IPs does not help)
//   device         from a browser with a valid device cookie for the account: 10 failures a day, then
//                  that cookie is blocked for an hour. Its failures do not count against the account,
//                  and the account's block does not apply to it: whoever fails on purpose to lock an
//                  account out locks out only unknown browsers, never the owner's own.
// A blocked key is refused before any password is checked, the same way whichever key it is, and every
// block lasts the hour (the IP's a day), so the answer does not tell which path an attempt was on.
// Accounts are keyed by a hash of the lower-cased address, so the table holds no email addresses and
// unknown addresses count the same way; devices by the cookie's random nonce.
import { createHash } from "node:crypto";
import type pg from "pg";
import { RateLimiterPostgres, type RateLimiterRes } from "rate-limiter-flexible";

const HOUR_SECONDS = 60 * 60;
const DAY_SECONDS = 24 * HOUR_SECONDS;

export const SIGN_IN_LIMITS = {
  consecutiveFailuresPerAccountAndIp: 10,
  failuresPerAccountPerDay: 50,
  failuresPerTrustedDevicePerDay: 10,
  failuresPerIpPerDay: 100,
  resetRequestsPerIpPerHour: 20,
  resetRequestsPerAddressPerHour: 3,
} as const;

export interface FailureOutcome {
  /** Seconds until the person may try again, when this failure started a block; else null. */
  blockedForSeconds: number | null;
  /**
   * True when this failure blocked the account (for unknown browsers, from this IP, or for the
   * remembered browser it came from): its owner is told.
   */
  accountBlocked: boolean;
}

// trustedDevice: the nonce of the attempt's valid device cookie for this account (trustedDeviceNonce
// in security/deviceCookies.ts), or null for an unknown browser.
export interface SignInLimits {
  /** Seconds to wait when this account (for this browser) or IP is blocked; null when an attempt may go ahead. */
  secondsBlocked(email: string, ipAddress: string, trustedDevice?: string | null): Promise<number | null>;
  recordFailure(email: string, ipAddress: string, trustedDevice?: string | null): Promise<FailureOutcome>;
  /** A complete sign-in: the account + IP counter starts again. */
  recordSuccess(email: string, ipAddress: string): Promise<void>;
  /** After a password reset: the old password's failures no longer matter for this account. */
  forgetFailures(email: string, ipAddress: string): Promise<void>;
  /** Seconds to wait when this IP asked for too many reset links; null when it may ask. */
  resetRequestFromIp(ipAddress: string): Promise<number | null>;
  /** Whether another reset link may be sent to this address now. */
  resetRequestForAddress(email: string): Promise<boolean>;
}

/** Keys never hold the address itself. */
export function accountKey(email: string): string {
  return createHash("sha256").update(email.trim().toLowerCase(), "utf8").digest("hex");
}

/** A limiter on the shared rate_limits table; the other limit modules build theirs with it too. */
export function limiter(
  pool: pg.Pool,
  keyPrefix: string,
  points: number,
  duration: number,
  blockDuration: number,
): RateLimiterPostgres {
  return new RateLimiterPostgres({
    storeClient: pool,
    storeType: "pool",
    tableName: "rate_limits",
    tableCreated: true,
    // Its own timer would query on construction and every few minutes, unawaited; expired rows are
    // purged by the purge_expired_rate_limits job instead.
    clearExpiredByTimeout: false,
    keyPrefix,
    points,
    duration,
    blockDuration,
  });
}

/** A rejection from consume() is a RateLimiterRes; anything else is a store failure to rethrow. */
function isRateLimiterRes(value: unknown): value is RateLimiterRes {
  return typeof value === "object" && value !== null && "msBeforeNext" in value && !(value instanceof Error);
}

/** Counts one use of the key; says whether it went over the limit, and for how long. */
export async function consume(
  limit: RateLimiterPostgres,
  key: string,
): Promise<{ rejected: false } | { rejected: true; seconds: number; isFirstRejection: boolean }> {
  try {
    await limit.consume(key);
    return { rejected: false };
  } catch (rejection) {
    if (isRateLimiterRes(rejection)) {
      return {
        rejected: true,
        seconds: Math.ceil(rejection.msBeforeNext / 1000),
        // Racing requests past a block see larger counts: only the first one reports the block.
        isFirstRejection: rejection.consumedPoints === limit.points + 1,
      };
    }
    throw rejection;
  }
}

export function createSignInLimits(pool: pg.Pool): SignInLimits {
  // Consecutive failures are forgotten after 90 days without one; a success forgets them at once.
  const byAccountAndIp = limiter(
    pool,
    "signin_account_ip",
    SIGN_IN_LIMITS.consecutiveFailuresPerAccountAndIp,
    90 * DAY_SECONDS,
    HOUR_SECONDS,
  );
  const byAccount = limiter(
    pool,
    "signin_account",
    SIGN_IN_LIMITS.failuresPerAccountPerDay,
    DAY_SECONDS,
    HOUR_SECONDS,
  );
  const byDevice = limiter(
    pool,
    "signin_device",
    SIGN_IN_LIMITS.failuresPerTrustedDevicePerDay,
    DAY_SECONDS,
    HOUR_SECONDS,
  );
  const byIp = limiter(pool, "signin_ip", SIGN_IN_LIMITS.failuresPerIpPerDay, DAY_SECONDS, DAY_SECONDS);
  const resetByIp = limiter(pool, "reset_ip", SIGN_IN_LIMITS.resetRequestsPerIpPerHour, HOUR_SECONDS, 0);
  const resetByAddress = limiter(
    pool,
    "reset_account",
    SIGN_IN_LIMITS.resetRequestsPerAddressPerHour,
    HOUR_SECONDS,
    0,
  );
  const pairKey = (email: string, ipAddress: string) => `${accountKey(email)}_${ipAddress}`;
  /** The account-wide counter for unknown browsers, or the remembered browser's own. */
  const browserLimit = (email: string, trustedDevice: string | null | undefined) =>
    trustedDevice ? { limit: byDevice, key: trustedDevice } : { limit: byAccount, key: accountKey(email) };

  return {
    async secondsBlocked(email, ipAddress, trustedDevice = null) {
      const browser = browserLimit(email, trustedDevice);
      const checks: [RateLimiterPostgres, string, number][] = [
        [byAccountAndIp, pairKey(email, ipAddress), SIGN_IN_LIMITS.consecutiveFailuresPerAccountAndIp],
        [browser.limit, browser.key, browser.limit.points],
        [byIp, ipAddress, SIGN_IN_LIMITS.failuresPerIpPerDay],
      ];
      const states = await Promise.all(checks.map(([limit, key]) => limit.get(key)));
      const waits = states.flatMap((state, index) => {
        const points = checks[index]?.[2] ?? 0;
        return state && state.consumedPoints > points ? [Math.ceil(state.msBeforeNext / 1000)] : [];
      });
      return waits.length > 0 ? Math.max(...waits) : null;
    },

    async recordFailure(email, ipAddress, trustedDevice = null) {
      const browser = browserLimit(email, trustedDevice);
      const [pair, forBrowser, ip] = await Promise.all([
        consume(byAccountAndIp, pairKey(email, ipAddress)),
        consume(browser.limit, browser.key),
        consume(byIp, ipAddress),
      ]);
      const waits = [pair, forBrowser, ip].flatMap((outcome) => (outcome.rejected ? [outcome.seconds] : []));
      return {
        blockedForSeconds: waits.length > 0 ? Math.max(...waits) : null,
        accountBlocked:
          (pair.rejected && pair.isFirstRejection) || (forBrowser.rejected && forBrowser.isFirstRejection),
      };
    },

    async recordSuccess(email, ipAddress) {
      await byAccountAndIp.delete(pairKey(email, ipAddress));
    },

    async forgetFailures(email, ipAddress) {
      await Promise.all([
        byAccountAndIp.delete(pairKey(email, ipAddress)),
        byAccount.delete(accountKey(email)),
      ]);
    },

    async resetRequestFromIp(ipAddress) {
      const outcome = await consume(resetByIp, ipAddress);
      return outcome.rejected ? outcome.seconds : null;
    },

    async resetRequestForAddress(email) {
      const outcome = await consume(resetByAddress, accountKey(email));
      return !outcome.rejected;
    },
  };
}
