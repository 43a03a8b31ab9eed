// The one way mail leaves the portal: a relay reached on the first of its ports that works.
//
// Lifecycle of a send: the ports are tried in order, the one that last accepted a message first. A port
// that cannot carry a session (nothing listening, no answer, no greeting, no STARTTLS, TLS that fails,
// a connection lost on the way) is skipped and the next one tried. A verdict from the relay itself
// (credentials refused, recipient or message rejected) ends the send at once: every port leads to the
// same relay, which would say the same again. The caller (the outbox) decides about retrying from
// MailDeliveryError.permanent and stores MailDeliveryError.message, which lists what each port did.
//
// TLS is never optional: port 465 speaks TLS from the first byte, every other port must upgrade with
// STARTTLS before credentials or the message are sent, and the relay's certificate is always verified.
// Only development's loopback catcher (allowPlaintext) is spoken to in plaintext.
import { readFileSync } from "node:fs";
import net from "node:net";
import nodemailer, {
  type NodemailerError,
  type SMTPPoolOptions,
  type SMTPPoolSentMessageInfo,
  type Transporter,
} from "nodemailer";
import { cleanForLog, type Logger } from "../logger.js";

export interface RelaySettings {
  host: string;
  /** Tried in order; 465 means implicit TLS, every other port STARTTLS (required). */
  ports: number[];
  user?: string;
  password?: string;
  /** PEM file of a private CA for the relay's certificate (certificates are always verified). */
  caFile?: string;
  connectionTimeoutMs: number;
  greetingTimeoutMs: number;
  socketTimeoutMs: number;
  /** Development's loopback catcher only: no TLS at all. Never set for a relay. */
  allowPlaintext?: boolean;
  /** Max pooled connections per port (default 5). */
  maxConnections?: number;
}

export interface OutgoingEmail {
  from: { name: string; address: string };
  replyTo?: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Fixed per outbox row, e.g. "<uuid@example.org>", so a re-send is recognisably the same message. */
  messageId: string;
  /** The language it is written in (a BCP 47 tag), sent as Content-Language (RFC 3282). */
  language?: string;
}

export interface DeliveryReceipt {
  /** "host:port" of the relay port that accepted the message. */
  acceptedBy: string;
  /** The relay's final reply, e.g. "250 2.0.0 Ok: queued as 4Xb…". */
  response: string;
}

export type MailDeliveryErrorCode =
  | "all_ports_failed"
  | "auth_failed"
  | "recipient_rejected"
  | "message_rejected"
  | "unknown";

export interface PortAttempt {
  port: number;
  outcome:
    | "accepted"
    | "refused"
    | "timeout"
    | "no_greeting"
    | "no_starttls"
    | "tls_error"
    | "auth_failed"
    | "rejected"
    | "error";
  durationMs: number;
  detail?: string;
}

export class MailDeliveryError extends Error {
  override readonly name = "MailDeliveryError";
  /** true: retrying cannot help (credentials refused, recipient or message rejected with 5xx). */
  readonly permanent: boolean;
  readonly code: MailDeliveryErrorCode;
  /** What each port did, for the error text stored on the outbox row. */
  readonly attempts: PortAttempt[];

  constructor(options: {
    code: MailDeliveryErrorCode;
    permanent: boolean;
    message: string;
    attempts: PortAttempt[];
    cause?: unknown;
  }) {
    super(options.message, { cause: options.cause });
    this.code = options.code;
    this.permanent = options.permanent;
    this.attempts = options.attempts;
  }
}

export interface MailRelay {
  send(email: OutgoingEmail): Promise<DeliveryReceipt>;
  /** Closes pooled connections. */
  close(): void;
}

/** Port 465 is SMTP over implicit TLS (RFC 8314); every other port starts in plaintext and must STARTTLS. */
export function usesImplicitTls(port: number): boolean {
  return port === 465;
}

