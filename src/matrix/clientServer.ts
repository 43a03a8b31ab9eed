// The bot's calls to the homeserver's client-server API (Matrix spec v1.x, /_matrix/client/v3), shared
// by the staff room's notices (staffRoom.ts) and the direct messages that prove an applicant's Matrix ID:
//   PUT  /rooms/{roomId}/send/m.room.message/{txnId}        a message; the homeserver remembers each
//        transaction ID per access token and answers a repeat with the event it made, so a retried job
//        posts once
//   POST /createRoom {preset, is_direct, invite}             a direct room with one person, invited
//   GET  /rooms/{roomId}/state/m.room.member/{userId}        that person's membership (invite, join,
//        leave, ban): a room they left is no longer a way to reach them
// Every call carries the bot's access token as a bearer token and gives up after requestTimeoutMs. The
// token never reaches a log line or an error message; neither does a body the homeserver sent back.

/** The bot's access to its homeserver (MatrixStaffRoomSettings and MatrixBotSettings both fit). */
export interface BotAccess {
  homeserverUrl: URL;
  botAccessToken: string;
  requestTimeoutMs: number;
}

/**
 * "retryable": timeout, network error, 5xx, 429, or a 2xx without the expected answer. "refused": any
 * other 4xx (401/403: a wrong token or a room the bot is not in; 404 M_NOT_FOUND: an unknown user).
 */
export class ClientServerError extends Error {
  override readonly name = "ClientServerError";
  constructor(
    readonly kind: "retryable" | "refused",
    /** Safe to log and store: the status and errcode, never a token or the homeserver's text. */
    message: string,
    readonly status: number | null = null,
    readonly errcode: string | null = null,
  ) {
    super(message);
  }
}

/** One call; the parsed JSON object of a 2xx answer, or a ClientServerError. */
export async function callClientServer(
  bot: BotAccess,
  request: { method: "GET" | "POST" | "PUT"; path: string; body?: unknown },
): Promise<Record<string, unknown>> {
  const url = new URL(`/_matrix/client/v3${request.path}`, bot.homeserverUrl);
  let response: Response;
  let answer: Record<string, unknown> | null;
  try {
    response = await fetch(url, {
      method: request.method,
      headers: {
        authorization: `Bearer ${bot.botAccessToken}`,
        ...(request.body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      signal: AbortSignal.timeout(bot.requestTimeoutMs),
    });
    const parsed: unknown = await response.json().catch(() => null);
    answer =
      parsed && typeof parsed === "object" && !Array.isArray(parsed)
        ? (parsed as Record<string, unknown>)
        : null;
  } catch (error) {
    const reason = error instanceof Error && error.name === "TimeoutError" ? "timed out" : "network error";
    throw new ClientServerError("retryable", `The homeserver could not be reached (${reason})`);
  }
  if (response.ok && answer) return answer;
  const errcode = typeof answer?.errcode === "string" ? answer.errcode.slice(0, 50) : null;
  const retryable = response.status >= 500 || response.status === 429 || response.ok;
  throw new ClientServerError(
    retryable ? "retryable" : "refused",
    `The homeserver answered ${response.status}${errcode ? ` ${errcode}` : ""}`,
    response.status,
    errcode,
  );
}

/** m.room.message with the transaction ID that makes a retry harmless; the event's id. */
export async function sendRoomMessage(
  bot: BotAccess,
  message: { roomId: string; txnId: string; content: Record<string, unknown> },
): Promise<{ eventId: string }> {
  const answer = await callClientServer(bot, {
    method: "PUT",
    path: `/rooms/${encodeURIComponent(message.roomId)}/send/m.room.message/${encodeURIComponent(message.txnId)}`,
    body: message.content,
  });
  if (typeof answer.event_id !== "string")
    throw new ClientServerError("retryable", "The homeserver answered without an event ID");
  return { eventId: answer.event_id };
}

/**
 * A new private room flagged as direct (m.direct in clients), with the person invited. The preset
 * gives history visibility "shared": what the bot sends before they accept is there once they join.
 */
export async function createDirectRoom(bot: BotAccess, userId: string): Promise<{ roomId: string }> {
  const answer = await callClientServer(bot, {
    method: "POST",
    path: "/createRoom",
    body: { preset: "trusted_private_chat", is_direct: true, invite: [userId] },
  });
  if (typeof answer.room_id !== "string")
    throw new ClientServerError("retryable", "The homeserver answered without a room ID");
  return { roomId: answer.room_id };
}

/** The person's membership of a room ("invite", "join", "leave", "ban", …), or null when they have none. */
export async function membershipIn(bot: BotAccess, roomId: string, userId: string): Promise<string | null> {
  try {
    const answer = await callClientServer(bot, {
      method: "GET",
      path: `/rooms/${encodeURIComponent(roomId)}/state/m.room.member/${encodeURIComponent(userId)}`,
    });
    return typeof answer.membership === "string" ? answer.membership : null;
  } catch (error) {
    // 404: no membership event for them; 403: the bot itself is no longer in the room.
    if (error instanceof ClientServerError && (error.status === 404 || error.status === 403)) return null;
    throw error;
  }
}

/** Why a direct message to a person could not be sent, as pages and rows name it. */
export type DirectMessageFailure = "unknown_user" | "invite_refused" | "unreachable" | "refused";

/**
 * A homeserver's refusal of a direct message: 404 M_NOT_FOUND is no such user; 403 an invite their
 * server or settings refused; no answer (after the retries) "unreachable"; any other 4xx "refused".
 */
export function directMessageFailureOf(error: ClientServerError): DirectMessageFailure {
  if (error.kind === "retryable") return "unreachable";
  if (error.status === 404 || error.errcode === "M_NOT_FOUND") return "unknown_user";
  if (error.status === 403) return "invite_refused";
  return "refused";
}
