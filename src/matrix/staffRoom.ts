// Posting a notice to the staff's Matrix room through the client-server API (clientServer.ts):
//   PUT /_matrix/client/v3/rooms/{roomId}/send/m.room.message/{txnId}   (bearer: the bot's access token)
// The homeserver remembers each transaction ID per access token and answers a repeat with the event it
// already made, so a retried job (an answer lost on the way back) posts the message once. The bot token
// never reaches a log line or an error message.
import type { MatrixStaffRoomSettings } from "../config.js";
import { ClientServerError, sendRoomMessage } from "./clientServer.js";

/** "retryable": timeout, network, 5xx, 429. "refused": 401/403 (wrong token, bot not in the room), other 4xx. */
export { ClientServerError as StaffRoomError };

export async function postStaffRoomNotice(
  settings: MatrixStaffRoomSettings,
  notice: { txnId: string; body: string },
): Promise<{ eventId: string }> {
  return sendRoomMessage(settings, {
    roomId: settings.roomId,
    txnId: notice.txnId,
    // m.notice: a bot's message, which clients show as such and other bots do not answer.
    content: { msgtype: "m.notice", body: notice.body },
  });
}