export function createMailRelay(settings: RelaySettings, logger: Logger): MailRelay {
  if (settings.allowPlaintext && !isLoopback(settings.host)) {
    throw new Error(
      `Mail relay ${settings.host}: plaintext is only allowed to the development catcher on loopback`,
    );
  }
  const mailLogger = logger.child({ category: "mail" });
  // Read once: a missing or unreadable CA file is a configuration error that shows at start-up.
  const ca = settings.caFile ? readFileSync(settings.caFile, "utf8") : undefined;
  const transports = new Map<number, Transporter<SMTPPoolSentMessageInfo>>();
  let lastWorkingPort: number | undefined;
  let isClosed = false;

  function transportFor(port: number): Transporter<SMTPPoolSentMessageInfo> {
    let transport = transports.get(port);
    if (!transport) {
      transport = nodemailer.createTransport(transportOptions(settings, port, ca));
      transports.set(port, transport);
    }
    return transport;
  }

  /** The configured order, with the port that last worked moved to the front (a hint, per process). */
  function portsToTry(): number[] {
    const { ports } = settings;
    if (lastWorkingPort === undefined || !ports.includes(lastWorkingPort)) return [...ports];
    return [lastWorkingPort, ...ports.filter((port) => port !== lastWorkingPort)];
  }

  function record(attempt: PortAttempt, messageId: string): void {
    const fields = { host: settings.host, ...attempt, messageId };
    if (attempt.outcome === "accepted") mailLogger.info(fields, "mail relay accepted the message");
    else mailLogger.warn(fields, "mail relay attempt failed");
  }

  return {
    async send(email) {
      const attempts: PortAttempt[] = [];
      if (isClosed) {
        throw new MailDeliveryError({
          code: "unknown",
          permanent: false,
          message: "The mail relay was closed (the process is shutting down)",
          attempts,
        });
      }
      const message = composeMessage(email);
      for (const port of portsToTry()) {
        const startedAt = performance.now();
        try {
          const info = await transportFor(port).sendMail(message);
          const attempt: PortAttempt = {
            port,
            outcome: "accepted",
            durationMs: elapsedSince(startedAt),
            detail: cleanForLog(info.response),
          };
          attempts.push(attempt);
          record(attempt, email.messageId);
          lastWorkingPort = port;
          return { acceptedBy: `${settings.host}:${port}`, response: info.response };
        } catch (error) {
          const failure = classifyFailure(error);
          const attempt: PortAttempt = {
            port,
            outcome: failure.outcome,
            durationMs: elapsedSince(startedAt),
            detail: cleanForLog(error instanceof Error ? error.message : String(error)),
          };
          attempts.push(attempt);
          record(attempt, email.messageId);
          if (failure.verdict) {
            throw new MailDeliveryError({
              ...failure.verdict,
              message: verdictMessage(failure.verdict.code, `${settings.host}:${port}`, error),
              attempts,
              cause: error,
            });
          }
        }
      }
      throw new MailDeliveryError({
        code: "all_ports_failed",
        permanent: false,
        message: `No port of the mail relay ${settings.host} took the message: ${describeAttempts(attempts)}`,
        attempts,
      });
    },

    close() {
      isClosed = true;
      // Idle pooled connections would otherwise stay open (up to the pool's idle timeout) and keep
      // the process alive; a connection in the middle of a delivery closes once it is done.
      for (const transport of transports.values()) transport.close();
      transports.clear();
    },
  };
}

function transportOptions(
  settings: RelaySettings,
  port: number,
  ca: string | undefined,
): SMTPPoolOptions & { pool: true } {
  const timeouts = {
    connectionTimeout: settings.connectionTimeoutMs,
    greetingTimeout: settings.greetingTimeoutMs,
    socketTimeout: settings.socketTimeoutMs,
  };
  const common = {
    pool: true as const,
    host: settings.host,
    port,
    maxConnections: settings.maxConnections ?? 5,
    // One requeue lets a message that met a pooled connection the relay had just dropped go out over
    // a fresh one; nodemailer's default (5, with backoff) would make a port that hangs up before
    // greeting cost seconds before the next port is tried.
    maxRequeues: 1,
    // Our messages are strings; nothing in them may make nodemailer read a file or fetch a URL.
    disableFileAccess: true,
    disableUrlAccess: true,
    // nodemailer's own logger stays off: our lines come from record(), without credentials or content.
    logger: false,
    ...timeouts,
  } satisfies SMTPPoolOptions;

  if (settings.allowPlaintext) {
    // Development's catcher on loopback (checked in createMailRelay). No credentials: nothing secret
    // ever crosses a plaintext connection.
    return { ...common, secure: false, ignoreTLS: true };
  }
  const implicitTls = usesImplicitTls(port);
  return {
    ...common,
    secure: implicitTls,
    // STARTTLS is demanded, not offered: a port that does not upgrade fails (ETLS) and is skipped.
    requireTLS: !implicitTls,
    tls: {
      rejectUnauthorized: true,
      minVersion: "TLSv1.2",
      ca,
      // SNI and the certificate check name the host. Node rejects an IP address as SNI (RFC 6066),
      // so for an IP the check runs against the address itself (nodemailer passes it as host).
      servername: net.isIP(settings.host) ? undefined : settings.host,
    },
    auth: settings.user ? { user: settings.user, pass: settings.password ?? "" } : undefined,
  };
}

