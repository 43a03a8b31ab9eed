// One pino logger for the whole process. JSON in production (for journald and log shippers), readable
// lines in development (config.logFormat: pino-pretty, coloured only when standard output is a
// terminal, so a development log piped to a file stays plain text). Secrets never reach a line, in
// either format: headers and fields that carry them are redacted by pino before anything is written,
// tokens in URLs by redactUrl(), and user-controlled text is stripped of control characters so nobody
// can forge a log line.
import pino, { type Logger } from "pino";

export type { Logger };

const REDACTED = "[REDACTED]";

export function createLogger(options: {
  level: string;
  pretty: boolean;
  name?: string;
  /** Where lines go instead of stdout (tests read them back). */
  destination?: pino.DestinationStream;
}): Logger {
  const settings: pino.LoggerOptions = {
    name: options.name ?? "vetting-portal",
    level: options.level,
    redact: {
      paths: [
        "authorization",
        "cookie",
        "password",
        "passwordConfirmation",
        "token",
        "secret",
        "*.authorization",
        "*.cookie",
        "*.password",
        "*.passwordConfirmation",
        "*.token",
        "*.secret",
        "*.sessionSecret",
        "*.sessionSecretPrevious",
        "headers.authorization",
        "headers.cookie",
        'headers["set-cookie"]',
        "*.headers.authorization",
        "*.headers.cookie",
        '*.headers["set-cookie"]',
      ],
      censor: REDACTED,
    },
    serializers: { err: pino.stdSerializers.err },
    timestamp: pino.stdTimeFunctions.isoTime,
    transport: options.pretty
      ? {
          target: "pino-pretty",
          options: {
            colorize: Boolean(process.stdout.isTTY),
            translateTime: "SYS:HH:MM:ss.l",
            ignore: "pid,hostname",
          },
        }
      : undefined,
  };
  if (options.destination) return pino({ ...settings, transport: undefined }, options.destination);
  if (options.pretty) return pino(settings);
  // Asynchronous writes: a line waits while the previous write is on its way, and the lines that gather
  // meanwhile go out in one write, so a busy server makes one write per batch, not one per line (npm run
  // bench, figure 1). pino flushes what is left synchronously when the process exits, fatal errors
  // included; only a SIGKILL can lose the last lines.
  return pino(settings, pino.destination({ dest: 1, sync: false }));
}

// C0/C1 controls, DEL, line/paragraph separators and bidirectional overrides.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** A user-controlled string made safe for one log line: no control characters, bounded length. */
export function cleanForLog(value: string | undefined, maxLength = 512): string | undefined {
  if (value === undefined) return undefined;
  const cleaned = value.replace(UNSAFE_CHARACTERS, "");
  return cleaned.length > maxLength ? `${cleaned.slice(0, maxLength)}…` : cleaned;
}

const SECRET_QUERY_KEYS = /token|secret|password|passwd|key|code|signature|sig|auth/i;
// Our single-use link tokens are ≥ 128-bit base64url strings; any such long opaque path segment is
// treated as a secret, whichever route it belongs to (or none).
const OPAQUE_SEGMENT = /^[A-Za-z0-9_-]{22,}$/;

/** A request URL with secrets removed: long opaque path segments and secret-looking query values. */
export function redactUrl(rawUrl: string): string {
  const url = new URL(rawUrl, "http://placeholder.invalid");
  const pathname = url.pathname
    .split("/")
    .map((segment) => (OPAQUE_SEGMENT.test(segment) ? REDACTED : segment))
    .join("/");
  const query = [...url.searchParams.entries()]
    .map(([key, value]) => `${key}=${SECRET_QUERY_KEYS.test(key) ? REDACTED : value}`)
    .join("&");
  return cleanForLog(query ? `${pathname}?${query}` : pathname, 1024) ?? "";
}
