// A TCP proxy on loopback that a test can stall (bytes are held, both ways, until resume()) to make a
// server hang without stopping it, and that counts a Postgres client's round trips on the wire: every
// Sync (extended protocol) or Query (simple protocol) message is one request the client then waits for.
import net from "node:net";

export interface TcpProxy {
  port: number;
  /** The same URL with the host and port replaced by the proxy's. */
  proxiedUrl(url: string): string;
  /** From now on nothing is forwarded, in either direction, until resume(). */
  stall(): void;
  resume(): void;
  /** Postgres Sync and Query messages sent by clients through the proxy so far. */
  postgresRoundTrips(): number;
  /** Bytes forwarded from clients to the target so far. */
  bytesFromClients(): number;
  /** Client connections open right now. */
  openConnections(): number;
  close(): Promise<void>;
}

const SSL_REQUEST = 80877103;
const GSS_ENCRYPTION_REQUEST = 80877104;
const SYNC = 0x53; // 'S'
const QUERY = 0x51; // 'Q'

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let stalled = false;
  let roundTrips = 0;
  let bytesFromClients = 0;
  const clients = new Set<net.Socket>();
  const sockets = new Set<net.Socket>();
  const held: (() => void)[] = [];

  const forward = (from: net.Socket, to: net.Socket, onChunk?: (chunk: Buffer) => void) => {
    from.on("data", (chunk: Buffer) => {
      const send = () => {
        onChunk?.(chunk);
        if (!to.destroyed) to.write(chunk);
      };
      if (stalled) held.push(send);
      else send();
    });
    // A half-close is passed on (clamd answers only after the client has ended its stream).
    from.on("end", () => {
      const send = () => to.end();
      if (stalled) held.push(send);
      else send();
    });
    from.on("close", () => to.destroy());
    from.on("error", () => to.destroy());
  };

  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const countPostgresMessages = postgresMessageCounter(() => (roundTrips += 1));
    const upstream = net.connect({ port: target.port, host: target.host, allowHalfOpen: true });
    sockets.add(client);
    sockets.add(upstream);
    clients.add(client);
    client.on("close", () => {
      sockets.delete(client);
      clients.delete(client);
    });
    upstream.on("close", () => sockets.delete(upstream));
    forward(client, upstream, (chunk) => {
      bytesFromClients += chunk.length;
      countPostgresMessages(chunk);
    });
    forward(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    proxiedUrl(url) {
      const proxied = new URL(url);
      proxied.hostname = "127.0.0.1";
      proxied.port = String(port);
      return proxied.toString();
    },
    stall() {
      stalled = true;
    },
    resume() {
      stalled = false;
      for (const send of held.splice(0)) send();
    },
    postgresRoundTrips: () => roundTrips,
    bytesFromClients: () => bytesFromClients,
    openConnections: () => clients.size,
    async close() {
      held.length = 0;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Reads a client's byte stream as Postgres frontend messages and reports each Sync or Query. */
function postgresMessageCounter(onRoundTrip: () => void): (chunk: Buffer) => void {
  let buffered = Buffer.alloc(0);
  let expectingStartup = true;
  return (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      if (expectingStartup) {
        // Untyped: Int32 length (itself included), Int32 code.
        if (buffered.length < 8) return;
        const length = buffered.readInt32BE(0);
        if (buffered.length < length) return;
        const code = buffered.readInt32BE(4);
        buffered = buffered.subarray(length);
        expectingStartup = code === SSL_REQUEST || code === GSS_ENCRYPTION_REQUEST;
        continue;
      }
      // Typed: Byte1 type, Int32 length (itself included, the type byte not).
      if (buffered.length < 5) return;
      const total = 1 + buffered.readInt32BE(1);
      if (buffered.length < total) return;
      const type = buffered[0];
      buffered = buffered.subarray(total);
      if (type === SYNC || type === QUERY) onRoundTrip();
    }
  };
}
