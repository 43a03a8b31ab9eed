// The only module that reads process.env. Everything is validated at boot; every problem is listed at once
// (one line each) so an operator fixes them in one go instead of one restart per mistake.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import path from "node:path";
import proxyAddr from "proxy-addr";
import { z } from "zod";
import { isOneLineText } from "./domain/applicationFields.js";
import type { MaintenanceSettings } from "./domain/maintenance.js";
import type { PrivacyNoticeSettings } from "./domain/privacyNotice.js";
import {
  DEFAULT_LANGUAGE,
  isLanguage,
  LANGUAGE_NAMES,
  type Language,
  PSEUDO_LANGUAGE,
  SHIPPED_LANGUAGES,
  type ShippedLanguage,
} from "./i18n/languages.js";
import { ZRecipientAddress } from "./mail/messages/address.js";
import { projectRoot } from "./projectRoot.js";
import { type KeyEncryptionKeyring, keyringOf } from "./storage/evidenceEncryption.js";
import type { ClamdAddress } from "./storage/scanForMalware.js";
import { urls } from "./urls.js";

export { projectRoot };

const packageJson = JSON.parse(readFileSync(path.join(projectRoot, "package.json"), "utf8")) as {
  version: string;
};

const emptyAsUndefined = (value: unknown) => (value === "" ? undefined : value);
const optionalString = z.preprocess(emptyAsUndefined, z.string().optional());
const integer = (fallback: number, min: number, max: number) =>
  z.preprocess(
    emptyAsUndefined,
    z.coerce
      .number({ error: "must be a whole number" })
      .int("must be a whole number")
      .min(min, `must be at least ${min}`)
      .max(max, `must be at most ${max}`)
      .default(fallback),
  );
const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" });
const portList = z
  .string()
  .regex(/^\d{1,5}(,\d{1,5})*$/, "must be a comma-separated list of ports, e.g. 2525,8025,587,80")
  .transform((value) => value.split(",").map(Number))
  .refine((ports) => ports.every((port) => port >= 1 && port <= 65535), "ports must be 1 to 65535");

/** One limit: so many requests per window. */
export interface LimitWindowSetting {
  points: number;
  seconds: number;
}

const WINDOW_SECONDS = { minute: 60, hour: 3600, day: 86_400 } as const;
/** "5/minute,20/hour": each window (minute, hour, day) at most once. */
const windowList = (fallback: string) =>
  z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .default(fallback)
      .transform((value, context): LimitWindowSetting[] => {
        const windows: LimitWindowSetting[] = [];
        for (const part of value.split(",")) {
          const match = /^\s*(\d{1,9})\s*\/\s*(minute|hour|day)\s*$/.exec(part);
          const points = Number(match?.[1]);
          const seconds = WINDOW_SECONDS[match?.[2] as keyof typeof WINDOW_SECONDS];
          if (!match || points < 1 || windows.some((window) => window.seconds === seconds)) {
            context.addIssue({
              code: "custom",
              message: 'must be limits like "5/minute,20/hour" (minute, hour or day, each once; at least 1)',
            });
            return z.NEVER;
          }
          windows.push({ points, seconds });
        }
        return windows.sort((a, b) => a.seconds - b.seconds);
      }),
  );

