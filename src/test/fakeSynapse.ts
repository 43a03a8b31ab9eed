// A stand-in for Synapse's registration-token admin API, for tests: no real Synapse can run on these
// machines. It is a real HTTP server on loopback that speaks exactly the three endpoints the portal uses,
// with the request and response shapes of the Synapse admin API documentation:
//   https://element-hq.github.io/synapse/latest/usage/administration/admin_api/registration_tokens.html
//   (source: element-hq/synapse docs/usage/administration/admin_api/registration_tokens.md)
// and the validation and error answers of its implementation (element-hq/synapse
// synapse/rest/admin/registration_tokens.py, synapse/api/auth and synapse/http/servlet.py):
//   GET    /_synapse/admin/v1/registration_tokens[?valid=true|false] → 200 {"registration_tokens": [...]}
//   POST   /_synapse/admin/v1/registration_tokens/new                → 200 the token's object
//          400 M_INVALID_PARAM "Token already exists: <token>" when the string is taken
//   DELETE /_synapse/admin/v1/registration_tokens/<token>            → 200 {}, or 404 M_NOT_FOUND
// Auth like Synapse: no bearer token → 401 M_MISSING_TOKEN; an unknown one → 401 M_UNKNOWN_TOKEN; a
// known user's token that is not an admin's → 403 M_FORBIDDEN.
//
// And one endpoint of the client-server API, for the staff room's notices (Matrix spec, "PUT
// /_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}"):
//   PUT /_matrix/client/v3/rooms/<roomId>/send/m.room.message/<txnId>  → 200 {"event_id": "$…"}
//       the same access token and transaction ID again → the same event_id, and no second message
//       (the spec's idempotency); a room the bot has not joined → 403 M_FORBIDDEN; any known token
//       (the bot's, above all) may send.
// And the two the bot uses for direct messages (the Matrix ID proof):
//   POST /_matrix/client/v3/createRoom {preset, is_direct, invite: [userId]} → 200 {"room_id": "!…"}, the
//       bot joined and the invitees invited; an invitee the homeserver does not know → 404 M_NOT_FOUND
//       (Synapse's "Unknown user" answer, no room made), one who refuses invites → 403 M_FORBIDDEN
//   GET  /_matrix/client/v3/rooms/<roomId>/state/m.room.member/<userId> → 200 {"membership": …}, or 404
//       M_NOT_FOUND when they have none; a room the bot is not in → 403 M_FORBIDDEN
//
// Every request is recorded (method, path, headers, parsed body), and faults can be programmed per
// endpoint (hang until the client gives up, an HTTP status, N times then normal answers), so tests can
// prove the client's timeouts, retries and error mapping against real sockets.
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { MatrixSettings } from "../config.js";

export type FakeSynapseEndpoint = "create" | "list" | "delete" | "send" | "createRoom" | "member";

/** A room the fake holds: the staff room, and every room createRoom made. */
export interface FakeRoom {
  roomId: string;
  isDirect: boolean;
  /** userId → "join" | "invite" | "leave" | "ban" ("@bot:…" for the bot). */
  members: Map<string, string>;
}

/** A message the room holds (the send endpoint's). */
export interface FakeRoomMessage {
  roomId: string;
  eventId: string;
  txnId: string;
  /** Whose access token sent it. */
  sender: "bot" | "admin" | "user";
  content: unknown;
}

export interface FakeSynapseRequest {
  method: string;
  /** The raw path with its query string, as sent (tokens in it still URL-encoded). */
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The JSON body parsed, the raw text when it was not JSON, or undefined when there was none. */
  body: unknown;
  /** Which of the endpoints it was, when it was one of them. */
  endpoint: FakeSynapseEndpoint | null;
}

/** A token as the homeserver stores it (the list endpoint's shape). */
export interface FakeSynapseToken {
  token: string;
  uses_allowed: number | null;
  pending: number;
  completed: number;
  /** Milliseconds since the epoch, or null: never expires. */
  expiry_time: number | null;
}

/**
 * `times`: how many requests get the fault (default: every one until clearFaults()). `apply`: do the work
 * first (store or delete the token) and then fail: the homeserver acted but its answer was lost.
 */
