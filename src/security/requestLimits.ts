// Tiered limits on every request (after static files and health probes), per client address, counted in
// a store every instance shares so that N instances do not give N times the limit.
//
//   every request        config.rateLimits.perClient: 30/minute, 300/hour, 1000/day by default (more
//                        than a person clicks, far less than a script sends)
//   signed-in staff      instead, per account: config.rateLimits.perStaffAccount (RATE_LIMIT_STAFF),
//                        so that reviewers sharing an office address do not share one budget
//   stricter tiers       on top, for the routes below (REQUEST_TIERS: the one table of them)
//
// These count requests. The semantic limits (signInLimits, applicantLinkLimits, evidenceUploadLimits)
// count other things (failed sign-ins per account, links per email address, uploads per case) and stay.
//
// The store is the rate_limits table (rate-limiter-flexible's Postgres layout, already shared by the
// other limits) or Redis (RATE_LIMIT_STORE=redis). A request touches up to seven counters (three
// windows of every request, up to two of a route tier, two of a global tier) and the store is asked
// ONCE for all of them: rate-limiter-flexible has no limiter that counts several windows in one
// statement (each RateLimiterPostgres/RateLimiterRedis consume() is one round trip, RateLimiterUnion
// runs one per limiter, BurstyRateLimiter two in sequence), so the counting is done here as one
// multi-row upsert with the same expire semantics, or one Lua script.
//
// When the store fails or does not answer within config.rateLimits.storeTimeoutMs, an in-memory
// insurance limiter (rate-limiter-flexible's RateLimiterMemory, same windows) decides for this process,
// and the failure is logged as a control failure (once, then at most once a minute while it lasts).
// The store is then left alone for a moment (STORE_RETRY_MS) and tried again by one request at a time,
// instead of making every request wait for the timeout. While the store answers, its answer is final: an over-limit request is refused.
import { once } from "node:events";
import type { Redis } from "ioredis";
import ipaddr from "ipaddr.js";
import type pg from "pg";
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import type { Config, LimitWindowSetting } from "../config.js";
import { createPgPool } from "../database/pgPool.js";
import type { Logger } from "../logger.js";
import { isEvidenceUploadPath, urls } from "../urls.js";

type RateLimitSettings = Config["rateLimits"];

/** Who shares a tier's counters: each client address, each staff account, or everyone together. */
type TierScope = "client" | "account" | "all";

interface TierDefinition {
  name: string;
  scope: TierScope;
  windows: (settings: RateLimitSettings) => LimitWindowSetting[];
  /** Called with the upper-case method and the normalised path (lower case, no trailing slash). */
  appliesTo: (method: string, path: string) => boolean;
}

const postTo =
  (...paths: string[]) =>
  (method: string, path: string) =>
    method === "POST" && paths.includes(path);

/** The stricter tiers: which requests, counted how, with which setting (numbers in config.ts). */
export const REQUEST_TIERS: readonly TierDefinition[] = [
  // 10 an hour by default: each application emails a confirmation link to a typed address.
  { name: "apply", scope: "client", windows: (s) => s.routes.apply, appliesTo: postTo(urls.apply()) },
  // Forms that email a link to an address the visitor typed.
  {
    name: "link-requests",
    scope: "client",
    windows: (s) => s.routes.linkRequests,
    appliesTo: postTo(
      urls.applicantSignInRequest(),
      urls.staffForgotPassword(),
      urls.registrationTokenLinkRequest(),
    ),
  },
  // 5 a minute, 20 an hour by default: enough for a person who mistypes, not for guessing. Every
  // sign-in step shares it, the passkey ones (asking for a challenge, answering it) included.
  {
    name: "sign-in",
    scope: "client",
    windows: (s) => s.routes.signIn,
    appliesTo: postTo(
      urls.staffSignIn(),
      urls.staffSignInVerify(),
      urls.staffSignInPasskey(),
      urls.staffSignInPasskeyCheck(),
      urls.staffSignInVerifyPasskey(),
      urls.staffSignInVerifyPasskeyCheck(),
    ),
  },
  {
    name: "uploads",
    scope: "client",
    windows: (s) => s.routes.uploads,
    appliesTo: (method, path) => method === "POST" && isEvidenceUploadPath(path),
  },
  // Anyone can post reports: per address, and a ceiling for all addresses together so that a botnet
  // cannot fill the table.
  {
    name: "csp-reports",
    scope: "client",
    windows: (s) => s.routes.cspReports,
    appliesTo: postTo(urls.cspReport()),
  },
  {
    name: "csp-reports-all",
    scope: "all",
    windows: (s) => s.routes.cspReportsAll,
    appliesTo: postTo(urls.cspReport()),
  },
];