export const ZEnvironment = z.object({
  NODE_ENV: z.preprocess(
    emptyAsUndefined,
    z.enum(["development", "production", "test"]).default("development"),
  ),
  HOST: z.preprocess(emptyAsUndefined, z.string().default("127.0.0.1")),
  PORT: integer(3000, 0, 65535),
  PUBLIC_URL: z.preprocess(emptyAsUndefined, httpUrl.optional()),
  SESSION_SECRET: optionalString,
  /** The secret before the last rotation: what it signed (forms, device cookies) is still accepted. */
  SESSION_SECRET_PREVIOUS: optionalString,
  SESSION_IDLE_MINUTES: integer(60, 1, 24 * 60),
  SESSION_ABSOLUTE_HOURS: integer(12, 1, 24 * 30),
  /** 32 random bytes, base64: seals TOTP secrets (and keys the recovery-code hashes). */
  TOTP_ENCRYPTION_KEY: optionalString,
  /** The key before the last rotation: opens what it sealed until `npm run rotate-keys` re-seals it. */
  TOTP_ENCRYPTION_KEY_PREVIOUS: optionalString,
  /** 32 random bytes, base64: set, evidence files are stored encrypted (a data key per file, wrapped by it). */
  EVIDENCE_ENCRYPTION_KEY: optionalString,
  /** The key-encryption key before the last rotation: unwraps data keys until `npm run rotate-keys` re-wraps them. */
  EVIDENCE_ENCRYPTION_KEY_PREVIOUS: optionalString,
  STAFF_REQUIRE_2FA: z.preprocess(emptyAsUndefined, z.enum(["true", "false"]).default("true")),
  /** Sensitive actions ask for the second factor again when it was last given longer ago than this. */
  STEP_UP_MINUTES: integer(10, 1, 12 * 60),
  STAFF_PASSKEYS_REQUIRED_FOR: z.preprocess(
    emptyAsUndefined,
    z.enum(["none", "admins", "all"]).default("none"),
  ),
  /** Single sign-on (OpenID Connect): all three, or none. */
  OIDC_ISSUER: z.preprocess(emptyAsUndefined, httpUrl.optional()),
  OIDC_CLIENT_ID: optionalString,
  OIDC_CLIENT_SECRET: optionalString,
  /** The provider's name on the button ("Sign in with …"). */
  OIDC_DISPLAY_NAME: z.preprocess(emptyAsUndefined, z.string().max(60).default("single sign-on")),
  /** Link an unlinked account at its first SSO sign-in by a verified email matching exactly one active account. */
  OIDC_LINK_BY_EMAIL: z.preprocess(emptyAsUndefined, z.enum(["true", "false"]).default("false")),
  /** Password (and passkey-alone) sign-in off for staff once every active account is linked. */
  OIDC_ONLY: z.preprocess(emptyAsUndefined, z.enum(["true", "false"]).default("false")),
  LOG_LEVEL: z.preprocess(
    emptyAsUndefined,
    z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).optional(),
  ),
  /** pretty: one readable line per entry (development's default); json: one JSON object per line. */
  LOG_FORMAT: z.preprocess(emptyAsUndefined, z.enum(["json", "pretty"]).optional()),
  SHUTDOWN_TIMEOUT_MS: integer(10_000, 100, 120_000),
  /** A request's headers must arrive in full within this many seconds. */
  HTTP_HEADERS_TIMEOUT_SECONDS: integer(10, 1, 600),
  /** A request's body must arrive in full within this many seconds (evidence uploads have their own). */
  HTTP_BODY_TIMEOUT_SECONDS: integer(30, 1, 3600),
  /** Where the first-run setup link is written when standard output is not a terminal. */
  SETUP_LINK_FILE: optionalString,
  /** Kept for compatibility: true means TRUSTED_PROXIES=loopback. */
  TRUST_PROXY: z.preprocess(emptyAsUndefined, z.enum(["true", "false"]).default("false")),

  DATABASE_URL: z.preprocess(
    emptyAsUndefined,
    z.url({ protocol: /^postgres(ql)?$/, error: "must be a postgresql:// URL" }).optional(),
  ),
  /** The schema owner's URL, for migrations only (least privilege); DATABASE_URL when unset. */
  DATABASE_OWNER_URL: z.preprocess(
    emptyAsUndefined,
    z.url({ protocol: /^postgres(ql)?$/, error: "must be a postgresql:// URL" }).optional(),
  ),
  DATABASE_APP_ROLE: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, "must be a plain role name (lower-case letters, digits, underscores)")
      .optional(),
  ),
  DATABASE_POOL_MAX: integer(10, 1, 500),
  DATABASE_STATEMENT_TIMEOUT_MS: integer(15_000, 100, 3_600_000),
  DATABASE_CONNECTION_TIMEOUT_MS: integer(5_000, 100, 120_000),
  /**
   * Client-side: a query with no answer at all after this long fails (503), as when the network drops
   * the connection silently. Default: DATABASE_STATEMENT_TIMEOUT_MS plus 2 s, so that a server that runs
   * always cancels a slow statement itself first.
   */
  DATABASE_QUERY_TIMEOUT_MS: z.preprocess(
    emptyAsUndefined,
    z.coerce
      .number({ error: "must be a whole number" })
      .int("must be a whole number")
      .min(100, "must be at least 100")
      .max(3_700_000, "must be at most 3700000")
      .optional(),
  ),
  EMBEDDED_POSTGRES_DIR: z.preprocess(emptyAsUndefined, z.string().default(".data/postgres")),
  EMBEDDED_POSTGRES_PORT: integer(54329, 1, 65535),

  UPLOADS_DIR: z.preprocess(emptyAsUndefined, z.string().default("uploads")),
  /** Evidence limits: a few files an upload, each with its note, is what an identity check needs. */
  EVIDENCE_MAX_FILE_MB: integer(20, 1, 4096),
  EVIDENCE_MAX_FILES_PER_UPLOAD: integer(5, 1, 100),
  EVIDENCE_MAX_CASE_MB: integer(100, 1, 65_536),
  EVIDENCE_MAX_FILES_PER_CASE: integer(10, 1, 1000),
  /** Images whose header declares more pixels than this are refused before any decoding. */
  EVIDENCE_MAX_IMAGE_MEGAPIXELS: integer(50, 1, 1000),
  EVIDENCE_UPLOADS_PER_HOUR: integer(30, 1, 100_000),
  EVIDENCE_UPLOADS_PER_HOUR_PER_IP: integer(60, 1, 100_000),
  EVIDENCE_UPLOADS_IN_FLIGHT: integer(3, 1, 50),
  /** An upload still unfinished after this long is cut off (and its temporary file swept). */
  EVIDENCE_UPLOAD_TIMEOUT_SECONDS: integer(600, 10, 7200),
  /** Behind nginx: the internal location that serves uploads/evidence/ (X-Accel-Redirect); unset: the app streams. */
  EVIDENCE_ACCEL_REDIRECT_LOCATION: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^\/[A-Za-z0-9_\-/]*\/$/, "must be a path that starts and ends with /, e.g. /internal/evidence/")
      .optional(),
  ),

  /**
   * Every upload scanned by clamd before it is kept: "required" (production's default; an unreachable
   * clamd refuses uploads with 503) or "off" (development's and the tests' default, so `npm start` needs
   * no clamd). Production may turn it off only by saying so, and /readyz then warns.
   */
  EVIDENCE_SCAN: z.preprocess(emptyAsUndefined, z.enum(["required", "off"]).optional()),
  /** clamd's Unix socket (Debian: /run/clamav/clamd.ctl); or CLAMAV_HOST and CLAMAV_PORT for its TCP socket. */
  CLAMAV_SOCKET: optionalString,
  CLAMAV_HOST: optionalString,
  CLAMAV_PORT: integer(3310, 1, 65535),
  /** clamd must answer within this many seconds of silence, else the upload is refused with 503. */
  CLAMAV_TIMEOUT_SECONDS: integer(60, 1, 600),
  /** PDFs with JavaScript, launch or open actions, embedded files, rich media or XFA: refused, or kept and flagged to staff. */
  EVIDENCE_PDF_ACTIVE: z.preprocess(emptyAsUndefined, z.enum(["refuse", "flag"]).default("refuse")),
  /** JPEG, PNG and WebP images lose their metadata (GPS position, camera, comments) before they are kept. */
  EVIDENCE_STRIP_METADATA: z.preprocess(emptyAsUndefined, z.enum(["on", "off"]).default("on")),

  SMTP_HOST: optionalString,
  SMTP_PORTS: z.preprocess(emptyAsUndefined, portList.default([2525, 8025, 587, 80])),
  SMTP_USER: optionalString,
  SMTP_RELAY_AUTHPW: optionalString,
  MAIL_FROM_ADDRESS: optionalString,
  MAIL_FROM_NAME: z.preprocess(emptyAsUndefined, z.string().max(100).default("Vetting Portal")),
  MAIL_REPLY_TO: optionalString,
  SMTP_CA_FILE: optionalString,
  SMTP_CONNECTION_TIMEOUT_MS: integer(10_000, 100, 120_000),
  SMTP_GREETING_TIMEOUT_MS: integer(10_000, 100, 120_000),
  SMTP_SOCKET_TIMEOUT_MS: integer(60_000, 100, 600_000),
  MAIL_MAX_PER_MINUTE: integer(0, 0, 1_000_000),
  MAIL_RETRY_HORIZON_HOURS: integer(24, 1, 24 * 14),
  MAIL_RETRY_BASE_MS: integer(30_000, 10, 3_600_000),
  DEV_MAILBOX_DIR: z.preprocess(emptyAsUndefined, z.string().default(".data/mailbox")),
  DEV_MAILBOX_SMTP_PORT: integer(1025, 0, 65535),

  APPLICANT_SESSION_IDLE_MINUTES: integer(30, 1, 24 * 60),
  APPLICANT_SESSION_ABSOLUTE_HOURS: integer(12, 1, 24 * 30),
  /**
   * Your privacy notice as a text file, in the default language (the first shipped one in LANGUAGES);
   * the built-in notice, in every language, when no notice file is set.
   */
  PRIVACY_NOTICE_FILE: optionalString,
  /** The same notice in each other language LANGUAGES offers: one file per language, all required. */
  PRIVACY_NOTICE_FILE_EN: optionalString,
  PRIVACY_NOTICE_FILE_DE: optionalString,
  PRIVACY_NOTICE_FILE_FR: optionalString,
  /** The notice's version, one for all its languages, stored with each consent; change it with the text. */
  PRIVACY_NOTICE_VERSION: optionalString,
  /** Cases decided longer ago than this lose their personal data and evidence (decision and audit stay). */
  CASE_RETENTION_DAYS: integer(365, 1, 36_500),
  /** Drafts never submitted are erased with their evidence files this long after they were started. */
  DRAFT_RETENTION_DAYS: integer(30, 1, 3650),
  /** Drafts whose address was never confirmed are erased this long after they were started. */
  UNCONFIRMED_RETENTION_DAYS: integer(7, 1, 3650),
  /** The one reminder to an applicant whose confirmed draft is not submitted, this long after it was started. */
  DRAFT_REMINDER_DAYS: integer(7, 1, 3650),
  /** The one reminder to an applicant who has not answered a request for more information, after this long. */
  MORE_INFORMATION_REMINDER_DAYS: integer(14, 1, 3650),
  /** Admins are told (once per submission) of a case that has waited this long for a decision. */
  DECISION_REMINDER_DAYS: integer(14, 1, 3650),
  /**
   * How staff hear of a newly submitted case unless they chose otherwise on their profile: at once, in
   * the daily digest, or not by email.
   */
  NEW_CASE_NOTIFICATIONS: z.preprocess(
    emptyAsUndefined,
    z.enum(["immediate", "digest", "off"]).default("immediate"),
  ),
  /** The hour (0-23, server time) the staff's daily digest goes out. */
  NEW_CASE_DIGEST_HOUR: integer(8, 0, 23),
  /**
   * Four eyes: an approval needs at least this many vetting records by staff other than the decider
   * (and not conflicted), at least one of them with the identity verified.
   */
  APPROVAL_MIN_VETTING_RECORDS: integer(1, 1, 20),
  /** Referees an applicant (or staff) may ask to vouch for one case. */
  REFEREES_MAX: integer(3, 1, 10),
  /** How long a referee's emailed link works, from when the email leaves. */
  REFERENCE_LINK_DAYS: integer(14, 1, 90),
  /** Approval also needs an answered reference that vouches for the person. */
  APPROVAL_REQUIRES_REFERENCE: z.preprocess(emptyAsUndefined, z.enum(["true", "false"]).default("false")),

  // ── Matrix registration tokens: off unless both the homeserver and its admin token are set ──
  MATRIX_HOMESERVER_URL: z.preprocess(emptyAsUndefined, httpUrl.optional()),
  /** A Synapse admin's access token (the name operators of earlier vetting portals know). */
  MATRIX_ADMIN_TOKEN: optionalString,
  MATRIX_TOKEN_LIFETIME_DAYS: integer(30, 1, 365),
  /** Where people register with their token (e.g. an Element instance's registration page). */
  MATRIX_REGISTRATION_URL: z.preprocess(emptyAsUndefined, httpUrl.optional()),
  MATRIX_REQUEST_TIMEOUT_MS: integer(10_000, 100, 120_000),
  /** The staff room ("!abc:example.org") where new cases and decisions are posted; off when unset. */
  MATRIX_STAFF_ROOM_ID: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^![^:\s]+:[^\s]+$/, "must be a room ID like !abcdef:example.org (not an alias)")
      .optional(),
  ),
  /**
   * A bot account's access token (client-server API) on the homeserver: it posts to the staff room
   * (with MATRIX_STAFF_ROOM_ID) and sends applicants the direct message that proves their Matrix ID.
   */
  MATRIX_BOT_ACCESS_TOKEN: optionalString,
  /**
   * The standalone form (a token for someone without a case): "four-eyes", a request a second admin
   * approves before the token is minted, or "off", no form at all.
   */
  STANDALONE_TOKENS: z.preprocess(emptyAsUndefined, z.enum(["four-eyes", "off"]).default("four-eyes")),

  /** The applicant side's languages, the first one the default; en-XA (pseudo) only outside production. */
  LANGUAGES: z.preprocess(emptyAsUndefined, z.string().default("en,de,fr")),
  COMMUNITY_NAME: z.preprocess(emptyAsUndefined, z.string().max(100).default("the community")),
  /**
   * Where people using this portal can get its source code: the AGPL (section 13) asks whoever runs a
   * modified copy to offer its source to its users; every page's footer links here. Unset: no link.
   */
  SOURCE_URL: z.preprocess(emptyAsUndefined, httpUrl.optional()),
  WORKER_CONCURRENCY: integer(2, 1, 50),
  BUILD_COMMIT: optionalString,

  // ── Request limits and the client address ──
  /** proxy-addr syntax: loopback, linklocal, uniquelocal, addresses and CIDR ranges, comma-separated. */
  TRUSTED_PROXIES: optionalString,
  /** Every request per client address (30/minute, 300/hour, 1000/day: more than a person clicks). */
  RATE_LIMIT_PER_MINUTE: integer(30, 1, 100_000_000),
  RATE_LIMIT_PER_HOUR: integer(300, 1, 100_000_000),
  RATE_LIMIT_PER_DAY: integer(1000, 1, 100_000_000),
  /**
   * Every request of a signed-in staff member, per account instead of per address (several reviewers
   * behind one office address must not share the 30 a minute): "N/minute,N/hour,N/day".
   */
  RATE_LIMIT_STAFF: windowList("300/minute,6000/hour,30000/day"),
  // Stricter tiers on top, per client address unless said otherwise: "N/minute,N/hour,N/day".
  /** Applications (POST /apply) per client address: the one limit on applications. */
  RATE_LIMIT_APPLY: windowList("10/hour"),
  RATE_LIMIT_LINK_REQUESTS: windowList("5/minute,20/hour"),
  RATE_LIMIT_SIGN_IN: windowList("5/minute,20/hour"),
  RATE_LIMIT_UPLOADS: windowList("20/minute,60/hour"),
  RATE_LIMIT_CSP_REPORTS: windowList("20/minute,200/hour"),
  /** CSP reports from all clients together. */
  RATE_LIMIT_CSP_REPORTS_ALL: windowList("300/minute,3000/hour"),
  RATE_LIMIT_STORE: z.preprocess(emptyAsUndefined, z.enum(["postgres", "redis"]).default("postgres")),
  REDIS_URL: z.preprocess(
    emptyAsUndefined,
    z.url({ protocol: /^rediss?$/, error: "must be a redis:// or rediss:// URL" }).optional(),
  ),
  RATE_LIMIT_STORE_TIMEOUT_MS: integer(250, 10, 10_000),

  // ── Metrics ──
  /** Answer /metrics to clients on this host without a token; default: true outside production only. */
  METRICS_ALLOW_LOOPBACK: z.preprocess(emptyAsUndefined, z.enum(["true", "false"]).optional()),
  /** Lets a scraper that is not on this host read /metrics (Authorization: Bearer <token>). */
  METRICS_TOKEN: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .min(32, "must be at least 32 characters (generate one with: openssl rand -base64 32)")
      .regex(/^\S+$/, "must not contain spaces")
      .optional(),
  ),

  // ── Operations ──
  /** Where scripts/backup writes; /metrics reports the last success it recorded there (last-success). */
  BACKUP_DIR: optionalString,
  /** security.txt (RFC 9116): comma-separated mailto:, https: or tel: URIs; unset: no security.txt. */
  SECURITY_CONTACT: optionalString,
  /** security.txt's Expires: a date (2027-06-30) or RFC 3339 time, less than a year ahead. */
  SECURITY_TXT_EXPIRES: optionalString,
  /** security.txt's Preferred-Languages: comma-separated language tags (en, de). */
  SECURITY_TXT_PREFERRED_LANGUAGES: optionalString,

  // ── Planned maintenance ──
  /** The announced window: RFC 3339 times with their offset (2026-12-01T22:00:00Z); both or neither. */
  MAINTENANCE_FROM: optionalString,
  MAINTENANCE_UNTIL: optionalString,
  /** The banner shows from this many hours before MAINTENANCE_FROM (0: only from MAINTENANCE_FROM on). */
  MAINTENANCE_ANNOUNCE_HOURS: integer(72, 0, 24 * 366),
  /** One line of plain text added to the banner. */
  MAINTENANCE_NOTE: optionalString,
  /** true: every state-changing request is answered 503 with Retry-After; pages still read. */
  MAINTENANCE_READ_ONLY: z.preprocess(emptyAsUndefined, z.enum(["true", "false"]).default("false")),
});

