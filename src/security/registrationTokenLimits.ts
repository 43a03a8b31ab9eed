// Limits on Matrix registration tokens, counted in Postgres with rate-limiter-flexible (table
// rate_limits, shared by every instance) like the other per-account limits:
//
//   standalone token requests     5 an hour and 20 a day per requesting admin (counted when asked,
//   per admin                     so that a request refused later still counts: approvals are not
//                                 counted), then a page that says which limit and how long to wait (429)
//   new reveal links per address  5 an hour; past it nothing more is sent, and the page says the same
//                                 thing as always (nobody learns whether the address was invited)
//   new reveal link requests per IP 20 an hour, then a visible "too many requests" (429)
// Addresses are keyed by a hash of the lower-cased address, so the table holds no email addresses.
import type pg from "pg";
import { rateLimited } from "../errors.js";
import { accountKey, consume, limiter } from "./signInLimits.js";

const HOUR_SECONDS = 60 * 60;
const DAY_SECONDS = 24 * HOUR_SECONDS;

export const REGISTRATION_TOKEN_LIMITS = {
  standalonePerAdminPerHour: 5,
  standalonePerAdminPerDay: 20,
  revealLinksPerAddressPerHour: 5,
  revealLinkRequestsPerIpPerHour: 20,
} as const;

export interface RegistrationTokenLimits {
  /** Counts one standalone token request by this admin; throws rateLimited (429) past 5 an hour or 20 a day. */
  consumeStandaloneTokenRequest(staffUserId: string): Promise<void>;
  /** Seconds to wait when this IP asked for too many new links; null when it may ask. */
  revealLinkRequestFromIp(ipAddress: string): Promise<number | null>;
  /** Whether another reveal link may be sent to this address now. */
  revealLinkForAddress(email: string): Promise<boolean>;
}

function waitInWords(seconds: number): string {
  if (seconds < 3600) {
    const minutes = Math.max(1, Math.ceil(seconds / 60));
    return `${minutes} ${minutes === 1 ? "minute" : "minutes"}`;
  }
  const hours = Math.ceil(seconds / 3600);
  return `${hours} ${hours === 1 ? "hour" : "hours"}`;
}

export function createRegistrationTokenLimits(pool: pg.Pool): RegistrationTokenLimits {
  const standaloneHourly = limiter(
    pool,
    "matrix_token_admin_hour",
    REGISTRATION_TOKEN_LIMITS.standalonePerAdminPerHour,
    HOUR_SECONDS,
    0,
  );
  const standaloneDaily = limiter(
    pool,
    "matrix_token_admin_day",
    REGISTRATION_TOKEN_LIMITS.standalonePerAdminPerDay,
    DAY_SECONDS,
    0,
  );
  const revealByAddress = limiter(
    pool,
    "matrix_reveal_address",
    REGISTRATION_TOKEN_LIMITS.revealLinksPerAddressPerHour,
    HOUR_SECONDS,
    0,
  );
  const revealByIp = limiter(
    pool,
    "matrix_reveal_ip",
    REGISTRATION_TOKEN_LIMITS.revealLinkRequestsPerIpPerHour,
    HOUR_SECONDS,
    0,
  );

  return {
    async consumeStandaloneTokenRequest(staffUserId) {
      // Every attempt counts in both windows, refused ones too:
      // someone past the hourly limit cannot keep trying without also using up the day.
      const [hourly, daily] = await Promise.all([
        consume(standaloneHourly, staffUserId),
        consume(standaloneDaily, staffUserId),
      ]);
      if (daily.rejected) {
        throw rateLimited(
          daily.seconds,
          `You have asked for ${REGISTRATION_TOKEN_LIMITS.standalonePerAdminPerDay} registration tokens in the last 24 hours, the most one person may. Try again in ${waitInWords(daily.seconds)}.`,
        );
      }
      if (hourly.rejected) {
        throw rateLimited(
          hourly.seconds,
          `You have asked for ${REGISTRATION_TOKEN_LIMITS.standalonePerAdminPerHour} registration tokens in the last hour, the most one person may. Try again in ${waitInWords(hourly.seconds)}.`,
        );
      }
    },
    async revealLinkRequestFromIp(ipAddress) {
      const outcome = await consume(revealByIp, ipAddress);
      return outcome.rejected ? outcome.seconds : null;
    },
    async revealLinkForAddress(email) {
      return !(await consume(revealByAddress, accountKey(email))).rejected;
    },
  };
}