export type FakeSynapseFault =
  /** Accept the request and never answer: the client's timeout must end it. */
  | { hang: true; times?: number; apply?: boolean }
  /** Answer with this status and a Synapse-style error body (default errcode for the status). */
  | { status: number; errcode?: string; error?: string; times?: number; apply?: boolean };

export interface FakeSynapse {
  /** The homeserver's base URL (http://127.0.0.1:<port>). */
  url: URL;
  /** The admin's access token the server accepts. */
  adminToken: string;
  /** A known user's token that is not an admin's (→ 403 M_FORBIDDEN). */
  userToken: string;
  /** The staff-room bot's access token (client-server API only). */
  botToken: string;
  /** The room the bot has joined (MATRIX_STAFF_ROOM_ID in tests). */
  staffRoomId: string;
  /** The messages a room holds, in order (every room when none is named). */
  roomMessages(roomId?: string): FakeRoomMessage[];
  /** The bot's user ID (the member the bot is in the rooms it made). */
  botUserId: string;
  /** The direct rooms made with this person (createRoom with is_direct, them invited), oldest first. */
  directRoomsWith(userId: string): FakeRoom[];
  /** The bot's messages in direct rooms with this person, oldest first. */
  directMessagesTo(userId: string): FakeRoomMessage[];
  /** The person's membership changes, as if they acted in their client (accepted, left, …). */
  setMembership(roomId: string, userId: string, membership: string): void;
  /** Invites to this user ID get 404 M_NOT_FOUND ("Unknown user"), as for an account that does not exist. */
  addUnknownUser(userId: string): void;
  /** Invites to this user ID get 403 M_FORBIDDEN, as when their server or settings refuse it. */
  addRefusingUser(userId: string): void;
  /** Every request received, in order. */
  requests: FakeSynapseRequest[];
  /** Requests to one endpoint. */
  requestsTo(endpoint: FakeSynapseEndpoint): FakeSynapseRequest[];
  /** The tokens the homeserver holds now (copies). */
  tokens(): FakeSynapseToken[];
  token(token: string): FakeSynapseToken | undefined;
  /** Put a token straight into the store (not a request; not recorded). */
  addToken(token: Partial<FakeSynapseToken> & { token: string }): void;
  /** Someone registered with it (completed = 1, pending = 0). */
  markUsed(token: string): void;
  /** Its expiry_time is now in the past. */
  markExpired(token: string): void;
  /** The next `times` requests to the endpoint (default: all until cleared) get this fault. */
  fail(endpoint: FakeSynapseEndpoint, fault: FakeSynapseFault): void;
  clearFaults(): void;
  /** Forget requests (tokens stay). */
  clearRequests(): void;
  /** Back to a fresh homeserver: no tokens, requests or faults (between tests). */
  reset(): void;
  /** MatrixSettings pointing at this server, for createSynapseAdmin or a Config. */
  settings(overrides?: Partial<MatrixSettings>): MatrixSettings;
  /** Environment variables for a portal child process (MATRIX_HOMESERVER_URL, MATRIX_ADMIN_TOKEN). */
  environment(): Record<string, string>;
  close(): Promise<void>;
}

const PREFIX = "/_synapse/admin/v1/registration_tokens";
const SEND_PATH = /^\/_matrix\/client\/v3\/rooms\/([^/]+)\/send\/m\.room\.message\/([^/]+)$/;
const CREATE_ROOM_PATH = "/_matrix/client/v3/createRoom";
const MEMBER_PATH = /^\/_matrix\/client\/v3\/rooms\/([^/]+)\/state\/m\.room\.member\/([^/]+)$/;
// Synapse's allowed characters (NewRegistrationTokenRestServlet.allowed_chars: ascii letters, digits
// and "._~-"), with its own error message, which names a narrower set.
const ALLOWED_TOKEN = /^[A-Za-z0-9._~-]+$/;