export type TEnvironment = z.input<typeof ZEnvironment>;

export interface Config {
  env: "development" | "production" | "test";
  isProduction: boolean;
  /** $NOTIFY_SOCKET, set by systemd for Type=notify units (systemdNotify.ts); null elsewhere. */
  systemdNotifySocket: string | null;
  version: string;
  buildCommit: string;
  http: {
    host: string;
    port: number;
    publicUrl: URL;
    /** proxy-addr trust list: X-Forwarded-* are read only from a peer that matches it. Empty: nobody. */
    trustedProxies: string[];
    shutdownTimeoutMs: number;
    /** How long a request's headers may take to arrive (node:http headersTimeout). */
    headersTimeoutMs: number;
    /** How long the body of any request but an evidence upload may take to arrive (server.ts). */
    bodyTimeoutMs: number;
  };
  sessionSecret: string;
  /** The session secret before the last rotation: verifies what it signed, never signs. */
  sessionSecretPrevious: string | null;
  staff: {
    sessionIdleMs: number;
    sessionAbsoluteMs: number;
    /** 32 bytes. */
    totpKey: Buffer;
    /** The key before the last rotation (32 bytes): opens and matches what it sealed, never seals. */
    totpKeyPrevious: Buffer | null;
    requireSecondFactor: boolean;
    /** A sensitive action asks for the second factor again once the last one is older than this. */
    stepUpMs: number;
    /** Who must have a passkey before doing anything else: nobody, the admin roles, or everyone. */
    passkeysRequiredFor: "none" | "admins" | "all";
  };
  /** Single sign-on through an OpenID Connect provider; null when not configured. */
  oidc: OidcSettings | null;
  logLevel: string;
  /** JSON in production and tests (log shippers and tests read the lines); readable lines in development. */
  logFormat: "json" | "pretty";
  database: {
    /** Absent in development: the embedded Postgres is started instead. */
    url: string | undefined;
    /** The schema owner's URL, which migrations use when the portal's own role may only read and write rows. */
    ownerUrl: string | undefined;
    /**
     * The role the portal runs as, when migrations run as the schema's owner (least privilege): the
     * migrate step grants it row access (read, add, change, remove rows) and nothing more.
     */
    appRole: string | null;
    poolMax: number;
    statementTimeoutMs: number;
    connectionTimeoutMs: number;
    /** pg's client-side query_timeout, for every pool (web, request limits, worker); above statementTimeoutMs. */
    queryTimeoutMs: number;
    embedded: { dataDir: string; port: number; databaseName: string };
  };
  uploadsDir: string;
  evidence: {
    maxFileBytes: number;
    maxFilesPerUpload: number;
    maxCaseBytes: number;
    maxFilesPerCase: number;
    maxImagePixels: number;
    uploadsPerHourPerPerson: number;
    uploadsPerHourPerIp: number;
    maxUploadsInFlightPerPerson: number;
    uploadTimeoutMs: number;
    /** Set: downloads of files stored in the clear are answered with X-Accel-Redirect to this nginx
     *  internal location (encrypted files are always decrypted and streamed by the portal). */
    accelRedirectLocation: string | null;
    /** The key-encryption keys; null: new files are stored in the clear. */
    encryption: KeyEncryptionKeyring | null;
    /** clamd scans every upload (EVIDENCE_SCAN=required); null: off. */
    malwareScan: { clamd: ClamdAddress; timeoutMs: number } | null;
    /** What happens to a PDF with active content (EVIDENCE_PDF_ACTIVE). */
    pdfActiveContent: "refuse" | "flag";
    /** EVIDENCE_STRIP_METADATA=on. */
    isMetadataStripped: boolean;
  };
  mail: {
    from: { name: string; address: string };
    replyTo: string | undefined;
    /** The relay, or null in development: mail then goes to the local catcher. */
    relay: {
      host: string;
      ports: number[];
      user: string | undefined;
      password: string | undefined;
      caFile: string | undefined;
    } | null;
    timeouts: { connectionMs: number; greetingMs: number; socketMs: number };
    /** 0: no cap. Relays cap senders; this keeps the portal under the cap across all workers. */
    maxPerMinute: number;
    /** How long a message keeps being retried before it is marked failed. */
    retryHorizonMs: number;
    /** The first retry's delay; each later one doubles it (capped at an hour). */
    retryBaseMs: number;
    devMailbox: { dir: string; smtpPort: number } | null;
  };
  /** sourceUrl: the footer's "Source code" link (AGPL section 13); null: no link. */
  site: { name: string; communityName: string; sourceUrl: string | null };
  /** The languages offered to applicants, the default first (see src/i18n/languages.ts). */
  languages: Language[];
  applicant: { sessionIdleMs: number; sessionAbsoluteMs: number };
  privacy: PrivacyNoticeSettings & {
    retentionDays: number;
    draftRetentionDays: number;
    unconfirmedRetentionDays: number;
  };
  reminders: { draftDays: number; moreInformationDays: number; decisionDays: number };
  cases: {
    newCaseNotifications: "immediate" | "digest" | "off";
    digestHour: number;
    /** Vetting records by others (one with identity verified) an approval needs (four eyes). */
    approvalMinVettingRecords: number;
    /** Approval needs an answered reference that vouches for the person (APPROVAL_REQUIRES_REFERENCE). */
    approvalRequiresReference: boolean;
  };
  /** Referees who vouch for an applicant: how many per case, and how long their link works. */
  references: { refereesMax: number; linkLifetimeMs: number };
  worker: { concurrency: number };
  rateLimits: {
    /** Every request past static files and health probes, per client address. */
    perClient: LimitWindowSetting[];
    /** A signed-in staff member's requests, counted per account instead of perClient. */
    perStaffAccount: LimitWindowSetting[];
    routes: {
      apply: LimitWindowSetting[];
      linkRequests: LimitWindowSetting[];
      signIn: LimitWindowSetting[];
      uploads: LimitWindowSetting[];
      cspReports: LimitWindowSetting[];
      cspReportsAll: LimitWindowSetting[];
    };
    /** Where the counters live, shared by every instance. */
    store: { kind: "postgres" } | { kind: "redis"; url: string };
    /** A store slower than this is treated as failed: the in-memory insurance limiter decides. */
    storeTimeoutMs: number;
  };
  /** Bearer token for /metrics; null: only loopback clients are answered, if they are allowed. */
  metricsToken: string | null;
  /** Whether /metrics answers loopback clients without the token (production: only when opted in). */
  isMetricsLoopbackAllowed: boolean;
  /**
   * The first-run setup link goes here (mode 0600, removed once used) when standard output is not a
   * terminal (systemd's journal, a log collector): a secret link does not belong in a log.
   */
  setupLinkFile: string;
  /** Matrix registration tokens; null when no homeserver is configured (the feature is off). */
  matrix: MatrixSettings | null;
  /** Posting new cases and decisions to the staff's Matrix room; null when off. */
  matrixStaffRoom: MatrixStaffRoomSettings | null;
  /** The bot's client-server access (applicants prove their Matrix ID through it); null when off. */
  matrixBot: MatrixBotSettings | null;
  /** The standalone token form: requests approved by a second admin, or switched off. */
  standaloneTokens: "four-eyes" | "off";
  /** BACKUP_DIR, where scripts/backup records its last success for /metrics; null when unset. */
  backupDir: string | null;
  /** /.well-known/security.txt; null when no contact is configured (the address answers 404). */
  securityTxt: SecurityTxtSettings | null;
  /** The announced maintenance window (the banner) and the read-only switch. */
  maintenance: MaintenanceSettings;
}

