// Request limits for test environments. Suites and the Playwright portal make hundreds of requests a
// minute from 127.0.0.1, which the production defaults (30/minute) would refuse. The limiter still
// runs and counts every request, with limits no suite reaches; the request-limit tests set their own.
const PLENTY = "1000000";

export const GENEROUS_RATE_LIMITS: Record<string, string> = {
  RATE_LIMIT_PER_MINUTE: PLENTY,
  RATE_LIMIT_PER_HOUR: PLENTY,
  RATE_LIMIT_PER_DAY: PLENTY,
  RATE_LIMIT_STAFF: `${PLENTY}/minute`,
  RATE_LIMIT_APPLY: `${PLENTY}/hour`,
  RATE_LIMIT_LINK_REQUESTS: `${PLENTY}/minute`,
  RATE_LIMIT_SIGN_IN: `${PLENTY}/minute`,
  RATE_LIMIT_UPLOADS: `${PLENTY}/minute`,
  RATE_LIMIT_CSP_REPORTS: `${PLENTY}/minute`,
  RATE_LIMIT_CSP_REPORTS_ALL: `${PLENTY}/minute`,
};