const DEFAULT_ERRCODES: Record<number, { errcode: string; error: string }> = {
  400: { errcode: "M_INVALID_PARAM", error: "Bad request" },
  401: { errcode: "M_UNKNOWN_TOKEN", error: "Invalid access token passed." },
  403: { errcode: "M_FORBIDDEN", error: "You are not a server admin" },
  404: { errcode: "M_NOT_FOUND", error: "Not found" },
  429: { errcode: "M_LIMIT_EXCEEDED", error: "Too Many Requests" },
  500: { errcode: "M_UNKNOWN", error: "Internal server error" },
  502: { errcode: "M_UNKNOWN", error: "Bad gateway" },
  503: { errcode: "M_UNKNOWN", error: "Service unavailable" },
};

class SynapseError extends Error {
  constructor(
    readonly status: number,
    readonly errcode: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startFakeSynapse(
  /** port: a fixed one (the e2e server, which the portal's configuration names); by default a free one. */
  options: { adminToken?: string; userToken?: string; botToken?: string; port?: number } = {},
): Promise<FakeSynapse> {
  const adminToken = options.adminToken ?? "syt_YWRtaW4_fakeAdminAccessToken_0001";
  const userToken = options.userToken ?? "syt_dXNlcg_fakeUserAccessToken_0002";
  const botToken = options.botToken ?? "syt_Ym90_fakeBotAccessToken_0003";
  const staffRoomId = "!staffRoom:fake-synapse.example";
  const botUserId = "@portal-bot:fake-synapse.example";
  const rooms = new Map<string, FakeRoom>();
  const unknownUsers = new Set<string>();
  const refusingUsers = new Set<string>();
  function addStaffRoom(): void {
    rooms.set(staffRoomId, { roomId: staffRoomId, isDirect: false, members: new Map([[botUserId, "join"]]) });
  }
  addStaffRoom();
  const messages: FakeRoomMessage[] = [];
  /** "<sender> <txnId>" → event_id: the spec scopes transaction IDs to the access token. */
  const transactions = new Map<string, string>();
  const store = new Map<string, FakeSynapseToken>();
  const requests: FakeSynapseRequest[] = [];
  const faults = new Map<FakeSynapseEndpoint, { fault: FakeSynapseFault; remaining: number }>();

  function endpointOf(method: string, pathname: string): FakeSynapseEndpoint | null {
    if (SEND_PATH.test(pathname) && method === "PUT") return "send";
    if (pathname === CREATE_ROOM_PATH && method === "POST") return "createRoom";
    if (MEMBER_PATH.test(pathname) && method === "GET") return "member";
    if (pathname === PREFIX && method === "GET") return "list";
    if (pathname === `${PREFIX}/new` && method === "POST") return "create";
    if (pathname.startsWith(`${PREFIX}/`) && pathname !== `${PREFIX}/new` && method === "DELETE") {
      return "delete";
    }
    return null;
  }

  function takeFault(endpoint: FakeSynapseEndpoint | null): FakeSynapseFault | null {
    if (!endpoint) return null;
    const entry = faults.get(endpoint);
    if (!entry) return null;
    entry.remaining -= 1;
    if (entry.remaining <= 0) faults.delete(endpoint);
    return entry.fault;
  }

  function authorize(headers: http.IncomingHttpHeaders): void {
    const header = headers.authorization;
    const match = header ? /^Bearer (.+)$/.exec(header) : null;
    if (!match) throw new SynapseError(401, "M_MISSING_TOKEN", "Missing access token");
    if (match[1] === adminToken) return;
    if (match[1] === userToken) throw new SynapseError(403, "M_FORBIDDEN", "You are not a server admin");
    throw new SynapseError(401, "M_UNKNOWN_TOKEN", "Invalid access token passed.");
  }

  function isValid(token: FakeSynapseToken): boolean {
    const usesLeft = token.uses_allowed === null || token.pending + token.completed < token.uses_allowed;
    const notExpired = token.expiry_time === null || token.expiry_time >= Date.now();
    return usesLeft && notExpired;
  }

  function list(url: URL): FakeSynapseToken[] {
    const valid = url.searchParams.get("valid");
    const all = [...store.values()];
    if (valid === null) return all;
    // parse_boolean: "true" or "false" only.
    if (valid !== "true" && valid !== "false") {
      throw new SynapseError(
        400,
        "M_INVALID_PARAM",
        "Boolean query parameter 'valid' must be one of ['true', 'false']",
      );
    }
    return all.filter((token) => isValid(token) === (valid === "true"));
  }

  function create(body: unknown): FakeSynapseToken {
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw new SynapseError(400, "M_BAD_JSON", "Content must be a JSON object.");
    }
    const fields = body as Record<string, unknown>;
    let token: string;
    if ("token" in fields) {
      if (typeof fields.token !== "string") {
        throw new SynapseError(400, "M_INVALID_PARAM", "token must be a string");
      }
      if (!(fields.token.length > 0 && fields.token.length <= 64)) {
        throw new SynapseError(
          400,
          "M_INVALID_PARAM",
          "token must not be empty and must not be longer than 64 characters",
        );
      }
      if (!ALLOWED_TOKEN.test(fields.token)) {
        throw new SynapseError(
          400,
          "M_INVALID_PARAM",
          "token must consist only of characters matched by the regex [A-Za-z0-9-_]",
        );
      }
      token = fields.token;
    } else {
      // The portal always sends its own string; Synapse would generate one of `length` (default 16).
      token = `generated${store.size.toString().padStart(7, "0")}`;
    }
    const usesAllowed = fields.uses_allowed ?? null;
    if (!(usesAllowed === null || (Number.isSafeInteger(usesAllowed) && (usesAllowed as number) >= 0))) {
      throw new SynapseError(400, "M_INVALID_PARAM", "uses_allowed must be a non-negative integer or null");
    }
    const expiryTime = fields.expiry_time ?? null;
    if (expiryTime !== null && !Number.isSafeInteger(expiryTime)) {
      throw new SynapseError(400, "M_INVALID_PARAM", "expiry_time must be an integer or null");
    }
    if (typeof expiryTime === "number" && expiryTime < Date.now()) {
      throw new SynapseError(400, "M_INVALID_PARAM", "expiry_time must not be in the past");
    }
    if (store.has(token)) {
      // Synapse's own answer, token included in the message (the portal must never log this message).
      throw new SynapseError(400, "M_INVALID_PARAM", `Token already exists: ${token}`);
    }
    const created: FakeSynapseToken = {
      token,
      uses_allowed: usesAllowed as number | null,
      pending: 0,
      completed: 0,
      expiry_time: expiryTime as number | null,
    };
    store.set(token, created);
    return { ...created };
  }

  function senderOf(headers: http.IncomingHttpHeaders): FakeRoomMessage["sender"] {
    const match = headers.authorization ? /^Bearer (.+)$/.exec(headers.authorization) : null;
    if (!match) throw new SynapseError(401, "M_MISSING_TOKEN", "Missing access token");
    if (match[1] === botToken) return "bot";
    if (match[1] === adminToken) return "admin";
    if (match[1] === userToken) return "user";
    throw new SynapseError(401, "M_UNKNOWN_TOKEN", "Invalid access token passed.");
  }

  function sendMessage(
    pathname: string,
    headers: http.IncomingHttpHeaders,
    body: unknown,
  ): { event_id: string } {
    const sender = senderOf(headers);
    const [, rawRoom = "", rawTxn = ""] = SEND_PATH.exec(pathname) ?? [];
    const roomId = decodeURIComponent(rawRoom);
    const txnId = decodeURIComponent(rawTxn);
    if (rooms.get(roomId)?.members.get(botUserId) !== "join" || sender === "user")
      throw new SynapseError(403, "M_FORBIDDEN", `User not in room ${roomId}`);
    if (typeof body !== "object" || body === null || Array.isArray(body))
      throw new SynapseError(400, "M_BAD_JSON", "Content must be a JSON object.");
    const key = `${sender} ${txnId}`;
    const known = transactions.get(key);
    if (known) return { event_id: known };
    const eventId = `$event${messages.length.toString().padStart(6, "0")}`;
    transactions.set(key, eventId);
    messages.push({ roomId, eventId, txnId, sender, content: body });
    return { event_id: eventId };
  }

  /** Synapse's room creation: the invitees are checked before any room exists. */
  function createRoom(headers: http.IncomingHttpHeaders, body: unknown): { room_id: string } {
    if (senderOf(headers) !== "bot")
      throw new SynapseError(403, "M_FORBIDDEN", "Not allowed to create rooms");
    if (typeof body !== "object" || body === null || Array.isArray(body))
      throw new SynapseError(400, "M_BAD_JSON", "Content must be a JSON object.");
    const fields = body as Record<string, unknown>;
    const invite = fields.invite ?? [];
    if (!Array.isArray(invite) || invite.some((userId) => typeof userId !== "string"))
      throw new SynapseError(400, "M_INVALID_PARAM", "invite must be a list of user IDs");
    for (const userId of invite as string[]) {
      if (!/^@[^:\s]+:[^\s]+$/.test(userId))
        throw new SynapseError(400, "M_INVALID_PARAM", `Invalid user_id: ${userId}`);
      if (unknownUsers.has(userId)) throw new SynapseError(404, "M_NOT_FOUND", "Unknown user");
      if (refusingUsers.has(userId))
        throw new SynapseError(403, "M_FORBIDDEN", "Invites are not allowed for this user");
    }
    const roomId = `!room${rooms.size.toString().padStart(6, "0")}:fake-synapse.example`;
    const members = new Map<string, string>([[botUserId, "join"]]);
    for (const userId of invite as string[]) members.set(userId, "invite");
    rooms.set(roomId, { roomId, isDirect: fields.is_direct === true, members });
    return { room_id: roomId };
  }

  function membership(pathname: string, headers: http.IncomingHttpHeaders): { membership: string } {
    senderOf(headers);
    const [, rawRoom = "", rawUser = ""] = MEMBER_PATH.exec(pathname) ?? [];
    const room = rooms.get(decodeURIComponent(rawRoom));
    if (room?.members.get(botUserId) !== "join")
      throw new SynapseError(403, "M_FORBIDDEN", "User not in room");
    const found = room.members.get(decodeURIComponent(rawUser));
    if (!found) throw new SynapseError(404, "M_NOT_FOUND", "Event not found");
    return { membership: found };
  }

  function remove(pathname: string): Record<string, never> {
    let token: string;
    try {
      token = decodeURIComponent(pathname.slice(PREFIX.length + 1));
    } catch {
      throw new SynapseError(400, "M_UNRECOGNIZED", "Invalid URL encoding");
    }
    if (!store.delete(token))
      throw new SynapseError(404, "M_NOT_FOUND", `No such registration token: ${token}`);
    return {};
  }

  async function readBody(
    request: http.IncomingMessage,
  ): Promise<{ text: string; parsed: unknown; isJson: boolean }> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    if (text === "") return { text, parsed: undefined, isJson: false };
    try {
      return { text, parsed: JSON.parse(text), isJson: true };
    } catch {
      return { text, parsed: text, isJson: false };
    }
  }

