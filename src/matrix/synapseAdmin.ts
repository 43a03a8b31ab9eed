// The homeserver's admin API for registration tokens (Synapse: docs/usage/administration/admin_api/
// registration_tokens.md): create, list, delete. Only these three calls; each carries the admin token as
// a bearer token and gives up after MatrixSettings.requestTimeoutMs. The token strings pass through here
// and must never reach a log line or an error message.
//
// CONTRACT (groundwork for issue 10; implemented by createSynapseAdmin below):
//   createRegistrationToken  POST /_synapse/admin/v1/registration_tokens/new
//                            {"token": <ours>, "uses_allowed": 1, "expiry_time": <ms since epoch>}
//                            → "created", or "already_exists" when the homeserver already has OUR string
//                            (a retried job: counts as success); throws SynapseAdminError otherwise
//   listRegistrationTokens   GET  /_synapse/admin/v1/registration_tokens → every token with its counters
//   deleteRegistrationToken  DELETE /_synapse/admin/v1/registration_tokens/<token>
//                            → "deleted", or "not_found" (404 M_NOT_FOUND: already gone)
import type { MatrixSettings } from "../config.js";

export interface HomeserverRegistrationToken {
  token: string;
  /** null: unlimited (we always send 1). */
  usesAllowed: number | null;
  pending: number;
  completed: number;
  /** null: never expires. */
  expiryTime: Date | null;
}

/**
 * Why a call failed, for the caller to decide: "retryable" (timeout, network error, 5xx, 429) is retried
 * with backoff; "unauthorized" (401/403: the admin token is wrong or not an admin's) stops retries and
 * alerts admins; "rejected" (another 4xx) stops retries too.
 */
export type SynapseAdminErrorKind = "retryable" | "unauthorized" | "rejected";

export class SynapseAdminError extends Error {
  override readonly name = "SynapseAdminError";
  constructor(
    readonly kind: SynapseAdminErrorKind,
    /** Safe to store and show to admins: status, errcode and the homeserver's message, never a token. */
    message: string,
    readonly status: number | null = null,
  ) {
    super(message);
  }
}

export interface SynapseAdmin {
  createRegistrationToken(input: { token: string; expiresAt: Date }): Promise<"created" | "already_exists">;
  listRegistrationTokens(): Promise<HomeserverRegistrationToken[]>;
  deleteRegistrationToken(token: string): Promise<"deleted" | "not_found">;
}

export function createSynapseAdmin(_settings: MatrixSettings): SynapseAdmin {
  throw new Error("not implemented yet (issue 10 groundwork)");
}
