// The homeserver's admin API for registration tokens (Synapse: docs/usage/administration/admin_api/
// registration_tokens.md): create, list, delete. Only these three calls; each carries the admin token as
// a bearer token and gives up after MatrixSettings.requestTimeoutMs. The token strings pass through here
// and must never reach a log line or an error message.
//
// The contract the rest of the portal relies on (implemented by createSynapseAdmin below):
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

const ADMIN_PATH = "/_synapse/admin/v1/registration_tokens";

interface SynapseErrorBody {
  errcode?: unknown;
  error?: unknown;
}

/**
 * Synapse answers an existing string on create with 400 M_INVALID_PARAM "Token already exists: <token>"
 * (element-hq/synapse synapse/rest/admin/registration_tokens.py, NewRegistrationTokenRestServlet.on_POST:
 * `raise SynapseError(HTTPStatus.BAD_REQUEST, f"Token already exists: {token}", Codes.INVALID_PARAM)`).
 * There is no dedicated errcode, so the message's prefix is what tells it from the other 400s. Our strings
 * carry 256 random bits: a string that exists is one we sent before (a retried job), never someone else's.
 */
const ALREADY_EXISTS = /^Token already exists/;

export function createSynapseAdmin(settings: MatrixSettings): SynapseAdmin {
  const base = new URL(ADMIN_PATH, settings.homeserverUrl);

  /**
   * One admin API call. Every failure becomes a SynapseAdminError whose message is safe to store and show:
   * Synapse's own messages may quote the token ("Token already exists: …", "No such registration token: …"),
   * so the token is cut out of them before they go anywhere.
   */
  async function call(
    method: "GET" | "POST" | "DELETE",
    /** The path after ADMIN_PATH ("", "/new", "/<token>"), as it appears in messages. */
    action: string,
    url: URL,
    secret: string | null,
    body?: unknown,
  ): Promise<{ status: number; json: unknown }> {
    action = `${method} ${ADMIN_PATH}${action}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          Authorization: `Bearer ${settings.adminToken}`,
          Accept: "application/json",
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(settings.requestTimeoutMs),
        redirect: "error",
      });
    } catch (error) {
      const isTimeout = error instanceof Error && error.name === "TimeoutError";
      const reason = isTimeout
        ? `no answer within ${settings.requestTimeoutMs} ms`
        : `could not reach the homeserver (${networkReason(error)})`;
      throw new SynapseAdminError("retryable", `${action}: ${reason}`, null);
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      // The timeout also covers the body; a body cut short is a network failure.
      throw new SynapseAdminError(
        "retryable",
        `${action}: the answer was cut short (${networkReason(error)})`,
        null,
      );
    }
    let json: unknown = null;
    try {
      json = text === "" ? null : JSON.parse(text);
    } catch {
      json = null;
    }
    if (response.ok) return { status: response.status, json };

    const errorBody = (typeof json === "object" && json !== null ? json : {}) as SynapseErrorBody;
    const errcode = typeof errorBody.errcode === "string" ? errorBody.errcode : null;
    const rawMessage = typeof errorBody.error === "string" ? errorBody.error : "";
    const message = withoutSecrets(rawMessage, [secret, settings.adminToken]).slice(0, 300);
    const detail = `${action}: HTTP ${response.status}${errcode ? ` ${errcode}` : ""}${message ? `: ${message}` : ""}`;
    const kind: SynapseAdminErrorKind =
      response.status === 401 || response.status === 403
        ? "unauthorized"
        : response.status === 429 || response.status >= 500
          ? "retryable"
          : "rejected";
    throw new SynapseAdminErrorWithBody(kind, detail, response.status, errcode, rawMessage);
  }

  return {
    async createRegistrationToken({ token, expiresAt }) {
      try {
        await call("POST", "/new", new URL(`${base.pathname}/new`, base), token, {
          token,
          uses_allowed: 1,
          expiry_time: expiresAt.getTime(),
        });
        return "created";
      } catch (error) {
        if (
          error instanceof SynapseAdminErrorWithBody &&
          error.status === 400 &&
          ALREADY_EXISTS.test(error.homeserverMessage)
        ) {
          return "already_exists";
        }
        throw plain(error);
      }
    },

    async listRegistrationTokens() {
      let json: unknown;
      try {
        ({ json } = await call("GET", "", base, null));
      } catch (error) {
        throw plain(error);
      }
      const list = (json as { registration_tokens?: unknown } | null)?.registration_tokens;
      if (!Array.isArray(list)) {
        throw new SynapseAdminError(
          "retryable",
          `GET ${ADMIN_PATH}: the answer has no registration_tokens list`,
          200,
        );
      }
      return list.flatMap((entry): HomeserverRegistrationToken[] => {
        const item = entry as Record<string, unknown>;
        if (typeof item?.token !== "string") return [];
        return [
          {
            token: item.token,
            usesAllowed: typeof item.uses_allowed === "number" ? item.uses_allowed : null,
            pending: typeof item.pending === "number" ? item.pending : 0,
            completed: typeof item.completed === "number" ? item.completed : 0,
            expiryTime: typeof item.expiry_time === "number" ? new Date(item.expiry_time) : null,
          },
        ];
      });
    },

    async deleteRegistrationToken(token) {
      try {
        // encodeURIComponent: the token is one path segment, whatever it holds.
        await call(
          "DELETE",
          "/<token>",
          new URL(`${base.pathname}/${encodeURIComponent(token)}`, base),
          token,
        );
        return "deleted";
      } catch (error) {
        if (
          error instanceof SynapseAdminErrorWithBody &&
          error.status === 404 &&
          (error.errcode === "M_NOT_FOUND" || error.errcode === null)
        ) {
          return "not_found";
        }
        throw plain(error);
      }
    },
  };
}

/**
 * Internal: keeps the homeserver's raw message and errcode for the decisions above (already exists, not
 * found). It never leaves this module: `plain()` turns it into a SynapseAdminError without them.
 */
class SynapseAdminErrorWithBody extends SynapseAdminError {
  constructor(
    kind: SynapseAdminErrorKind,
    message: string,
    status: number,
    readonly errcode: string | null,
    readonly homeserverMessage: string,
  ) {
    super(kind, message, status);
  }
}

function plain(error: unknown): unknown {
  if (error instanceof SynapseAdminErrorWithBody) {
    return new SynapseAdminError(error.kind, error.message, error.status);
  }
  return error;
}

function withoutSecrets(text: string, secrets: (string | null)[]): string {
  let cleaned = text;
  for (const secret of secrets) {
    if (secret) cleaned = cleaned.split(secret).join("<token>");
  }
  return cleaned;
}

/** undici's fetch failure keeps the reason in `cause` (ECONNREFUSED, ECONNRESET, …): a code, never a URL. */
function networkReason(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  if (cause && typeof cause.code === "string") return cause.code;
  return error instanceof Error ? error.name : "unknown error";
}