/** After a store failure, requests are decided in memory for this long before the store is tried again. */
export const STORE_RETRY_MS = 1_000;
/** While the store keeps failing, the control failure is logged again at most this often. */
const FAILURE_LOG_INTERVAL_MS = 60_000;

const WINDOW_NAMES: Record<number, string> = { 60: "minute", 3600: "hour", 86400: "day" };

// ---------- the store ----------

export interface CounterIncrement {
  key: string;
  windowMs: number;
}

export interface CounterState {
  /** Requests counted in the current window, this one included. */
  points: number;
  msBeforeNext: number;
}

/** Counters shared by every instance. */
export interface RequestCounterStore {
  readonly kind: "postgres" | "redis";
  /**
   * Adds one to every counter in ONE round trip; a counter whose window has ended (or that does not
   * exist) starts a new window of windowMs.
   */
  increment(counters: readonly CounterIncrement[]): Promise<Map<string, CounterState>>;
}

// rate-limiter-flexible's own upsert (RateLimiterPostgres._upsert), for many keys at once and by any
// number of points: a counter past its expire starts again at the points added with a new expire,
// otherwise it goes up by them. Keys are sorted before they are sent, so two statements sharing
// counters (a client's, or the global tier's) lock their rows in the same order and cannot deadlock.
const INCREMENT_SQL = `
  INSERT INTO rate_limits AS counter (key, points, expire)
  SELECT fresh.key, fresh.points, fresh.expire
  FROM unnest($1::varchar[], $2::bigint[], $3::int[]) WITH ORDINALITY AS fresh(key, expire, points, position)
  ORDER BY fresh.position
  ON CONFLICT (key) DO UPDATE SET
    points = CASE WHEN counter.expire <= $4::bigint THEN EXCLUDED.points ELSE counter.points + EXCLUDED.points END,
    expire = CASE WHEN counter.expire <= $4::bigint THEN EXCLUDED.expire ELSE counter.expire END
  RETURNING counter.key, counter.points, counter.expire`;

interface PendingIncrement {
  counters: readonly CounterIncrement[];
  resolve: (states: Map<string, CounterState>) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: one statement at a time per process. Requests that arrive while a statement is on the
 * wire wait for it to return and are then counted together in the next one, each counter once with
 * the sum of its increments; every request still gets its own exact count (the n requests of one
 * counter in a statement get its new total − n + 1 … its new total, in arrival order) from the shared
 * store. Idle, a request costs one statement as before; under load, one statement counts many
 * requests, which is what keeps the limiter's share of a busy page small (npm run bench, figure 1:
 * a statement per request cost the cheapest page a third of its throughput, mostly Postgres's own CPU
 * per statement on the same cores).
 */