/** RFC 9116's fields, as configured. */
export interface SecurityTxtSettings {
  /** Contact: mailto:, https: or tel: URIs, in the order given (most preferred first). */
  contacts: string[];
  /** Expires: past it the file is stale; /metrics reports it so an alert comes a month before. */
  expiresAt: Date;
  /** Preferred-Languages: language tags; empty: the field is left out. */
  preferredLanguages: string[];
  /** Canonical: where the file is served, from PUBLIC_URL. */
  canonicalUrl: string;
}

export interface MatrixSettings {
  /** The homeserver's base URL (its admin API is under /_synapse/admin/v1/). */
  homeserverUrl: URL;
  /** Sent as a bearer token; never logged. */
  adminToken: string;
  tokenLifetimeMs: number;
  /** Shown to the person with their token; null: the page says to use their Matrix client's sign-up. */
  registrationUrl: URL | null;
  /** Each admin API call gives up after this long (then the job retries with backoff). */
  requestTimeoutMs: number;
}

export interface MatrixStaffRoomSettings {
  /** The client-server API's base (the same homeserver as the registration tokens'). */
  homeserverUrl: URL;
  roomId: string;
  /** Sent as a bearer token; never logged. */
  botAccessToken: string;
  requestTimeoutMs: number;
}

export interface MatrixBotSettings {
  /** The client-server API's base (the same homeserver as the registration tokens'). */
  homeserverUrl: URL;
  /** Sent as a bearer token; never logged. */
  botAccessToken: string;
  requestTimeoutMs: number;
}

export interface OidcSettings {
  issuer: URL;
  clientId: string;
  clientSecret: string;
  displayName: string;
  linkByEmail: boolean;
  /**
   * Single sign-on only: once every active staff account is linked, password and passkey-alone sign-in
   * are off; superadmins keep the break-glass path (password and a recovery code).
   */
  only: boolean;
  /** Plain http to the provider, allowed only outside production (a provider on loopback in tests). */
  allowsInsecureIssuer: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
  }
}

/** For process entries: one line per problem on stderr, then exit 78 (EX_CONFIG). */
export function exitWithConfigProblems(error: ConfigError): never {
  for (const problem of error.problems) process.stderr.write(`configuration error: ${problem}\n`);
  process.exit(78);
}

const MIN_SESSION_SECRET_BYTES = 32;
/** File sizes are configured in MB (2^20 bytes), as people and browsers count them. */
const MEGABYTE = 1024 * 1024;

/**
 * The settings that hold secrets. Each may also be given as a file, so that no secret sits in an
 * environment file or a process listing: `<NAME>_FILE=/path` (containers' secrets, any file the
 * portal's user can read), or a systemd credential (`LoadCredential=vetting-portal:/etc/vetting-portal/
 * credentials` in deploy/systemd loads each file there as `vetting-portal_<NAME>` under
 * $CREDENTIALS_DIRECTORY; a credential named `<NAME>` works too).
 */
export const SECRET_SETTINGS = [
  "SESSION_SECRET",
  "SESSION_SECRET_PREVIOUS",
  "DATABASE_URL",
  "DATABASE_OWNER_URL",
  "TOTP_ENCRYPTION_KEY",
  "TOTP_ENCRYPTION_KEY_PREVIOUS",
  "EVIDENCE_ENCRYPTION_KEY",
  "EVIDENCE_ENCRYPTION_KEY_PREVIOUS",
  "SMTP_RELAY_AUTHPW",
  "MATRIX_ADMIN_TOKEN",
  "MATRIX_BOT_ACCESS_TOKEN",
  "METRICS_TOKEN",
  "REDIS_URL",
  "OIDC_CLIENT_SECRET",
] as const;

/** The systemd credential names the units load (deploy/systemd: LoadCredential=vetting-portal:<dir>). */
const CREDENTIAL_PREFIX = "vetting-portal_";

/**
 * The environment with each secret read from its file: `<NAME>_FILE` when set, else the systemd
 * credential when there is one, unless the variable itself is set. `<NAME>` and `<NAME>_FILE` together,
 * an unreadable file or an empty one is a problem (listed with the others); the file's one trailing line
 * break is dropped (editors add it), nothing else.
 */
function withSecretsFromFiles(
  environment: Record<string, string | undefined>,
  problems: string[],
): Record<string, string | undefined> {
  const resolved = { ...environment };
  const credentialsDir = emptyAsUndefined(environment.CREDENTIALS_DIRECTORY) as string | undefined;
  for (const name of SECRET_SETTINGS) {
    const named = emptyAsUndefined(environment[`${name}_FILE`]) as string | undefined;
    const credential = credentialsDir
      ? [`${CREDENTIAL_PREFIX}${name}`, name]
          .map((file) => path.join(credentialsDir, file))
          .find((file) => existsSync(file))
      : undefined;
    if (named && emptyAsUndefined(environment[name]) !== undefined) {
      problems.push(`${name}: set either ${name} or ${name}_FILE, not both`);
      continue;
    }
    // A value set in the environment itself wins over an ambient credential (a unit's drop-in, or a
    // one-off `NAME=… command`); only two explicit sources at once are a mistake.
    if (emptyAsUndefined(environment[name]) !== undefined) continue;
    const file = named ?? credential;
    if (!file) continue;
    let text: string;
    try {
      text = readFileSync(file, "utf8").replace(/\r?\n$/, "");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
      problems.push(`${name}_FILE: cannot read ${file} (${code})`);
      continue;
    }
    if (text === "") problems.push(`${name}_FILE: ${file} is empty`);
    else resolved[name] = text;
  }
  return resolved;
}