  function send(response: http.ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    response.writeHead(status, {
      "Content-Type": "application/json",
      "Content-Length": Buffer.byteLength(text),
    });
    response.end(text);
  }

  const server = http.createServer(async (request, response) => {
    const method = request.method ?? "GET";
    const path = request.url ?? "/";
    const url = new URL(path, "http://fake-synapse.invalid");
    const endpoint = endpointOf(method, url.pathname);
    const { text, parsed, isJson } = await readBody(request);
    requests.push({ method, path, headers: { ...request.headers }, body: parsed, endpoint });

    const fault = takeFault(endpoint);
    if (fault?.apply) {
      try {
        if (endpoint === "create") create(parsed ?? {});
        if (endpoint === "delete") remove(url.pathname);
        if (endpoint === "send") sendMessage(url.pathname, request.headers, parsed);
        if (endpoint === "createRoom") createRoom(request.headers, parsed);
      } catch {
        // The fault's answer below is what the client sees either way.
      }
    }
    if (fault && "hang" in fault) return; // never answered: closed by the client or by close()
    try {
      if (fault) {
        const defaults = DEFAULT_ERRCODES[fault.status] ?? { errcode: "M_UNKNOWN", error: "Error" };
        throw new SynapseError(
          fault.status,
          fault.errcode ?? defaults.errcode,
          fault.error ?? defaults.error,
        );
      }
      if (endpoint === "send") {
        if (text !== "" && !isJson) throw new SynapseError(400, "M_NOT_JSON", "Content not JSON.");
        return send(response, 200, sendMessage(url.pathname, request.headers, parsed));
      }
      if (endpoint === "createRoom") {
        if (text !== "" && !isJson) throw new SynapseError(400, "M_NOT_JSON", "Content not JSON.");
        return send(response, 200, createRoom(request.headers, parsed ?? {}));
      }
      if (endpoint === "member") return send(response, 200, membership(url.pathname, request.headers));
      if (!url.pathname.startsWith(PREFIX))
        throw new SynapseError(404, "M_UNRECOGNIZED", "Unrecognized request");
      if (!endpoint) throw new SynapseError(405, "M_UNRECOGNIZED", `Unrecognized request: ${method}`);
      authorize(request.headers);
      if (endpoint === "list") return send(response, 200, { registration_tokens: list(url) });
      if (endpoint === "delete") return send(response, 200, remove(url.pathname));
      // parse_json_object_from_request: the body must be JSON, and an object.
      if (text !== "" && !isJson) throw new SynapseError(400, "M_NOT_JSON", "Content not JSON.");
      return send(response, 200, create(parsed ?? {}));
    } catch (error) {
      if (!(error instanceof SynapseError)) throw error;
      send(response, error.status, { errcode: error.errcode, error: error.message });
    }
  });
  server.listen(options.port ?? 0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const baseUrl = new URL(`http://127.0.0.1:${port}`);

  function existing(token: string): FakeSynapseToken {
    const found = store.get(token);
    if (!found) throw new Error("fakeSynapse: no such token");
    return found;
  }

  return {
    url: baseUrl,
    adminToken,
    userToken,
    botToken,
    staffRoomId,
    roomMessages: (roomId) =>
      messages
        .filter((message) => roomId === undefined || message.roomId === roomId)
        .map((message) => ({ ...message })),
    botUserId,
    directRoomsWith: (userId) =>
      [...rooms.values()].filter((room) => room.isDirect && room.members.has(userId)),
    directMessagesTo: (userId) => {
      const roomIds = new Set(
        [...rooms.values()]
          .filter((room) => room.isDirect && room.members.has(userId))
          .map((room) => room.roomId),
      );
      return messages.filter((message) => roomIds.has(message.roomId)).map((message) => ({ ...message }));
    },
    setMembership: (roomId, userId, value) => {
      const room = rooms.get(roomId);
      if (!room) throw new Error("fakeSynapse: no such room");
      room.members.set(userId, value);
    },
    addUnknownUser: (userId) => {
      unknownUsers.add(userId);
    },
    addRefusingUser: (userId) => {
      refusingUsers.add(userId);
    },
    requests,
    requestsTo: (endpoint) => requests.filter((request) => request.endpoint === endpoint),
    tokens: () => [...store.values()].map((token) => ({ ...token })),
    token: (token) => {
      const found = store.get(token);
      return found ? { ...found } : undefined;
    },
    addToken: (token) => {
      store.set(token.token, { uses_allowed: 1, pending: 0, completed: 0, expiry_time: null, ...token });
    },
    markUsed: (token) => {
      const found = existing(token);
      found.pending = 0;
      found.completed = 1;
    },
    markExpired: (token) => {
      existing(token).expiry_time = Date.now() - 60_000;
    },
    fail: (endpoint, fault) => {
      faults.set(endpoint, { fault, remaining: fault.times ?? Number.POSITIVE_INFINITY });
    },
    clearFaults: () => faults.clear(),
    clearRequests: () => {
      requests.length = 0;
    },
    reset: () => {
      store.clear();
      messages.length = 0;
      rooms.clear();
      addStaffRoom();
      unknownUsers.clear();
      refusingUsers.clear();
      transactions.clear();
      faults.clear();
      requests.length = 0;
    },
    settings: (overrides = {}) => ({
      homeserverUrl: new URL(baseUrl),
      adminToken,
      tokenLifetimeMs: 30 * 24 * 60 * 60 * 1000,
      registrationUrl: new URL("https://app.element.example/#/register"),
      requestTimeoutMs: 2_000,
      ...overrides,
    }),
    environment: () => ({
      MATRIX_HOMESERVER_URL: baseUrl.origin,
      MATRIX_ADMIN_TOKEN: adminToken,
    }),
    close: async () => {
      // Hanging requests hold their sockets open: end them, or close() would wait for ever.
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}