/** The message as nodemailer fields: it builds and encodes every header; nothing is concatenated here. */
function composeMessage(email: OutgoingEmail) {
  return {
    from: { name: email.from.name, address: email.from.address },
    replyTo: email.replyTo,
    to: email.to,
    subject: email.subject,
    text: email.text,
    html: email.html,
    messageId: email.messageId,
    date: new Date(),
    headers: email.language ? { "Content-Language": email.language } : undefined,
  };
}

interface Verdict {
  code: Exclude<MailDeliveryErrorCode, "all_ports_failed">;
  permanent: boolean;
}

interface ClassifiedFailure {
  outcome: Exclude<PortAttempt["outcome"], "accepted">;
  /** Set when the relay (or nodemailer about the message itself) has decided: no other port is tried. */
  verdict?: Verdict;
}

/**
 * How nodemailer 10 reports each failure (read in dist/esm/smtp-connection/index.js, smtp-pool/ and
 * errors.js, and confirmed against real servers on loopback, see relay.test.ts):
 *
 *   nothing listening            ESOCKET, originalCode ECONNREFUSED, command CONN
 *   no answer to connect         ETIMEDOUT, timeoutType CONNECT_TIMEOUT
 *   connected, no 220 greeting   ETIMEDOUT, timeoutType GREETING_TIMEOUT (also: implicit-TLS server
 *                                on a STARTTLS port, both sides wait); greeting other than 220:
 *                                EPROTOCOL with responseCode, command CONN
 *   STARTTLS not offered         nodemailer sends STARTTLS anyway (requireTLS), the reply is an error:
 *                                ETLS, command STARTTLS, responseCode e.g. 500/502; EHLO refused:
 *                                ECONNECTION, command EHLO
 *   certificate not trusted      ESOCKET, originalCode DEPTH_ZERO_SELF_SIGNED_CERT (or another
 *                                OpenSSL verify code, ERR_TLS_CERT_ALTNAME_INVALID, ERR_SSL_*),
 *                                command CONN, for STARTTLS and implicit TLS alike
 *   TLS handshake stalls         ETIMEDOUT, timeoutType UPGRADE_TIMEOUT; other handshake failures ETLS
 *   idle socket                  ETIMEDOUT, timeoutType SOCKET_TIMEOUT
 *   server hung up               ECONNECTION (after the pool's requeue: "Reached maximum number of
 *                                retries after connection was closed"), or ESOCKET ECONNRESET
 *   credentials refused          EAUTH, command "AUTH PLAIN"/"AUTH LOGIN", responseCode 535
 *   recipient refused            EENVELOPE, command RCPT TO, responseCode 550 / 450 …
 *   sender refused               EENVELOPE, command MAIL FROM; DATA refused: EENVELOPE, command DATA
 *   message refused after DATA   EMESSAGE, command DATA, responseCode 554 / 451 …
 *   nodemailer refused to send   EENVELOPE / EMESSAGE without a responseCode (invalid address, larger
 *                                than the relay's SIZE), ECONFIG, ESTREAM
 *
 * 421 (service closing) is a reply about the connection, not the message: it skips the port.
 */