export function loadConfig(environment: Record<string, string | undefined> = process.env): Config {
  const fileProblems: string[] = [];
  const parsed = ZEnvironment.safeParse(withSecretsFromFiles(environment, fileProblems));
  if (!parsed.success) {
    throw new ConfigError([
      ...fileProblems,
      ...parsed.error.issues.map((issue) => `${issue.path.join(".") || "environment"}: ${issue.message}`),
    ]);
  }
  const values = parsed.data;
  const isProduction = values.NODE_ENV === "production";
  const problems: string[] = [...fileProblems];

  const publicUrl = new URL(values.PUBLIC_URL ?? `http://localhost:${values.PORT || 3000}`);
  if (isProduction) {
    if (!values.PUBLIC_URL)
      problems.push("PUBLIC_URL: required in production (the https:// address people use)");
    else if (publicUrl.protocol !== "https:")
      problems.push("PUBLIC_URL: must start with https:// in production");
    if (!values.SESSION_SECRET) {
      problems.push("SESSION_SECRET: required in production (generate one with: openssl rand -base64 48)");
    } else if (Buffer.byteLength(values.SESSION_SECRET) < MIN_SESSION_SECRET_BYTES) {
      problems.push(`SESSION_SECRET: must be at least ${MIN_SESSION_SECRET_BYTES} bytes long`);
    }
    if (!values.DATABASE_URL) problems.push("DATABASE_URL: required in production (no embedded database)");
    if (!values.SMTP_HOST) problems.push("SMTP_HOST: required in production (the mail relay's host name)");
    if (!values.MAIL_FROM_ADDRESS)
      problems.push("MAIL_FROM_ADDRESS: required in production, e.g. vetting@example.org");
  } else if (values.SESSION_SECRET && Buffer.byteLength(values.SESSION_SECRET) < MIN_SESSION_SECRET_BYTES) {
    problems.push(`SESSION_SECRET: must be at least ${MIN_SESSION_SECRET_BYTES} bytes long`);
  }
  const plainAddress = (name: "MAIL_FROM_ADDRESS" | "MAIL_REPLY_TO"): string | undefined => {
    if (values[name] === undefined) return undefined;
    const parsed = ZRecipientAddress.safeParse(values[name]);
    if (!parsed.success) problems.push(`${name}: must be a plain address like vetting@example.org`);
    return parsed.data;
  };
  const fromAddress = plainAddress("MAIL_FROM_ADDRESS");
  const replyTo = plainAddress("MAIL_REPLY_TO");
  if (/[\r\n<>"]/.test(values.MAIL_FROM_NAME)) {
    problems.push("MAIL_FROM_NAME: must not contain line breaks, quotes or angle brackets");
  }
  const totpKey = values.TOTP_ENCRYPTION_KEY ? Buffer.from(values.TOTP_ENCRYPTION_KEY, "base64") : undefined;
  if (totpKey && totpKey.length !== 32) {
    problems.push(
      "TOTP_ENCRYPTION_KEY: must be 32 bytes in base64 (generate one with: openssl rand -base64 32)",
    );
  }
  const totpKeyPrevious = base64Key(
    "TOTP_ENCRYPTION_KEY_PREVIOUS",
    values.TOTP_ENCRYPTION_KEY_PREVIOUS,
    problems,
  );
  if (totpKeyPrevious && !totpKey)
    problems.push("TOTP_ENCRYPTION_KEY_PREVIOUS: set only beside TOTP_ENCRYPTION_KEY");
  if (totpKeyPrevious && totpKey?.equals(totpKeyPrevious)) {
    problems.push("TOTP_ENCRYPTION_KEY_PREVIOUS: must differ from TOTP_ENCRYPTION_KEY");
  }
  if (values.SESSION_SECRET_PREVIOUS !== undefined) {
    if (!values.SESSION_SECRET) problems.push("SESSION_SECRET_PREVIOUS: set only beside SESSION_SECRET");
    else if (values.SESSION_SECRET_PREVIOUS === values.SESSION_SECRET) {
      problems.push("SESSION_SECRET_PREVIOUS: must differ from SESSION_SECRET");
    }
  }
  const evidenceKey = base64Key("EVIDENCE_ENCRYPTION_KEY", values.EVIDENCE_ENCRYPTION_KEY, problems);
  const evidenceKeyPrevious = base64Key(
    "EVIDENCE_ENCRYPTION_KEY_PREVIOUS",
    values.EVIDENCE_ENCRYPTION_KEY_PREVIOUS,
    problems,
  );
  if (evidenceKeyPrevious && !evidenceKey) {
    problems.push("EVIDENCE_ENCRYPTION_KEY_PREVIOUS: set only beside EVIDENCE_ENCRYPTION_KEY");
  }
  if (evidenceKeyPrevious && evidenceKey?.equals(evidenceKeyPrevious)) {
    problems.push("EVIDENCE_ENCRYPTION_KEY_PREVIOUS: must differ from EVIDENCE_ENCRYPTION_KEY");
  }
  if (isProduction && !totpKey) {
    problems.push("TOTP_ENCRYPTION_KEY: required in production (generate one with: openssl rand -base64 32)");
  }
  if (isProduction && values.LOG_FORMAT === "pretty") {
    problems.push(
      "LOG_FORMAT: production logs are JSON (for the journal and log shippers); pipe them through npx pino-pretty to read them",
    );
  }
  // Browsers refuse a WebAuthn relying party that is an IP address: nobody could add the passkey required.
  if (
    values.STAFF_PASSKEYS_REQUIRED_FOR !== "none" &&
    isIP(publicUrl.hostname.replace(/^\[|\]$/g, "")) !== 0
  ) {
    problems.push(
      "STAFF_PASSKEYS_REQUIRED_FOR: passkeys need PUBLIC_URL to name a domain (browsers refuse them for an IP address)",
    );
  }
  if (isProduction && values.STAFF_REQUIRE_2FA === "false") {
    problems.push("STAFF_REQUIRE_2FA: two-factor sign-in cannot be turned off in production");
  }
  if (Boolean(values.SMTP_USER) !== Boolean(values.SMTP_RELAY_AUTHPW)) {
    problems.push("SMTP_USER and SMTP_RELAY_AUTHPW: set both (authenticated relay) or neither");
  }
  const languages = parseLanguages(values.LANGUAGES, isProduction, problems);
  const trustedProxies = (values.TRUSTED_PROXIES ?? (values.TRUST_PROXY === "true" ? "loopback" : ""))
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  try {
    proxyAddr.compile(trustedProxies);
  } catch (error) {
    problems.push(
      `TRUSTED_PROXIES: ${error instanceof Error ? error.message : "invalid"} (use addresses, CIDR ranges or loopback, linklocal, uniquelocal)`,
    );
  }
  if (values.RATE_LIMIT_STORE === "redis" && !values.REDIS_URL) {
    problems.push("REDIS_URL: required when RATE_LIMIT_STORE=redis, e.g. redis://127.0.0.1:6379");
  }
  const privacyNotice = readPrivacyNotices(values, languages, problems);
  const queryTimeoutMs = values.DATABASE_QUERY_TIMEOUT_MS ?? values.DATABASE_STATEMENT_TIMEOUT_MS + 2_000;
  if (queryTimeoutMs <= values.DATABASE_STATEMENT_TIMEOUT_MS) {
    problems.push(
      `DATABASE_QUERY_TIMEOUT_MS: must be more than DATABASE_STATEMENT_TIMEOUT_MS (${values.DATABASE_STATEMENT_TIMEOUT_MS}), so that the server cancels a slow statement itself first`,
    );
  }
  checkDatabaseUrlTls("DATABASE_URL", values.DATABASE_URL, problems);
  checkDatabaseUrlTls("DATABASE_OWNER_URL", values.DATABASE_OWNER_URL, problems);
  const malwareScan = malwareScanSettings(values, isProduction, problems);
  const matrix = matrixSettings(values, isProduction, problems);
  const matrixStaffRoom = matrixStaffRoomSettings(values, matrix, problems);
  const matrixBot = matrixBotSettings(values, matrix, problems);
  const securityTxt = securityTxtSettings(values, publicUrl, problems);
  const maintenance = maintenanceSettings(values, problems);
  const oidc = oidcSettings(values, isProduction, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  const generated = values.SESSION_SECRET && totpKey ? null : developmentSecrets(values.NODE_ENV);

  return {
    env: values.NODE_ENV,
    isProduction,
    // Not a setting: systemd sets it for the unit, like CREDENTIALS_DIRECTORY.
    systemdNotifySocket: (emptyAsUndefined(environment.NOTIFY_SOCKET) as string | undefined) ?? null,
    version: packageJson.version,
    buildCommit: values.BUILD_COMMIT ?? readGitCommit() ?? "unknown",
    http: {
      host: values.HOST,
      port: values.PORT,
      publicUrl,
      trustedProxies,
      shutdownTimeoutMs: values.SHUTDOWN_TIMEOUT_MS,
      headersTimeoutMs: values.HTTP_HEADERS_TIMEOUT_SECONDS * 1000,
      bodyTimeoutMs: values.HTTP_BODY_TIMEOUT_SECONDS * 1000,
    },
    // Outside production a missing secret is replaced by a random one per start: nothing signed with it
    // needs to outlive the process there.
    sessionSecret: values.SESSION_SECRET ?? generated?.sessionSecret ?? "",
    sessionSecretPrevious: values.SESSION_SECRET_PREVIOUS ?? null,
    staff: {
      sessionIdleMs: values.SESSION_IDLE_MINUTES * 60_000,
      sessionAbsoluteMs: values.SESSION_ABSOLUTE_HOURS * 3_600_000,
      totpKey: totpKey ?? Buffer.from(generated?.totpKey ?? "", "base64"),
      totpKeyPrevious: totpKeyPrevious ?? null,
      requireSecondFactor: values.STAFF_REQUIRE_2FA === "true",
      stepUpMs: values.STEP_UP_MINUTES * 60_000,
      passkeysRequiredFor: values.STAFF_PASSKEYS_REQUIRED_FOR,
    },
    oidc,
    logLevel: values.LOG_LEVEL ?? (isProduction ? "info" : "debug"),
    logFormat: values.LOG_FORMAT ?? (values.NODE_ENV === "development" ? "pretty" : "json"),
    database: {
      url: values.DATABASE_URL,
      ownerUrl: values.DATABASE_OWNER_URL,
      appRole: values.DATABASE_APP_ROLE ?? null,
      poolMax: values.DATABASE_POOL_MAX,
      statementTimeoutMs: values.DATABASE_STATEMENT_TIMEOUT_MS,
      connectionTimeoutMs: values.DATABASE_CONNECTION_TIMEOUT_MS,
      queryTimeoutMs,
      embedded: {
        dataDir: path.resolve(projectRoot, values.EMBEDDED_POSTGRES_DIR),
        port: values.EMBEDDED_POSTGRES_PORT,
        databaseName: "vetting_portal",
      },
    },
    uploadsDir: path.resolve(projectRoot, values.UPLOADS_DIR),
    evidence: {
      maxFileBytes: values.EVIDENCE_MAX_FILE_MB * MEGABYTE,
      maxFilesPerUpload: values.EVIDENCE_MAX_FILES_PER_UPLOAD,
      maxCaseBytes: values.EVIDENCE_MAX_CASE_MB * MEGABYTE,
      maxFilesPerCase: values.EVIDENCE_MAX_FILES_PER_CASE,
      maxImagePixels: values.EVIDENCE_MAX_IMAGE_MEGAPIXELS * 1_000_000,
      uploadsPerHourPerPerson: values.EVIDENCE_UPLOADS_PER_HOUR,
      uploadsPerHourPerIp: values.EVIDENCE_UPLOADS_PER_HOUR_PER_IP,
      maxUploadsInFlightPerPerson: values.EVIDENCE_UPLOADS_IN_FLIGHT,
      uploadTimeoutMs: values.EVIDENCE_UPLOAD_TIMEOUT_SECONDS * 1000,
      accelRedirectLocation: values.EVIDENCE_ACCEL_REDIRECT_LOCATION ?? null,
      encryption: evidenceKey ? keyringOf(evidenceKey, evidenceKeyPrevious ?? null) : null,
      malwareScan,
      pdfActiveContent: values.EVIDENCE_PDF_ACTIVE,
      isMetadataStripped: values.EVIDENCE_STRIP_METADATA === "on",
    },
    mail: {
      from: { name: values.MAIL_FROM_NAME, address: fromAddress ?? "vetting-portal@localhost" },
      replyTo,
      relay: values.SMTP_HOST
        ? {
            host: values.SMTP_HOST,
            ports: values.SMTP_PORTS,
            user: values.SMTP_USER,
            password: values.SMTP_RELAY_AUTHPW,
            caFile: values.SMTP_CA_FILE ? path.resolve(projectRoot, values.SMTP_CA_FILE) : undefined,
          }
        : null,
      timeouts: {
        connectionMs: values.SMTP_CONNECTION_TIMEOUT_MS,
        greetingMs: values.SMTP_GREETING_TIMEOUT_MS,
        socketMs: values.SMTP_SOCKET_TIMEOUT_MS,
      },
      maxPerMinute: values.MAIL_MAX_PER_MINUTE,
      retryHorizonMs: values.MAIL_RETRY_HORIZON_HOURS * 60 * 60 * 1000,
      retryBaseMs: values.MAIL_RETRY_BASE_MS,
      devMailbox:
        !isProduction && !values.SMTP_HOST
          ? { dir: path.resolve(projectRoot, values.DEV_MAILBOX_DIR), smtpPort: values.DEV_MAILBOX_SMTP_PORT }
          : null,
    },
    site: {
      name: "Vetting Portal",
      communityName: values.COMMUNITY_NAME,
      sourceUrl: values.SOURCE_URL ?? null,
    },
    languages,
    applicant: {
      sessionIdleMs: values.APPLICANT_SESSION_IDLE_MINUTES * 60_000,
      sessionAbsoluteMs: values.APPLICANT_SESSION_ABSOLUTE_HOURS * 3_600_000,
    },
    privacy: {
      ...privacyNotice,
      retentionDays: values.CASE_RETENTION_DAYS,
      draftRetentionDays: values.DRAFT_RETENTION_DAYS,
      unconfirmedRetentionDays: values.UNCONFIRMED_RETENTION_DAYS,
    },
    reminders: {
      draftDays: values.DRAFT_REMINDER_DAYS,
      moreInformationDays: values.MORE_INFORMATION_REMINDER_DAYS,
      decisionDays: values.DECISION_REMINDER_DAYS,
    },
    cases: {
      newCaseNotifications: values.NEW_CASE_NOTIFICATIONS,
      digestHour: values.NEW_CASE_DIGEST_HOUR,
      approvalMinVettingRecords: values.APPROVAL_MIN_VETTING_RECORDS,
      approvalRequiresReference: values.APPROVAL_REQUIRES_REFERENCE === "true",
    },
    references: {
      refereesMax: values.REFEREES_MAX,
      linkLifetimeMs: values.REFERENCE_LINK_DAYS * 24 * 60 * 60 * 1000,
    },
    worker: { concurrency: values.WORKER_CONCURRENCY },
    rateLimits: {
      perClient: [
        { points: values.RATE_LIMIT_PER_MINUTE, seconds: WINDOW_SECONDS.minute },
        { points: values.RATE_LIMIT_PER_HOUR, seconds: WINDOW_SECONDS.hour },
        { points: values.RATE_LIMIT_PER_DAY, seconds: WINDOW_SECONDS.day },
      ],
      perStaffAccount: values.RATE_LIMIT_STAFF,
      routes: {
        apply: values.RATE_LIMIT_APPLY,
        linkRequests: values.RATE_LIMIT_LINK_REQUESTS,
        signIn: values.RATE_LIMIT_SIGN_IN,
        uploads: values.RATE_LIMIT_UPLOADS,
        cspReports: values.RATE_LIMIT_CSP_REPORTS,
        cspReportsAll: values.RATE_LIMIT_CSP_REPORTS_ALL,
      },
      store:
        values.RATE_LIMIT_STORE === "redis" && values.REDIS_URL
          ? { kind: "redis", url: values.REDIS_URL }
          : { kind: "postgres" },
      storeTimeoutMs: values.RATE_LIMIT_STORE_TIMEOUT_MS,
    },
    metricsToken: values.METRICS_TOKEN ?? null,
    isMetricsLoopbackAllowed: (values.METRICS_ALLOW_LOOPBACK ?? String(!isProduction)) === "true",
    // The uploads folder is the one place every deployment lets the portal write (deploy/systemd);
    // nginx serves only its evidence/ folder (X-Accel-Redirect) and the backup archives only that too.
    setupLinkFile: path.resolve(
      projectRoot,
      values.SETUP_LINK_FILE ?? path.join(values.UPLOADS_DIR, "setup-link.txt"),
    ),
    matrix,
    matrixStaffRoom,
    matrixBot,
    standaloneTokens: values.STANDALONE_TOKENS,
    backupDir: values.BACKUP_DIR ? path.resolve(projectRoot, values.BACKUP_DIR) : null,
    securityTxt,
    maintenance,
  };
}

/** RFC 9116 asks for an Expires less than a year ahead, so that a forgotten file goes stale. */
const SECURITY_TXT_MAX_AHEAD_MS = 365 * 24 * 60 * 60 * 1000;

/**
 * security.txt from SECURITY_CONTACT and SECURITY_TXT_EXPIRES. The expiry is a date the operator writes
 * down, not "now + N days" computed per request: a rolling date would never go stale, which is what
 * Expires exists for (RFC 9116 2.5.5: a reader stops trusting a file nobody has looked at for a year).
 * A date already past is not a configuration error: a routine restart must not take the portal down
 * over it. The file is then served as it is (stale, as the RFC lets readers tell), and the alert
 * VettingPortalSecurityTxtExpiring (deploy/prometheus) has been saying so for a month.
 */
function securityTxtSettings(
  values: z.output<typeof ZEnvironment>,
  publicUrl: URL,
  problems: string[],
): SecurityTxtSettings | null {
  const contact = values.SECURITY_CONTACT;
  const expires = values.SECURITY_TXT_EXPIRES;
  const languages = values.SECURITY_TXT_PREFERRED_LANGUAGES;
  if (!contact) {
    if (expires || languages) {
      problems.push(
        "SECURITY_CONTACT: required with SECURITY_TXT_EXPIRES or SECURITY_TXT_PREFERRED_LANGUAGES",
      );
    }
    return null;
  }
  const contacts = contact
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  const badContacts = contacts.filter((entry) => !isSecurityContact(entry));
  if (contacts.length === 0 || badContacts.length > 0) {
    problems.push(
      `SECURITY_CONTACT: each entry must be a mailto:, https:// or tel: URI, e.g. mailto:security@example.org${badContacts.length > 0 ? ` (not: ${badContacts.join(", ")})` : ""}`,
    );
  }
  let expiresAt: Date | null = null;
  if (!expires) {
    problems.push("SECURITY_TXT_EXPIRES: required with SECURITY_CONTACT, a date less than a year ahead");
  } else {
    expiresAt = parseExpiry(expires);
    if (!expiresAt) {
      problems.push(
        "SECURITY_TXT_EXPIRES: must be a date (2027-06-30) or an RFC 3339 time (2027-06-30T12:00:00Z)",
      );
    } else if (expiresAt.getTime() - Date.now() >= SECURITY_TXT_MAX_AHEAD_MS) {
      problems.push(
        "SECURITY_TXT_EXPIRES: must be less than a year ahead (RFC 9116), so the file is reviewed yearly",
      );
    }
  }
  const preferredLanguages = (languages ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  if (preferredLanguages.some((tag) => !/^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/.test(tag))) {
    problems.push("SECURITY_TXT_PREFERRED_LANGUAGES: must be language tags separated by commas, e.g. en, de");
  }
  if (!expiresAt) return null;
  return {
    contacts,
    expiresAt,
    preferredLanguages,
    canonicalUrl: new URL(urls.securityTxt(), publicUrl).toString(),
  };
}

function isSecurityContact(entry: string): boolean {
  if (entry.startsWith("mailto:")) return ZRecipientAddress.safeParse(entry.slice("mailto:".length)).success;
  if (entry.startsWith("tel:")) return /^tel:\+[0-9][0-9-]{3,30}$/.test(entry);
  if (!entry.startsWith("https://")) return false;
  try {
    const url = new URL(entry);
    return url.protocol === "https:" && url.hostname !== "" && !/\s/.test(entry);
  } catch {
    return false;
  }
}

/** A calendar date (taken as its first moment, UTC) or an RFC 3339 time with Z or an offset. */
function parseExpiry(text: string): Date | null {
  const isDate = /^\d{4}-\d{2}-\d{2}$/.test(text);
  const isTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(text);
  if (!isDate && !isTime) return null;
  const date = new Date(isDate ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(date.getTime())) return null;
  // new Date() rolls 2027-02-30 over to March: a date that does not exist is a typo.
  if (date.toISOString().slice(0, 10) !== text.slice(0, 10) && isDate) return null;
  return date;
}

/** The banner's note is one sentence or two, on one line (it sits in a bar above every page). */
const MAINTENANCE_NOTE_MAX_LENGTH = 200;

/**
 * The maintenance window and switch. Times need their offset: "22:00" alone would mean the server's time
 * zone to the portal and the operator's own to the operator. A window already past is not a problem (a
 * routine restart must not fail over it); it is simply no longer shown.
 */
function maintenanceSettings(values: z.output<typeof ZEnvironment>, problems: string[]): MaintenanceSettings {
  const timeOf = (name: "MAINTENANCE_FROM" | "MAINTENANCE_UNTIL"): Date | null => {
    const text = values[name];
    if (!text) return null;
    const isTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(text);
    const time = isTime ? new Date(text) : null;
    if (!time || Number.isNaN(time.getTime())) {
      problems.push(`${name}: must be a time with its offset, e.g. 2026-12-01T22:00:00Z`);
      return null;
    }
    return time;
  };
  const from = timeOf("MAINTENANCE_FROM");
  const until = timeOf("MAINTENANCE_UNTIL");
  if (Boolean(values.MAINTENANCE_FROM) !== Boolean(values.MAINTENANCE_UNTIL)) {
    problems.push("MAINTENANCE_FROM and MAINTENANCE_UNTIL: set both (the announced window) or neither");
  } else if (from && until && until.getTime() <= from.getTime()) {
    problems.push("MAINTENANCE_UNTIL: must be after MAINTENANCE_FROM");
  }
  const note = values.MAINTENANCE_NOTE?.trim() || null;
  if (note !== null && (!isOneLineText(note) || note.length > MAINTENANCE_NOTE_MAX_LENGTH)) {
    problems.push(
      `MAINTENANCE_NOTE: must be one line of plain text, at most ${MAINTENANCE_NOTE_MAX_LENGTH} characters`,
    );
  }
  const isReadOnly = values.MAINTENANCE_READ_ONLY === "true";
  if (note !== null && !values.MAINTENANCE_FROM && !isReadOnly) {
    problems.push(
      "MAINTENANCE_NOTE: shown only with MAINTENANCE_FROM and MAINTENANCE_UNTIL, or MAINTENANCE_READ_ONLY",
    );
  }
  return {
    window: from && until ? { from, until } : null,
    announceMs: values.MAINTENANCE_ANNOUNCE_HOURS * 3_600_000,
    note,
    isReadOnly,
  };
}

/** The built-in notice's version; its text is in the catalogs (privacy.builtIn.*), in every shipped language. */
const BUILT_IN_PRIVACY_NOTICE_VERSION = "built-in-1";

type PrivacyNoticeFileSetting = "PRIVACY_NOTICE_FILE" | `PRIVACY_NOTICE_FILE_${Uppercase<ShippedLanguage>}`;

const languageFileSetting = (language: ShippedLanguage): PrivacyNoticeFileSetting =>
  `PRIVACY_NOTICE_FILE_${language.toUpperCase() as Uppercase<ShippedLanguage>}`;

/**
 * The operator's privacy notice in each language offered, with its one version; or the built-in notice
 * when no file and no version is set. Once an operator gives their own notice, every shipped language in
 * LANGUAGES needs its text: a consent is only informed in a language the person reads, so a missing
 * translation stops the start (with every such problem listed) rather than showing another language.
 */
function readPrivacyNotices(
  values: Partial<Record<PrivacyNoticeFileSetting | "PRIVACY_NOTICE_VERSION", string>>,
  languages: readonly Language[],
  problems: string[],
): PrivacyNoticeSettings {
  const builtIn = { noticeTexts: null, noticeVersion: BUILT_IN_PRIVACY_NOTICE_VERSION };
  const offered = languages.filter((language): language is ShippedLanguage => language !== PSEUDO_LANGUAGE);
  // The pseudo-language is made from English, so with it alone the default notice is the English one.
  const defaultLanguage = offered[0] ?? DEFAULT_LANGUAGE;
  const fileSettings = ["PRIVACY_NOTICE_FILE" as const, ...SHIPPED_LANGUAGES.map(languageFileSetting)];
  const isAnyFileSet = fileSettings.some((setting) => values[setting] !== undefined);
  const version = values.PRIVACY_NOTICE_VERSION;
  if (!isAnyFileSet && version === undefined) return builtIn;
  if (!isAnyFileSet || version === undefined) {
    problems.push("PRIVACY_NOTICE_FILE and PRIVACY_NOTICE_VERSION: set both (your own notice) or neither");
    return builtIn;
  }
  if (!/^[\w.-]{1,40}$/.test(version)) {
    problems.push("PRIVACY_NOTICE_VERSION: use 1 to 40 letters, digits, dots, dashes or underscores");
  }
  const offeredList = languages.join(", ");
  const sources: [ShippedLanguage, PrivacyNoticeFileSetting, string][] = [];
  for (const language of SHIPPED_LANGUAGES) {
    const setting = languageFileSetting(language);
    const isOffered = offered.includes(language) || language === defaultLanguage;
    if (!isOffered) {
      if (values[setting] !== undefined) {
        problems.push(
          `${setting}: ${language} is not among LANGUAGES (${offeredList}); offer it there or remove this setting`,
        );
      }
      continue;
    }
    const name = `${language} (${LANGUAGE_NAMES[language]})`;
    if (language === defaultLanguage && values.PRIVACY_NOTICE_FILE !== undefined) {
      if (values[setting] !== undefined) {
        problems.push(
          `PRIVACY_NOTICE_FILE and ${setting}: both give the notice in ${name}, the default language; set one`,
        );
      }
      sources.push([language, "PRIVACY_NOTICE_FILE", values.PRIVACY_NOTICE_FILE]);
    } else if (values[setting] !== undefined) {
      sources.push([language, setting, values[setting]]);
    } else if (language === defaultLanguage) {
      problems.push(
        `PRIVACY_NOTICE_FILE: required for your notice in ${name}, the default language (or ${setting})`,
      );
    } else {
      problems.push(
        `${setting}: required, because LANGUAGES offers ${name}: give your notice's text in it (version ${version} too), or remove ${language} from LANGUAGES`,
      );
    }
  }
  // The default language first: the notice shown where no other fits (the pseudo-language).
  sources.sort(([a], [b]) => Number(b === defaultLanguage) - Number(a === defaultLanguage));
  const noticeTexts = new Map<ShippedLanguage, string>();
  for (const [language, setting, file] of sources) {
    try {
      const text = readFileSync(path.resolve(projectRoot, file), "utf8").trim();
      if (text) noticeTexts.set(language, text);
      else problems.push(`${setting}: ${file} is empty`);
    } catch {
      problems.push(`${setting}: cannot read ${file}`);
    }
  }
  return { noticeTexts, noticeVersion: version };
}

/**
 * Outside production, missing secrets are generated. In development they are kept in .data/ so that
 * sessions and enrolled authenticators survive a restart; in tests they are fresh per process.
 */
/** A 32-byte key given in base64; a problem listed (and undefined) when it is not one. */
function base64Key(name: string, value: string | undefined, problems: string[]): Buffer | undefined {
  if (value === undefined) return undefined;
  const key = Buffer.from(value, "base64");
  if (key.length !== 32) {
    problems.push(`${name}: must be 32 bytes in base64 (generate one with: openssl rand -base64 32)`);
    return undefined;
  }
  return key;
}

function developmentSecrets(env: string): { sessionSecret: string; totpKey: string } {
  const fresh = {
    sessionSecret: randomBytes(48).toString("base64url"),
    totpKey: randomBytes(32).toString("base64"),
  };
  if (env !== "development") return fresh;
  const file = path.join(projectRoot, ".data", "development-secrets.json");
  try {
    return JSON.parse(readFileSync(file, "utf8")) as typeof fresh;
  } catch {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(fresh), { mode: 0o600 });
    return fresh;
  }
}

/** The commit of a git checkout, read from .git without spawning git; undefined outside a checkout. */
function readGitCommit(): string | undefined {
  try {
    const head = readFileSync(path.join(projectRoot, ".git", "HEAD"), "utf8").trim();
    if (!head.startsWith("ref: ")) return head;
    const ref = head.slice(5);
    try {
      return readFileSync(path.join(projectRoot, ".git", ref), "utf8").trim();
    } catch {
      const packed = readFileSync(path.join(projectRoot, ".git", "packed-refs"), "utf8");
      return packed
        .split("\n")
        .find((line) => line.endsWith(` ${ref}`))
        ?.split(" ")[0];
    }
  } catch {
    return undefined;
  }
}

/** The sslmode values libpq knows; the backup scripts hand the URL to libpq (psql, pg_dump) as it is. */
const SSL_MODES = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"];

/**
 * TLS to a remote database is set in the URL (`?sslmode=verify-full&sslrootcert=/path/ca.pem`), and both
 * node-postgres and libpq read those files only when they connect: a mistake is said here, at start,
 * rather than as an obscure failure of the first query. The files' paths are named, never the URL.
 */
function checkDatabaseUrlTls(name: string, url: string | undefined, problems: string[]): void {
  if (!url) return;
  const parameters = new URL(url).searchParams;
  const mode = parameters.get("sslmode");
  if (mode !== null && !SSL_MODES.includes(mode)) {
    problems.push(
      `${name}: sslmode must be one of ${SSL_MODES.join(", ")} (verify-full checks the server's certificate and host name)`,
    );
  }
  for (const parameter of ["sslrootcert", "sslcert", "sslkey"]) {
    const file = parameters.get(parameter);
    if (file === null) continue;
    if (parameter === "sslrootcert" && file === "system") {
      problems.push(
        `${name}: sslrootcert=system is not understood by the portal's driver (node-postgres): name the CA file, e.g. sslrootcert=/etc/ssl/certs/ca-certificates.crt`,
      );
      continue;
    }
    try {
      readFileSync(file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
      problems.push(`${name}: ${parameter} ${file} cannot be read (${code})`);
    }
  }
}

function matrixSettings(
  values: z.output<typeof ZEnvironment>,
  isProduction: boolean,
  problems: string[],
): MatrixSettings | null {
  const url = values.MATRIX_HOMESERVER_URL;
  const token = values.MATRIX_ADMIN_TOKEN;
  if (!url && !token) return null;
  if (!url || !token) {
    problems.push(
      url
        ? "MATRIX_ADMIN_TOKEN: required with MATRIX_HOMESERVER_URL (a Synapse admin's access token)"
        : "MATRIX_HOMESERVER_URL: required with MATRIX_ADMIN_TOKEN (e.g. https://matrix.example.org)",
    );
    return null;
  }
  const homeserverUrl = new URL(url);
  // The admin token crosses this connection: in production only over TLS, or to the same host.
  const isLoopback = ["localhost", "127.0.0.1", "[::1]"].includes(homeserverUrl.hostname);
  if (isProduction && homeserverUrl.protocol !== "https:" && !isLoopback) {
    problems.push("MATRIX_HOMESERVER_URL: must be https:// in production (or http:// to this host only)");
  }
  return {
    homeserverUrl,
    adminToken: token,
    tokenLifetimeMs: values.MATRIX_TOKEN_LIFETIME_DAYS * 24 * 60 * 60 * 1000,
    registrationUrl: values.MATRIX_REGISTRATION_URL ? new URL(values.MATRIX_REGISTRATION_URL) : null,
    requestTimeoutMs: values.MATRIX_REQUEST_TIMEOUT_MS,
  };
}

/** Debian's clamav-daemon listens here. */
const DEBIAN_CLAMD_SOCKET = "/run/clamav/clamd.ctl";

function malwareScanSettings(
  values: z.output<typeof ZEnvironment>,
  isProduction: boolean,
  problems: string[],
): Config["evidence"]["malwareScan"] {
  const mode = values.EVIDENCE_SCAN ?? (isProduction ? "required" : "off");
  if (values.CLAMAV_SOCKET && values.CLAMAV_HOST) {
    problems.push("CLAMAV_SOCKET and CLAMAV_HOST: set one (clamd's Unix socket, or its TCP host and port)");
  }
  if (mode === "off") return null;
  const clamd: ClamdAddress = values.CLAMAV_HOST
    ? { host: values.CLAMAV_HOST, port: values.CLAMAV_PORT }
    : { socketPath: values.CLAMAV_SOCKET ?? DEBIAN_CLAMD_SOCKET };
  return { clamd, timeoutMs: values.CLAMAV_TIMEOUT_SECONDS * 1000 };
}

function matrixStaffRoomSettings(
  values: z.output<typeof ZEnvironment>,
  matrix: MatrixSettings | null,
  problems: string[],
): MatrixStaffRoomSettings | null {
  const roomId = values.MATRIX_STAFF_ROOM_ID;
  const token = values.MATRIX_BOT_ACCESS_TOKEN;
  // A bot token alone is fine: it proves applicants' Matrix IDs without posting to a staff room.
  if (!roomId) return null;
  if (!token) {
    problems.push(
      "MATRIX_BOT_ACCESS_TOKEN: required with MATRIX_STAFF_ROOM_ID (the access token of a bot in that room)",
    );
    return null;
  }
  if (!matrix) {
    problems.push("MATRIX_STAFF_ROOM_ID: needs MATRIX_HOMESERVER_URL (the homeserver of the staff room)");
    return null;
  }
  return {
    homeserverUrl: matrix.homeserverUrl,
    roomId,
    botAccessToken: token,
    requestTimeoutMs: matrix.requestTimeoutMs,
  };
}

function matrixBotSettings(
  values: z.output<typeof ZEnvironment>,
  matrix: MatrixSettings | null,
  problems: string[],
): MatrixBotSettings | null {
  const token = values.MATRIX_BOT_ACCESS_TOKEN;
  if (!token) return null;
  if (!matrix) {
    // Reported once, by the staff room's check, when the room is set too.
    if (!values.MATRIX_STAFF_ROOM_ID)
      problems.push("MATRIX_BOT_ACCESS_TOKEN: needs MATRIX_HOMESERVER_URL (the bot's homeserver)");
    return null;
  }
  return {
    homeserverUrl: matrix.homeserverUrl,
    botAccessToken: token,
    requestTimeoutMs: matrix.requestTimeoutMs,
  };
}

function oidcSettings(
  values: z.infer<typeof ZEnvironment>,
  isProduction: boolean,
  problems: string[],
): OidcSettings | null {
  const given = [values.OIDC_ISSUER, values.OIDC_CLIENT_ID, values.OIDC_CLIENT_SECRET];
  if (given.every((value) => value === undefined)) {
    if (values.OIDC_ONLY === "true")
      problems.push("OIDC_ONLY: needs single sign-on (OIDC_ISSUER and the rest)");
    return null;
  }
  if (!values.OIDC_ISSUER || !values.OIDC_CLIENT_ID || !values.OIDC_CLIENT_SECRET) {
    problems.push(
      "OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET: set all three (single sign-on) or none",
    );
    return null;
  }
  const issuer = new URL(values.OIDC_ISSUER);
  // Tokens and the provider's keys travel on this connection: only TLS keeps them honest.
  if (isProduction && issuer.protocol !== "https:") {
    problems.push("OIDC_ISSUER: must start with https:// in production");
  }
  if (!isOneLineText(values.OIDC_DISPLAY_NAME) || values.OIDC_DISPLAY_NAME.trim() === "") {
    problems.push("OIDC_DISPLAY_NAME: must be one line of text");
  }
  return {
    issuer,
    clientId: values.OIDC_CLIENT_ID,
    clientSecret: values.OIDC_CLIENT_SECRET,
    displayName: values.OIDC_DISPLAY_NAME.trim(),
    linkByEmail: values.OIDC_LINK_BY_EMAIL === "true",
    only: values.OIDC_ONLY === "true",
    allowsInsecureIssuer: !isProduction && issuer.protocol === "http:",
  };
}

function parseLanguages(value: string, isProduction: boolean, problems: string[]): Language[] {
  const offered: readonly Language[] = isProduction
    ? SHIPPED_LANGUAGES
    : [...SHIPPED_LANGUAGES, PSEUDO_LANGUAGE];
  const languages = [
    ...new Set(
      value
        .split(",")
        .map((entry) => entry.trim())
        .filter((entry) => entry !== ""),
    ),
  ];
  const unknown = languages.filter((language) => !isLanguage(language, offered));
  if (unknown.length > 0 || languages.length === 0) {
    problems.push(
      `LANGUAGES: ${unknown.join(", ") || "empty"} — use a comma-separated list of ${offered.join(", ")} (the first is the default)`,
    );
    return [DEFAULT_LANGUAGE];
  }
  return languages as Language[];
}
