// Is this error "the database cannot be reached right now" (stopped, restarting, failing over, out of
// connections) rather than a fault in what we asked of it? Such errors get a 503 with Retry-After: the
// request may well succeed in a minute, and nothing about it was wrong. The pool heals by itself (pg
// discards a broken connection and opens a new one on the next query), so no restart is needed.
//
// The same outage reaches us in several shapes, depending on where it struck:
//   Prisma             PrismaClientKnownRequestError P1001 (cannot reach), P1002/P1008 (timed out),
//                      P1017 (server closed the connection), P2024 (no pool connection in time); its
//                      meta.driverAdapterError.cause says what the pg adapter saw
//   the pg adapter     DriverAdapterError kinds DatabaseNotReachable, ConnectionClosed, SocketTimeout,
//                      TooManyConnections, or a Postgres SQLSTATE in `code`
//   pg itself          (the rate-limit pool, or errors the adapter passes through) socket errors,
//                      SQLSTATE class 08 (connection exception), 57P01-57P03 (server shutting down,
//                      starting up), 53300 (too many connections), and plain Errors whose only clue is
//                      their message ("Connection terminated unexpectedly", "timeout exceeded when
//                      trying to connect").

const PRISMA_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024"]);
const ADAPTER_KINDS = new Set([
  "DatabaseNotReachable",
  "ConnectionClosed",
  "SocketTimeout",
  "TooManyConnections",
]);
const SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EHOSTUNREACH",
]);
const SQLSTATES = new Set(["57P01", "57P02", "57P03", "53300"]);
const PG_MESSAGES = [
  "Connection terminated unexpectedly",
  "Connection terminated due to connection timeout",
  "timeout exceeded when trying to connect",
  "Client has encountered a connection error and is not queryable",
];

interface ErrorShape {
  code?: unknown;
  kind?: unknown;
  message?: unknown;
  cause?: unknown;
  meta?: { driverAdapterError?: unknown };
}

export function isDatabaseUnavailable(error: unknown): boolean {
  // Causes nest (Prisma error → adapter error → its cause); a few levels are plenty, and a cycle ends.
  const seen = new Set<unknown>();
  const pending: unknown[] = [error];
  while (pending.length > 0 && seen.size < 10) {
    const candidate = pending.shift();
    if (typeof candidate !== "object" || candidate === null || seen.has(candidate)) continue;
    seen.add(candidate);
    const shape = candidate as ErrorShape;
    if (typeof shape.code === "string") {
      if (PRISMA_CODES.has(shape.code) || SOCKET_CODES.has(shape.code) || SQLSTATES.has(shape.code)) {
        return true;
      }
      if (/^08[0-9A-Z]{3}$/.test(shape.code)) return true;
    }
    if (typeof shape.kind === "string" && ADAPTER_KINDS.has(shape.kind)) return true;
    if (typeof shape.message === "string" && PG_MESSAGES.some((text) => shape.message === text)) return true;
    pending.push(shape.cause, shape.meta?.driverAdapterError);
  }
  return false;
}