export function postgresCounterStore(pool: pg.Pool): RequestCounterStore {
  let waiting: PendingIncrement[] = [];
  let isStatementInFlight = false;

  async function countBatch(batch: PendingIncrement[]): Promise<void> {
    // Each key once, with how many of this batch's requests count it.
    const totals = new Map<string, { windowMs: number; points: number }>();
    for (const pending of batch) {
      for (const counter of pending.counters) {
        const total = totals.get(counter.key);
        if (total) total.points += 1;
        else totals.set(counter.key, { windowMs: counter.windowMs, points: 1 });
      }
    }
    const keys = [...totals.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const now = Date.now();
    try {
      const result = await pool.query<{ key: string; points: number; expire: string }>({
        name: "request-limits-increment",
        text: INCREMENT_SQL,
        values: [
          keys,
          keys.map((key) => now + (totals.get(key)?.windowMs ?? 0)),
          keys.map((key) => totals.get(key)?.points ?? 0),
          now,
        ],
      });
      const answeredAt = Date.now();
      const stored = new Map(result.rows.map((row) => [row.key, row]));
      // Hand out the counts in arrival order: the first request of a key gets the lowest.
      const handedOut = new Map<string, number>();
      for (const pending of batch) {
        const states = new Map<string, CounterState>();
        for (const counter of pending.counters) {
          const row = stored.get(counter.key);
          const added = totals.get(counter.key)?.points ?? 1;
          const before = handedOut.get(counter.key) ?? 0;
          handedOut.set(counter.key, before + 1);
          states.set(counter.key, {
            points: (row?.points ?? 0) - added + before + 1,
            msBeforeNext: Math.max(Number(row?.expire ?? 0) - answeredAt, 0),
          });
        }
        pending.resolve(states);
      }
    } catch (error) {
      for (const pending of batch) pending.reject(error);
    }
  }

  async function drain(): Promise<void> {
    isStatementInFlight = true;
    while (waiting.length > 0) {
      const batch = waiting;
      waiting = [];
      await countBatch(batch);
    }
    isStatementInFlight = false;
  }

  return {
    kind: "postgres",
    increment(counters) {
      return new Promise((resolve, reject) => {
        waiting.push({ counters, resolve, reject });
        if (!isStatementInFlight) void drain();
      });
    },
  };
}

// rate-limiter-flexible's Redis script (RateLimiterRedis incrTtlLuaScript), looped over the keys: a
// script runs atomically, so concurrent requests on any number of instances each see their own count.
// (On Redis Cluster all keys of one call would have to share a hash slot; a single Redis is assumed.)
const INCREMENT_LUA = `
local result = {}
for index, key in ipairs(KEYS) do
  local windowMs = tonumber(ARGV[index])
  redis.call('set', key, 0, 'PX', windowMs, 'NX')
  local points = redis.call('incr', key)
  local ttl = redis.call('pttl', key)
  if ttl < 0 then
    redis.call('pexpire', key, windowMs)
    ttl = windowMs
  end
  result[#result + 1] = points
  result[#result + 1] = ttl
end
return result`;

type RedisWithIncrement = Redis & {
  incrementRequestCounters(numberOfKeys: number, ...args: (string | number)[]): Promise<number[]>;
};

export function redisCounterStore(redis: Redis): RequestCounterStore {
  // ioredis sends EVALSHA and falls back to EVAL once when the script is not cached (after a restart).
  redis.defineCommand("incrementRequestCounters", { lua: INCREMENT_LUA });
  const client = redis as RedisWithIncrement;
  return {
    kind: "redis",
    async increment(counters) {
      const reply = await client.incrementRequestCounters(
        counters.length,
        ...counters.map((counter) => counter.key),
        ...counters.map((counter) => counter.windowMs),
      );
      return new Map(
        counters.map((counter, index) => [
          counter.key,
          {
            points: Number(reply[index * 2]),
            msBeforeNext: Math.max(Number(reply[index * 2 + 1]), 0),
          },
        ]),
      );
    },
  };
}

/**
 * The configured store: the rate_limits table through the given pool, or a Redis connection of its
 * own (closed by close()). A Redis that is down at start is not fatal: the insurance limiter decides
 * until it answers, and ioredis keeps reconnecting.
 */
export async function openRequestCounterStore(
  settings: RateLimitSettings,
  deps: { pool: pg.Pool; logger: Logger },
): Promise<{ store: RequestCounterStore; close(): Promise<void> }> {
  if (settings.store.kind === "postgres") {
    // Open the pool's connections now rather than inside the first requests' time limit.
    await Promise.all(
      Array.from({ length: deps.pool.options.max ?? 1 }, () => deps.pool.query("SELECT 1").catch(() => {})),
    );
    return { store: postgresCounterStore(deps.pool), close: async () => {} };
  }
  // ioredis is loaded only by deployments that count in Redis.
  const { Redis } = await import("ioredis");
  const redis = new Redis(settings.store.url, {
    connectionName: "vetting-portal-limits",
    // Fail at once while disconnected instead of queueing: the insurance limiter decides meanwhile.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 5_000,
  });
  redis.on("error", (error: Error) =>
    deps.logger.debug({ category: "security", err: error }, "rate-limit Redis connection error"),
  );
  const ready = once(redis, "ready").then(() => true);
  const gaveUp = new Promise<false>((resolve) => setTimeout(() => resolve(false), 5_000).unref());
  if (!(await Promise.race([ready, gaveUp]))) {
    deps.logger.warn(
      { category: "security" },
      "rate-limit Redis not reachable at start: in-memory limits until it answers",
    );
  }
  return {
    store: redisCounterStore(redis),
    async close() {
      if (redis.status === "ready") await redis.quit();
      else redis.disconnect();
    },
  };
}

/**
 * The pg pool the request limits count through (and the sign-in, link and upload limits), apart from
 * the application's: every request uses it, and it must not wait behind a page's queries.
 */
export function createRateLimitPool(
  connectionString: string,
  options: { connectionTimeoutMs: number; queryTimeoutMs?: number },
): pg.Pool {
  return createPgPool(connectionString, {
    max: 5,
    // Counters only: a commit need not wait for its WAL flush (a crash may lose the last few
    // milliseconds of counts, which is harmless), so a limit costs one quick round trip.
    options: "-c synchronous_commit=off",
    connectionTimeoutMs: options.connectionTimeoutMs,
    // The limiter stops waiting after RATE_LIMIT_STORE_TIMEOUT_MS (the insurance limiter decides); this
    // ends the statement itself, so that the group commit's next batch is not stuck behind it.
    queryTimeoutMs: options.queryTimeoutMs,
    applicationName: "vetting-portal-limits",
  });
}

// ---------- the limiter ----------

export interface WindowState {
  tier: string;
  /** The RateLimit-Policy name: "minute", "hour", "day" for every request; "sign-in-minute", … */
  policy: string;
  limit: number;
  windowSeconds: number;
  consumed: number;
  remaining: number;
  /** Seconds until this window starts again. */
  resetSeconds: number;
}

export interface LimitDecision {
  allowed: boolean;
  /** Every window that counted this request, in tier order. */
  windows: WindowState[];
  /**
   * The window to report: when refused, the exceeded one that resets last (what Retry-After says);
   * otherwise the one with the fewest requests left.
   */
  binding: WindowState;
  decidedBy: "store" | "insurance";
}

export interface RequestLimiter {
  readonly storeKind: RequestCounterStore["kind"];
  /**
   * Counts the request. With staffAccountId (a signed-in staff member), its every-request windows are
   * the account's (perStaffAccount) instead of the address's; the stricter tiers count per address.
   */
  check(request: {
    method: string;
    path: string;
    clientAddress: string;
    staffAccountId?: string | null;
  }): Promise<LimitDecision>;
}

interface CounterDefinition {
  tier: string;
  scope: TierScope;
  policy: string;
  keyPrefix: string;
  limit: number;
  windowSeconds: number;
  insurance: RateLimiterMemory;
}

interface CountedWindow {
  definition: CounterDefinition;
  /** The client's key, or "all" for a global tier. */
  partition: string;
  key: string;
}

/** The exceeded window a refused client must wait for longest: what Retry-After and RateLimit say. */
function latestReset(windows: WindowState[]): WindowState {
  return windows.reduce((chosen, window) => (window.resetSeconds > chosen.resetSeconds ? window : chosen));
}

/** The draft: with several windows, report the one with the lowest remaining quota. */
function fewestRemaining(windows: WindowState[]): WindowState {
  return windows.reduce((chosen, window) =>
    window.remaining < chosen.remaining ||
    (window.remaining === chosen.remaining && window.resetSeconds > chosen.resetSeconds)
      ? window
      : chosen,
  );
}

// Process-wide counts for the metrics (refusals per process; sum them across instances).
let refusals = 0;
let insuranceDecisions = 0;
let storeFailures = 0;

/** Requests refused by the request limits since the process started. */
export function rateLimitRefusalCount(): number {
  return refusals;
}

/** Requests decided by the in-memory insurance limiter (the store had failed) since the process started. */
export function rateLimitInsuranceDecisionCount(): number {
  return insuranceDecisions;
}

/** Times the store failed or did not answer in time since the process started (each attempt counts). */
export function rateLimitStoreFailureCount(): number {
  return storeFailures;
}

/**
 * The counter key of a client address. IPv6 addresses count per /64, the block one subscriber gets
 * (otherwise one machine could rotate through 2^64 addresses); IPv4-mapped IPv6 counts as IPv4.
 */
export function clientKey(address: string): string {
  if (!ipaddr.isValid(address)) return address || "unknown";
  const parsed = ipaddr.process(address);
  if (parsed.kind() === "ipv4") return parsed.toString();
  return `${ipaddr.IPv6.networkAddressFromCIDR(`${parsed.toString()}/64`).toString()}/64`;
}

/** What the tier table matches on: the router ignores case and a trailing slash, so must we. */
function normalisedPath(path: string): string {
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // A malformed escape: match on the raw path (the router answers 400 or 404 for it anyway).
  }
  return decoded.toLowerCase().replace(/\/+$/, "") || "/";
}

