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
//                      trying to connect", "Query read timeout": no answer within the client-side
//                      query timeout, database/pgPool.ts, as in a silent network partition)
//   Prisma's transactions  P2028 "Unable to start a transaction in the given time": every pool
//                      connection is waiting on the server
//   TLS                the server's certificate not accepted (Node's TLS error codes; the adapter's
//                      TlsConnectionError): for a request, the database cannot be reached either.
//                      databaseConnectionProblem() says it in a sentence an operator can act on.

import { QUERY_TIMEOUT_MESSAGE } from "./pgPool.js";

const PRISMA_CODES = new Set(["P1001", "P1002", "P1008", "P1011", "P1017", "P2024"]);
const ADAPTER_KINDS = new Set([
  "DatabaseNotReachable",
  "ConnectionClosed",
  "SocketTimeout",
  "TooManyConnections",
  "TlsConnectionError",
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
  QUERY_TIMEOUT_MESSAGE,
  // The queries queued on a connection that pgPool.ts closed after a query timeout.
  "Connection terminated",
  "Client was closed and is not queryable",
];
const TRANSACTION_START_TIMEOUT = "Unable to start a transaction in the given time";
/** Node's codes for a server certificate that does not verify (tls.connect, checkServerIdentity). */
const CERTIFICATE_CODES = new Set([
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_DECRYPT_CERT_SIGNATURE",
  "UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY",
  "CERT_SIGNATURE_FAILURE",
  "CERT_NOT_YET_VALID",
  "CERT_HAS_EXPIRED",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "CERT_CHAIN_TOO_LONG",
  "CERT_REVOKED",
  "INVALID_CA",
  "INVALID_PURPOSE",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "HOSTNAME_MISMATCH",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "ERR_TLS_CERT_ALTNAME_FORMAT",
]);
/** TLS failures that are not about the certificate (the adapter's TlsConnectionError carries these too). */
const TLS_NEGOTIATION_MESSAGES = new Set([
  "The server does not support SSL connections",
  "There was an error establishing an SSL connection",
]);

interface ErrorShape {
  code?: unknown;
  kind?: unknown;
  reason?: unknown;
  message?: unknown;
  cause?: unknown;
  meta?: { driverAdapterError?: unknown };
}

/** The error and the errors it wraps (Prisma error → adapter error → its cause), until one answers. */
function findInChain<T>(error: unknown, answer: (shape: ErrorShape) => T | undefined): T | undefined {
  // A few levels are plenty, and a cycle ends.
  const seen = new Set<unknown>();
  const pending: unknown[] = [error];
  while (pending.length > 0 && seen.size < 10) {
    const candidate = pending.shift();
    if (typeof candidate !== "object" || candidate === null || seen.has(candidate)) continue;
    seen.add(candidate);
    const shape = candidate as ErrorShape;
    const found = answer(shape);
    if (found !== undefined) return found;
    pending.push(shape.cause, shape.meta?.driverAdapterError);
  }
  return undefined;
}

export function isDatabaseUnavailable(error: unknown): boolean {
  const found = findInChain(error, (shape) => {
    if (typeof shape.code === "string") {
      if (
        PRISMA_CODES.has(shape.code) ||
        SOCKET_CODES.has(shape.code) ||
        SQLSTATES.has(shape.code) ||
        CERTIFICATE_CODES.has(shape.code)
      ) {
        return true;
      }
      if (/^08[0-9A-Z]{3}$/.test(shape.code)) return true;
      if (
        shape.code === "P2028" &&
        typeof shape.message === "string" &&
        shape.message.includes(TRANSACTION_START_TIMEOUT)
      ) {
        return true;
      }
    }
    if (typeof shape.kind === "string" && ADAPTER_KINDS.has(shape.kind)) return true;
    if (typeof shape.message === "string" && PG_MESSAGES.some((text) => shape.message === text)) return true;
    return undefined;
  });
  return found === true;
}

/** Why the server's TLS certificate was refused (Node's or the adapter's words), or null for other errors. */
export function certificateRejectionReason(error: unknown): string | null {
  return (
    findInChain(error, (shape) => {
      if (typeof shape.code === "string" && CERTIFICATE_CODES.has(shape.code)) {
        return typeof shape.message === "string" ? shape.message : shape.code;
      }
      if (
        shape.kind === "TlsConnectionError" &&
        typeof shape.reason === "string" &&
        !TLS_NEGOTIATION_MESSAGES.has(shape.reason)
      ) {
        return shape.reason;
      }
      return undefined;
    }) ?? null
  );
}

/**
 * A failure to connect said so that an operator knows what to fix, for the start of a process and
 * `npm run db:migrate` (`setting` names the URL that was used); null when there is nothing to add to the
 * error's own message. Built from the error, never from the URL: no password can end up in it.
 */
export function databaseConnectionProblem(error: unknown, setting = "DATABASE_URL"): string | null {
  const reason = certificateRejectionReason(error);
  if (reason === null) return null;
  return `the database server's TLS certificate was not accepted: ${reason} (check sslrootcert and the host name in ${setting})`;
}
