// Real SMTP on loopback for tests. A receiving server (smtp-server, messages parsed with mailparser) in
// the three shapes a relay can have (STARTTLS, implicit TLS, no TLS at all), and the faults a client
// has to get past: a port with nothing listening, a listener that never accepts a connection, and one
// that accepts but never sends the SMTP greeting.
import { execFile } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import net, { type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { promisify } from "node:util";
import { Worker } from "node:worker_threads";
import { type AddressObject, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

const execFileAsync = promisify(execFile);

export interface TestCertificate {
  key: string;
  cert: string;
}

let sharedCertificate: Promise<TestCertificate> | undefined;

/** The test certificate for localhost and 127.0.0.1: generated once per process, then reused. */
export function createTestCertificate(): Promise<TestCertificate> {
  sharedCertificate ??= generateSelfSignedCertificate();
  return sharedCertificate;
}

/**
 * A new self-signed certificate on every call (by default for localhost and 127.0.0.1), for instance one
 * the client has never been told to trust. It is its own CA (basicConstraints CA:TRUE), so a client
 * trusts it by taking it as `ca` (or through NODE_EXTRA_CA_CERTS).
 */
export async function generateSelfSignedCertificate(
  options: {
    commonName?: string;
    /** null: none (a CA's own certificate names no host). */
    subjectAltName?: string | null;
    /** More `-addext` values, e.g. a CA's keyUsage. */
    extensions?: string[];
  } = {},
): Promise<TestCertificate> {
  const directory = await mkdtemp(path.join(tmpdir(), "vp-test-cert-"));
  const keyFile = path.join(directory, "key.pem");
  const certFile = path.join(directory, "cert.pem");
  try {
    await execFileAsync("openssl", [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      keyFile,
      "-out",
      certFile,
      "-days",
      "2",
      "-subj",
      `/CN=${options.commonName ?? "localhost"}`,
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      ...[
        ...(options.subjectAltName === null
          ? []
          : [`subjectAltName=${options.subjectAltName ?? "DNS:localhost,IP:127.0.0.1"}`]),
        ...(options.extensions ?? []),
      ].flatMap((extension) => ["-addext", extension]),
    ]);
    return { key: await readFile(keyFile, "utf8"), cert: await readFile(certFile, "utf8") };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/** Writes a PEM certificate to a temporary file, for settings that take a file (the relay's caFile). */
export async function writeCertificateFile(pem: string): Promise<{ path: string; remove(): Promise<void> }> {
  const directory = await mkdtemp(path.join(tmpdir(), "vp-test-ca-"));
  const file = path.join(directory, "ca.pem");
  await writeFile(file, pem, { mode: 0o600 });
  return { path: file, remove: () => rm(directory, { recursive: true, force: true }) };
}

export interface ReceivedMessage {
  messageId: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  /** The message exactly as it arrived. */
  raw: string;
}

/** An SMTP reply a test server answers with instead of accepting, e.g. `{ code: 550, message: "No such user" }`. */
export interface SmtpReply {
  code: number;
  message: string;
}

export interface TestSmtpServerOptions {
  /** "starttls": plaintext port offering STARTTLS; "implicit": TLS from the first byte; "none": no TLS at all. */
  tls: "starttls" | "implicit" | "none";
  /** When set, AUTH (PLAIN, LOGIN) is required and only these credentials pass. */
  auth?: { user: string; password: string };
  /** A fixed port, e.g. to bring a relay up later on a port the client already knows; by default a free one. */
  port?: number;
  /** The certificate presented; by default the shared test certificate. */
  certificate?: TestCertificate;
  /** Answers RCPT TO with this reply instead of accepting the recipient. */
  rejectRecipient?: (address: string) => SmtpReply | undefined;
  /** Answers the end of DATA with this reply instead of accepting the message (it is not recorded). */
  rejectMessage?: (message: ReceivedMessage) => SmtpReply | undefined;
}

export interface TestSmtpServer {
  port: number;
  /** Every message accepted, in order of arrival. */
  messages: ReceivedMessage[];
  /** The user name of every AUTH attempt, right or wrong: shows whether credentials were sent at all. */
  authAttempts: string[];
  /** How many times a message with this Message-ID (with or without angle brackets) was accepted. */
  deliveriesOf(messageId: string): number;
  /** SMTP sessions open right now (a client's pooled connections count until the client closes them). */
  openSessions(): number;
  /** Stops listening and drops open sessions. */
  close(): Promise<void>;
}

export async function startTestSmtpServer(options: TestSmtpServerOptions): Promise<TestSmtpServer> {
  const certificate = options.certificate ?? (await createTestCertificate());
  const messages: ReceivedMessage[] = [];
  const authAttempts: string[] = [];
  const disabledCommands = [
    ...(options.tls === "none" ? ["STARTTLS"] : []),
    ...(options.auth ? [] : ["AUTH"]),
  ];

  const server = new SMTPServer({
    secure: options.tls === "implicit",
    key: certificate.key,
    cert: certificate.cert,
    disabledCommands,
    // Only a "none" server can take AUTH in plaintext; the client must never get that far.
    allowInsecureAuth: options.tls === "none",
    authOptional: !options.auth,
    authMethods: ["PLAIN", "LOGIN"],
    logger: false,
    // A client's pooled connection must not hold close() for smtp-server's default 30 s.
    closeTimeout: 200,
    onAuth(auth, _session, callback) {
      authAttempts.push(auth.username ?? "");
      if (auth.username === options.auth?.user && auth.password === options.auth?.password) {
        callback(null, { user: auth.username });
      } else {
        callback(smtpError({ code: 535, message: "5.7.8 Authentication credentials invalid" }));
      }
    },
    onRcptTo(address, _session, callback) {
      const reply = options.rejectRecipient?.(address.address);
      callback(reply ? smtpError(reply) : null);
    },
    onData(stream, _session, callback) {
      readMessage(stream).then(
        (message) => {
          const reply = options.rejectMessage?.(message);
          if (reply) return callback(smtpError(reply));
          messages.push(message);
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });
  // Failed TLS handshakes (an untrusted certificate on the client's side) surface here; they are the
  // client's to report, the server just carries on.
  server.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    server.server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.server.off("error", reject);
      resolve();
    });
  });

  return {
    port: (server.server.address() as AddressInfo).port,
    messages,
    authAttempts,
    deliveriesOf: (messageId) =>
      messages.filter((message) => stripAngleBrackets(message.messageId) === stripAngleBrackets(messageId))
        .length,
    openSessions: () => server.connections.size,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function smtpError(reply: SmtpReply): Error {
  return Object.assign(new Error(reply.message), { responseCode: reply.code });
}

function stripAngleBrackets(messageId: string): string {
  return messageId.replace(/^<|>$/g, "");
}

async function readMessage(stream: NodeJS.ReadableStream): Promise<ReceivedMessage> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  const raw = Buffer.concat(chunks).toString("utf8");
  const parsed = await simpleParser(raw);
  return {
    messageId: parsed.messageId ?? "",
    from: parsed.from?.text ?? "",
    to: addresses(parsed.to),
    subject: parsed.subject ?? "",
    text: parsed.text ?? "",
    html: typeof parsed.html === "string" ? parsed.html : "",
    raw,
  };
}

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  const objects = field === undefined ? [] : Array.isArray(field) ? field : [field];
  return objects.flatMap((object) => object.value.map((entry) => entry.address ?? ""));
}

export interface FaultyListener {
  port: number;
  close(): Promise<void>;
}

/** A port with nothing listening: connecting is refused at once (ECONNREFUSED). */
export async function startRefusingPort(): Promise<FaultyListener> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return { port, close: async () => {} };
}

/** Accepts TCP connections and never says a word: the client's greeting timeout has to fire. */
export async function startMuteServer(): Promise<FaultyListener> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// Runs in a worker thread: listens, reports the port, then blocks its own event loop so nothing ever
// calls accept(). Plain JavaScript, as eval'd worker code is not compiled.
const SILENT_LISTENER_WORKER = `
const net = require("node:net");
const { parentPort, workerData } = require("node:worker_threads");
const server = net.createServer();
server.listen({ port: 0, host: "127.0.0.1", backlog: 1 }, () => {
  parentPort.postMessage(server.address().port);
  Atomics.wait(workerData.wake, 0, 0);
  server.close();
});
`;

/**
 * A listener that never accepts: its connection attempts time out on the client's side, as with a
 * firewall that drops packets. The listening socket lives in a worker thread whose event loop is
 * blocked, so no connection is ever taken off the accept queue; the queue (backlog 1) is then filled
 * with connections of our own. Linux drops further SYNs while the queue is full, and the client sees
 * no answer at all, never a refusal.
 */
export async function startSilentListener(): Promise<FaultyListener> {
  const wake = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(SILENT_LISTENER_WORKER, { eval: true, workerData: { wake } });
  const [port] = (await once(worker, "message")) as [number];
  const fillers: net.Socket[] = [];
  const close = async () => {
    for (const socket of fillers) socket.destroy();
    Atomics.store(wake, 0, 1);
    Atomics.notify(wake, 0);
    await worker.terminate();
  };

  for (let attempt = 0; attempt < 16; attempt++) {
    const socket = net.connect(port, "127.0.0.1");
    socket.on("error", () => {});
    const connected = await Promise.race([
      once(socket, "connect").then(
        () => true,
        () => false,
      ),
      delay(250).then(() => false),
    ]);
    if (!connected) {
      // The queue is full: this handshake is hanging, as the client's will.
      socket.destroy();
      return { port, close };
    }
    fillers.push(socket);
  }
  await close();
  throw new Error("Could not fill the accept queue of the silent listener");
}
