// Limits on what the public applicant forms can make us send, counted in Postgres with
// rate-limiter-flexible (table rate_limits, shared by every instance) like the staff limits.
//
//   sign-in links per address   5 an hour; past it nothing more is sent, and the page says the same
//                               thing as always (nobody learns whether the address has a case)
//   sign-in link requests per IP 20 an hour, then a visible "too many requests" (429)
// Applications per address have one limit, RATE_LIMIT_APPLY, counted with every request
// (security/requestLimits.ts, the "apply" tier), not here.
// Addresses are keyed by a hash of the lower-cased address, so the table holds no email addresses.
import type pg from "pg";
import { accountKey, consume, limiter } from "./signInLimits.js";

const HOUR_SECONDS = 60 * 60;

export const APPLICANT_LINK_LIMITS = {
  signInLinksPerAddressPerHour: 5,
  signInRequestsPerIpPerHour: 20,
} as const;

export interface ApplicantLinkLimits {
  /** Seconds to wait when this IP asked for too many sign-in links; null when it may ask. */
  signInRequestFromIp(ipAddress: string): Promise<number | null>;
  /** Whether another sign-in link may be sent to this address now. */
  signInLinkForAddress(email: string): Promise<boolean>;
}

function hourlyLimiter(pool: pg.Pool, keyPrefix: string, points: number) {
  return limiter(pool, keyPrefix, points, HOUR_SECONDS, 0);
}

/** Seconds until the key may be used again when this use is over the limit; null when it is within. */
async function secondsOver(limit: ReturnType<typeof limiter>, key: string): Promise<number | null> {
  const outcome = await consume(limit, key);
  return outcome.rejected ? outcome.seconds : null;
}

export function createApplicantLinkLimits(pool: pg.Pool): ApplicantLinkLimits {
  const signInByAddress = hourlyLimiter(
    pool,
    "applicant_link_address",
    APPLICANT_LINK_LIMITS.signInLinksPerAddressPerHour,
  );
  const signInByIp = hourlyLimiter(
    pool,
    "applicant_link_ip",
    APPLICANT_LINK_LIMITS.signInRequestsPerIpPerHour,
  );

  return {
    signInRequestFromIp: (ipAddress) => secondsOver(signInByIp, ipAddress),
    async signInLinkForAddress(email) {
      return (await secondsOver(signInByAddress, accountKey(email))) === null;
    },
  };
}
