// Posting a notice to the staff's Matrix room through the client-server API:
//   PUT /_matrix/client/v3/rooms/{roomId}/send/m.room.message/{txnId}   (bearer: the bot's access token)
// The homeserver remembers each transaction ID per access token and answers a repeat with the event it
// already made, so a retried job (an answer lost on the way back) posts the message once. The bot token
// never reaches a log line or an error message.
import type { MatrixStaffRoomSettings } from "../config.js";

/** "retryable": timeout, network, 5xx, 429. "refused": 401/403 (wrong token, bot not in the room), other 4xx. */
export class StaffRoomError extends Error {
  override readonly name = "StaffRoomError";
  constructor(
    readonly kind: "retryable" | "refused",
    message: string,
    readonly status: number | null = null,
  ) {
    super(message);
  }
}

export async function postStaffRoomNotice(
  settings: MatrixStaffRoomSettings,
  notice: { txnId: string; body: string },
): Promise<{ eventId: string }> {
  const url = new URL(
    `/_matrix/client/v3/rooms/${encodeURIComponent(settings.roomId)}/send/m.room.message/${encodeURIComponent(notice.txnId)}`,
    settings.homeserverUrl,
  );
  let response: Response;
  try {
    response = await fetch(url, {
      method: "PUT",
      headers: {
        authorization: `Bearer ${settings.botAccessToken}`,
        "content-type": "application/json",
      },
      // m.notice: a bot's message, which clients show as such and other bots do not answer.
      body: JSON.stringify({ msgtype: "m.notice", body: notice.body }),
      signal: AbortSignal.timeout(settings.requestTimeoutMs),
    });
  } catch (error) {
    const reason = error instanceof Error && error.name === "TimeoutError" ? "timed out" : "network error";
    throw new StaffRoomError("retryable", `The homeserver could not be reached (${reason})`);
  }
  const answer = (await response.json().catch(() => null)) as {
    event_id?: unknown;
    errcode?: unknown;
  } | null;
  if (response.ok && typeof answer?.event_id === "string") return { eventId: answer.event_id };
  const errcode = typeof answer?.errcode === "string" ? ` ${answer.errcode.slice(0, 50)}` : "";
  const retryable = response.status >= 500 || response.status === 429 || response.ok;
  throw new StaffRoomError(
    retryable ? "retryable" : "refused",
    `The homeserver answered ${response.status}${errcode}`,
    response.status,
  );
}
