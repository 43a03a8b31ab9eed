// The HTTP server's lifecycle around the Koa app: how long a request may take to arrive, and a graceful
// stop: stop accepting, answer the requests already in flight (telling their clients the connection
// closes), close idle keep-alive connections after a short grace, then close. Node's server.close()
// alone keeps a keep-alive connection open after its last answer until the deadline.
//
// Arrival deadlines. A client that sends a request a byte at a time holds a connection (and, mid-body,
// a handler) for as long as the server waits. Node's own limits are per server: headersTimeout for the
// headers, requestTimeout for the whole request. The latter must let an evidence upload take its time
// (EVIDENCE_UPLOAD_TIMEOUT_SECONDS), so it is only the backstop; every request's body gets a short
// deadline of its own here (HTTP_BODY_TIMEOUT_SECONDS), answered 408 and the connection closed. The
// upload route hands that deadline over to its own once it starts reading an upload it has accepted
// (handOverBodyDeadline, from routes/evidence/receiveEvidenceUpload.ts): so the long deadline belongs to a
// signed-in person's upload only, never to anyone who merely sends a body to an upload address.
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import type Koa from "koa";
import type { Config } from "./config.js";
import type { Logger } from "./logger.js";

/**
 * How long a stopping server leaves its idle keep-alive connections open. Closing an idle connection
 * at the moment nginx sends a request on it resets that request, and nginx passes a reset GET to the
 * next instance but answers a reset POST with 502 (it never repeats a non-idempotent request it has
 * sent). Meanwhile a request that arrives on such a connection is answered with "Connection: close",
 * so nginx drops the connection knowingly; and once nginx needs a new connection and finds the port
 * closed, it counts this instance as failed and stops choosing it. The idle connections still open
 * after this are ones nginx no longer uses. Measured with two instances behind nginx and 8 clients
 * posting forms without pause: closing idle connections at once lost a post to a 502 in 3 of 16 stops;
 * with the grace, in none of 16.
 */
export const IDLE_CONNECTION_GRACE_MS = 1_000;

export interface HttpTimeouts {
  /** A request's headers must arrive within this (node:http headersTimeout). */
  headersMs: number;
  /** A request's body must arrive within this, unless its route hands the deadline over. */
  bodyMs: number;
  /** The whole request, whatever the route (node:http requestTimeout): an upload's deadline and then some. */
  requestMs: number;
}

/** The arrival deadlines the configuration asks for. */
export function httpTimeouts(config: Pick<Config, "http" | "evidence">): HttpTimeouts {
  return {
    headersMs: config.http.headersTimeoutMs,
    bodyMs: config.http.bodyTimeoutMs,
    // receiveEvidenceUpload cuts an upload at its own deadline; Node's is a minute later, as a backstop.
    requestMs: config.evidence.uploadTimeoutMs + 60_000,
  };
}

/** The body deadline of each request still arriving; see handOverBodyDeadline. */
const bodyDeadlines = new WeakMap<http.IncomingMessage, NodeJS.Timeout>();

/**
 * For a route that reads a long body under a deadline of its own (an accepted evidence upload): the
 * short body deadline no longer applies to this request. Requests served by a plain node:http server
 * (tests) have none; then this does nothing.
 */
export function handOverBodyDeadline(request: http.IncomingMessage): void {
  clearTimeout(bodyDeadlines.get(request));
  bodyDeadlines.delete(request);
}

export interface HttpServer {
  server: http.Server;
  address: AddressInfo;
  /** Resolves once every connection is closed; cuts those still busy after timeoutMs. */
  close(timeoutMs: number, logger: Logger): Promise<void>;
}

export async function startHttpServer(
  app: Koa,
  options: { host: string; port: number; timeouts: HttpTimeouts; logger: Logger },
): Promise<HttpServer> {
  const { timeouts, logger } = options;
  const server = http.createServer(
    {
      requestTimeout: timeouts.requestMs,
      headersTimeout: Math.min(timeouts.headersMs, timeouts.requestMs),
      // How often Node checks those two (default 30 s, which would let a 10 s limit run to 40 s).
      connectionsCheckingInterval: Math.max(100, Math.min(1_000, timeouts.headersMs / 4)),
    },
    app.callback(),
  );
  server.keepAliveTimeout = 65_000; // longer than nginx's upstream keepalive_timeout
  const responsesInFlight = new Set<http.ServerResponse>();
  let draining = false;
  let isGraceOver = false;

  server.on("request", (request: http.IncomingMessage, response: http.ServerResponse) => {
    limitBodyArrival(request, response, timeouts.bodyMs, logger);
    responsesInFlight.add(response);
    if (draining) response.setHeader("Connection", "close");
    response.on("close", () => {
      responsesInFlight.delete(response);
      if (isGraceOver) server.closeIdleConnections();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });

  return {
    server,
    address: server.address() as AddressInfo,
    close(timeoutMs, logger) {
      draining = true;
      for (const response of responsesInFlight) {
        if (!response.headersSent) response.setHeader("Connection", "close");
      }
      return new Promise((resolve) => {
        const deadline = setTimeout(() => {
          logger.warn(
            { inFlight: responsesInFlight.size },
            "shutdown deadline reached: closing busy connections",
          );
          server.closeAllConnections();
        }, timeoutMs);
        const grace = setTimeout(
          () => {
            isGraceOver = true;
            server.closeIdleConnections();
          },
          Math.min(IDLE_CONNECTION_GRACE_MS, timeoutMs),
        );
        // net.Server's close: stop accepting, resolve once the last connection has closed. http.Server's
        // own close() would also close every idle keep-alive connection at once (Node 19 and later),
        // which is what the grace above avoids.
        net.Server.prototype.close.call(server, () => {
          clearTimeout(deadline);
          clearTimeout(grace);
          resolve();
        });
      });
    },
  };
}

/**
 * Gives the request's body `bodyMs` to arrive in full. Past it, a request still arriving is answered
 * 408 (when nothing was answered yet) and its connection closed: whether a handler waits for the body,
 * or Node is reading the rest of one nobody wanted after an early answer.
 */
function limitBodyArrival(
  request: http.IncomingMessage,
  response: http.ServerResponse,
  bodyMs: number,
  logger: Logger,
): void {
  const deadline = setTimeout(() => {
    bodyDeadlines.delete(request);
    if (request.complete) return;
    logger.warn(
      { method: request.method, bodyTimeoutMs: bodyMs },
      "request body still arriving at its deadline: answered 408, connection closed",
    );
    if (!response.headersSent) {
      response.writeHead(408, {
        "Content-Type": "text/plain; charset=utf-8",
        "Cache-Control": "no-store",
        Connection: "close",
      });
      // Node closes the connection once this is sent (Connection: close).
      response.end("The request took too long to arrive.\n");
    } else {
      request.socket.destroy();
    }
  }, bodyMs);
  deadline.unref();
  bodyDeadlines.set(request, deadline);
  const clear = () => handOverBodyDeadline(request);
  request.once("end", clear);
  request.once("close", clear);
}