export function createRequestLimiter(options: {
  settings: RateLimitSettings;
  store: RequestCounterStore;
  logger: Logger;
}): RequestLimiter {
  const { settings, store } = options;
  const logger = options.logger.child({ category: "security" });
  const counterDefinitions = (tier: string, scope: TierScope, windows: LimitWindowSetting[]) =>
    windows.map((window): CounterDefinition => {
      const windowName = WINDOW_NAMES[window.seconds] ?? `${window.seconds}s`;
      return {
        tier,
        scope,
        policy: tier === "default" ? windowName : `${tier}-${windowName}`,
        keyPrefix: `request_${tier}_${windowName}`,
        limit: window.points,
        windowSeconds: window.seconds,
        insurance: new RateLimiterMemory({
          keyPrefix: `request_${tier}_${windowName}`,
          points: window.points,
          duration: window.seconds,
        }),
      };
    });
  const everyRequest = counterDefinitions("default", "client", settings.perClient);
  const everyStaffRequest = counterDefinitions("staff", "account", settings.perStaffAccount);
  const routeTiers = REQUEST_TIERS.map((tier) => ({
    appliesTo: tier.appliesTo,
    counters: counterDefinitions(tier.name, tier.scope, tier.windows(settings)),
  }));

  let storeRetryAt = 0;
  let probeInFlight = false;
  let failingSince: number | null = null;
  let lastFailureLogAt = 0;
  let decidedInMemorySinceLog = 0;

  function onStoreFailure(error: unknown) {
    storeFailures += 1;
    const now = Date.now();
    storeRetryAt = now + STORE_RETRY_MS;
    if (failingSince === null) {
      failingSince = now;
      lastFailureLogAt = now;
      logger.error(
        { event: "control_failure", control: "request_limits", store: store.kind, err: error },
        "control failure: the rate-limit store failed; the in-memory insurance limiter decides for this process until it answers",
      );
    } else if (now - lastFailureLogAt >= FAILURE_LOG_INTERVAL_MS) {
      lastFailureLogAt = now;
      logger.error(
        {
          event: "control_failure",
          control: "request_limits",
          store: store.kind,
          err: error,
          failingForMs: now - failingSince,
          decidedInMemory: decidedInMemorySinceLog,
        },
        "control failure: the rate-limit store is still failing; in-memory limits in force",
      );
      decidedInMemorySinceLog = 0;
    }
  }

  function onStoreSuccess() {
    if (failingSince === null) return;
    logger.warn(
      {
        event: "control_restored",
        control: "request_limits",
        store: store.kind,
        failedForMs: Date.now() - failingSince,
      },
      "the rate-limit store answers again; shared limits in force",
    );
    failingSince = null;
    decidedInMemorySinceLog = 0;
  }

  async function countInStore(counters: CounterIncrement[]): Promise<Map<string, CounterState>> {
    let timer: NodeJS.Timeout | undefined;
    const answer = store.increment(counters);
    const timeout = new Promise<never>((_, reject) => {
      // Timers run before I/O in Node's event loop: after a long synchronous stretch (a template
      // compiled on first use) the timer would win over an answer already waiting on the socket.
      // setImmediate lets pending I/O be read first, so only the store's own slowness counts.
      timer = setTimeout(
        () => setImmediate(() => reject(new Error(`no answer within ${settings.storeTimeoutMs} ms`))),
        settings.storeTimeoutMs,
      );
    });
    // A late failure after the timeout has nobody waiting for it.
    answer.catch(() => {});
    try {
      return await Promise.race([answer, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function countInMemory(counted: CountedWindow[]): Promise<Map<string, CounterState>> {
    insuranceDecisions += 1;
    decidedInMemorySinceLog += 1;
    const states = await Promise.all(
      counted.map(({ definition, partition }) =>
        definition.insurance.consume(partition).then(
          (result) => result,
          // Over the limit: rate-limiter-flexible rejects with the same RateLimiterRes.
          (rejection: unknown) => {
            if (rejection instanceof RateLimiterRes) return rejection;
            throw rejection;
          },
        ),
      ),
    );
    return new Map(
      states.map((state, index) => [
        counted[index]?.key ?? "",
        { points: state.consumedPoints, msBeforeNext: state.msBeforeNext },
      ]),
    );
  }

  return {
    storeKind: store.kind,
    async check({ method, path, clientAddress, staffAccountId }) {
      const requestPath = normalisedPath(path);
      const requestMethod = method.toUpperCase();
      const definitions = staffAccountId ? [...everyStaffRequest] : [...everyRequest];
      for (const tier of routeTiers) {
        if (tier.appliesTo(requestMethod, requestPath)) definitions.push(...tier.counters);
      }
      const client = clientKey(clientAddress);
      const counted = definitions.map((definition): CountedWindow => {
        const partition =
          definition.scope === "all"
            ? "all"
            : definition.scope === "account" && staffAccountId
              ? staffAccountId
              : client;
        return { definition, partition, key: `${definition.keyPrefix}:${partition}` };
      });

      let states: Map<string, CounterState> | undefined;
      let decidedBy: LimitDecision["decidedBy"] = "store";
      // While the store is failing, one request at a time tries it again (once STORE_RETRY_MS has
      // passed); the others do not queue up behind a store that may still hang.
      const isProbe = failingSince !== null;
      if (Date.now() >= storeRetryAt && !(isProbe && probeInFlight)) {
        probeInFlight = isProbe;
        try {
          states = await countInStore(
            counted.map(({ definition, key }) => ({ key, windowMs: definition.windowSeconds * 1000 })),
          );
          onStoreSuccess();
        } catch (error) {
          onStoreFailure(error);
        } finally {
          if (isProbe) probeInFlight = false;
        }
      }
      if (!states) {
        states = await countInMemory(counted);
        decidedBy = "insurance";
      }

      const windows = counted.map(({ definition, key }): WindowState => {
        const state = states.get(key) ?? { points: 0, msBeforeNext: 0 };
        return {
          tier: definition.tier,
          policy: definition.policy,
          limit: definition.limit,
          windowSeconds: definition.windowSeconds,
          consumed: state.points,
          remaining: Math.max(definition.limit - state.points, 0),
          resetSeconds: Math.ceil(state.msBeforeNext / 1000),
        };
      });
      const exceeded = windows.filter((window) => window.consumed > window.limit);
      if (exceeded.length > 0) {
        refusals += 1;
        for (const [index, window] of windows.entries()) {
          // Counts are exact and shared, so exactly one request (on one instance) sees limit + 1: the
          // refusal is logged once per key per window, however many requests follow.
          if (window.consumed !== window.limit + 1) continue;
          logger.warn(
            {
              event: "rate_limit_exceeded",
              tier: window.tier,
              policy: window.policy,
              limit: window.limit,
              windowSeconds: window.windowSeconds,
              client: counted[index]?.partition,
              retryAfterSeconds: window.resetSeconds,
              decidedBy,
            },
            "request limit reached: refusing until the window resets",
          );
        }
      }
      const binding = exceeded.length > 0 ? latestReset(exceeded) : fewestRemaining(windows);
      return { allowed: exceeded.length === 0, windows, binding, decidedBy };
    },
  };
}
