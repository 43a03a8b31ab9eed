// The HTTP server's lifecycle around the Koa app, above all a graceful stop: stop accepting, answer
// the requests already in flight (telling their clients the connection closes), then close. Node's
// server.close() alone keeps a keep-alive connection open after its last answer until the deadline.
import http from "node:http";
import type { AddressInfo } from "node:net";
import type Koa from "koa";
import type { Logger } from "./logger.js";

export interface HttpServer {
  server: http.Server;
  address: AddressInfo;
  /** Resolves once every connection is closed; cuts those still busy after timeoutMs. */
  close(timeoutMs: number, logger: Logger): Promise<void>;
}

export async function startHttpServer(
  app: Koa,
  options: {
    host: string;
    port: number;
    /** How long one request may take to arrive in full (Node's default: 5 minutes). */
    requestTimeoutMs?: number;
  },
): Promise<HttpServer> {
  const server = http.createServer(app.callback());
  server.keepAliveTimeout = 65_000; // longer than nginx's upstream keepalive_timeout
  if (options.requestTimeoutMs !== undefined) server.requestTimeout = options.requestTimeoutMs;
  const responsesInFlight = new Set<http.ServerResponse>();
  let draining = false;

  server.on("request", (_request: http.IncomingMessage, response: http.ServerResponse) => {
    responsesInFlight.add(response);
    if (draining) response.setHeader("Connection", "close");
    response.on("close", () => {
      responsesInFlight.delete(response);
      if (draining) server.closeIdleConnections();
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
        server.close(() => {
          clearTimeout(deadline);
          resolve();
        });
        server.closeIdleConnections();
      });
    },
  };
}