function classifyFailure(error: unknown): ClassifiedFailure {
  const failure = error as NodemailerError;
  const responseCode = typeof failure.responseCode === "number" ? failure.responseCode : undefined;
  // 5xx is final; 503 (bad sequence of commands) is about the session, not the message, so a new
  // session may succeed. Same reading as nodemailer's isPermanentResponseCode.
  const isPermanentReply = responseCode !== undefined && responseCode >= 500 && responseCode !== 503;

  if (responseCode === 421) return { outcome: "error" };
  switch (failure.code) {
    case "ESOCKET":
      if (failure.originalCode === "ECONNREFUSED") return { outcome: "refused" };
      if (isTlsErrorCode(failure.originalCode)) return { outcome: "tls_error" };
      return { outcome: "error" };
    case "ETIMEDOUT":
      if (failure.timeoutType === "GREETING_TIMEOUT") return { outcome: "no_greeting" };
      if (failure.timeoutType === "UPGRADE_TIMEOUT") return { outcome: "tls_error" };
      return { outcome: "timeout" };
    case "EPROTOCOL":
      return { outcome: failure.command === "CONN" && responseCode ? "no_greeting" : "error" };
    case "ETLS":
      // A reply to STARTTLS other than 220: the port does not do TLS. Anything else: the handshake failed.
      return { outcome: failure.command === "STARTTLS" && responseCode ? "no_starttls" : "tls_error" };
    case "ECONNECTION":
      return { outcome: failure.command === "EHLO" && responseCode ? "no_starttls" : "error" };
    case "EDNS":
      return { outcome: "error" };
    case "EAUTH":
      // 454 (temporary authentication failure) is worth another try later; 535 and the rest are not.
      return {
        outcome: "auth_failed",
        verdict: { code: "auth_failed", permanent: !(responseCode && responseCode < 500) },
      };
    case "EENVELOPE":
    case "EMESSAGE": {
      const code = failure.command === "RCPT TO" ? "recipient_rejected" : "message_rejected";
      if (responseCode === undefined) return { outcome: "error", verdict: { code, permanent: true } };
      return { outcome: "rejected", verdict: { code, permanent: isPermanentReply } };
    }
    default:
      // ECONFIG, ESTREAM, a bug: no other port would do better, and a later attempt might.
      return { outcome: "error", verdict: { code: "unknown", permanent: false } };
  }
}

// Node reports OpenSSL's certificate verification results by name (DEPTH_ZERO_SELF_SIGNED_CERT,
// UNABLE_TO_VERIFY_LEAF_SIGNATURE, CERT_HAS_EXPIRED …), its own checks as ERR_TLS_*, and protocol
// failures as ERR_SSL_* (e.g. ERR_SSL_WRONG_VERSION_NUMBER: TLS spoken to a plaintext port).
function isTlsErrorCode(code: string | undefined): boolean {
  return code !== undefined && /^(ERR_SSL_|ERR_TLS_)|CERT|^UNABLE_TO_|SELF_SIGNED/.test(code);
}

function verdictMessage(code: Verdict["code"], relay: string, error: unknown): string {
  const failure = error as NodemailerError;
  const reply = failure.response ? ` (${cleanForLog(failure.response, 300)})` : "";
  switch (code) {
    case "auth_failed":
      return `Authentication at the mail relay ${relay} failed: the relay refused the username/password${reply}`;
    case "recipient_rejected":
      return `The mail relay ${relay} rejected the recipient${reply}`;
    case "message_rejected":
      return failure.response
        ? `The mail relay ${relay} rejected the message${reply}`
        : `The message could not be handed to the mail relay ${relay}: ${cleanForLog(failure.message, 300)}`;
    default:
      return `Sending through the mail relay ${relay} failed: ${cleanForLog(String(failure?.message ?? error), 300)}`;
  }
}

function describeAttempts(attempts: PortAttempt[]): string {
  if (attempts.length === 0) return "no ports configured";
  return attempts
    .map(
      (attempt) =>
        `${attempt.port} ${attempt.outcome} after ${attempt.durationMs} ms${attempt.detail ? ` (${attempt.detail})` : ""}`,
    )
    .join("; ");
}

function elapsedSince(startedAt: number): number {
  return Math.round(performance.now() - startedAt);
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
