// The live status of the portal's registration tokens, from the homeserver's list endpoint
// (GET /_synapse/admin/v1/registration_tokens): ONE call per page view at most, never one per token, and
// cached briefly so that reloading the tokens page (or several admins looking at once) costs the
// homeserver nothing more.
//
// The cache is per process. With several web instances each keeps its own copy for at most CACHE_TTL_MS,
// so two instances may show a status up to that long apart: a status is a snapshot anyway (someone may
// register the moment after the page renders), and what the portal itself changes (revoked, failed,
// pending) comes from our own rows, never from the cache.
//
// The homeserver's entries are matched to our rows by registrationTokenLookup (a keyed hash of the
// string), so no seal is opened to build the page, and the cache holds hashes, not token strings.
import type { RegistrationTokenState } from "../generated/prisma/client.js";
import type { SynapseAdmin } from "./synapseAdmin.js";
import { registrationTokenLookup } from "./tokenSecrets.js";

export const CACHE_TTL_MS = 15_000;

export type LiveStatus =
  /** On the homeserver, unused, not expired: the person can register with it. */
  | "available"
  | "used"
  | "expired"
  /** Revoked by an admin (our row), or deleted on the homeserver. */
  | "revoked"
  /** We created it, but the homeserver no longer lists it (deleted there by someone else). */
  | "unknown"
  /** Not yet created on the homeserver (the job has not succeeded yet). */
  | "pending"
  /** The homeserver refused it for good (see lastError). */
  | "failed"
  /** The homeserver did not answer the list call: we cannot say. */
  | "unavailable";

export interface HomeserverEntry {
  usesAllowed: number | null;
  pending: number;
  completed: number;
  expiryTime: Date | null;
}

/** What the homeserver holds, keyed by registrationTokenLookup; null when it could not be listed. */
export type HomeserverSnapshot = Map<string, HomeserverEntry>;

export interface HomeserverStatusSource {
  /** The cached snapshot, or a fresh one from one list call; null: the homeserver is unavailable. */
  snapshot(): Promise<HomeserverSnapshot | null>;
  /** Forget the cache (after a revoke, so this instance's next page is fresh). */
  invalidate(): void;
}

export function createHomeserverStatusSource(
  synapse: SynapseAdmin,
  secretsKey: Buffer,
  options: { ttlMs?: number; now?: () => number; onError?: (error: unknown) => void } = {},
): HomeserverStatusSource {
  const ttlMs = options.ttlMs ?? CACHE_TTL_MS;
  const now = options.now ?? Date.now;
  // The promise itself is cached: page views arriving while a call is in flight share it. A failure is
  // cached for the same time, so a homeserver that hangs costs one timeout per TTL, not one per page.
  let cached: { at: number; snapshot: Promise<HomeserverSnapshot | null> } | null = null;

  async function fetchSnapshot(): Promise<HomeserverSnapshot | null> {
    try {
      const entries = await synapse.listRegistrationTokens();
      return new Map(
        entries.map((entry) => [
          registrationTokenLookup(secretsKey, entry.token),
          {
            usesAllowed: entry.usesAllowed,
            pending: entry.pending,
            completed: entry.completed,
            expiryTime: entry.expiryTime,
          },
        ]),
      );
    } catch (error) {
      options.onError?.(error);
      return null;
    }
  }

  return {
    snapshot() {
      if (!cached || now() - cached.at >= ttlMs) cached = { at: now(), snapshot: fetchSnapshot() };
      return cached.snapshot;
    },
    invalidate() {
      cached = null;
    },
  };
}

/**
 * One row's status: our own state first (pending, failed, revoked need no homeserver), then what the
 * homeserver says about a created token. Used wins over expired: a token that did its job is "used".
 */
export function liveStatusOf(
  row: { state: RegistrationTokenState; tokenLookup: string },
  snapshot: HomeserverSnapshot | null,
  now: Date = new Date(),
): LiveStatus {
  if (row.state === "PENDING") return "pending";
  if (row.state === "FAILED") return "failed";
  if (row.state === "REVOKED") return "revoked";
  if (!snapshot) return "unavailable";
  const entry = snapshot.get(row.tokenLookup);
  if (!entry) return "unknown";
  if (entry.completed > 0 && (entry.usesAllowed === null || entry.completed >= entry.usesAllowed))
    return "used";
  if (entry.expiryTime && entry.expiryTime.getTime() < now.getTime()) return "expired";
  return "available";
}
