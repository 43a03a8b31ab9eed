import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { ConfigError, loadConfig, projectRoot } from "./config.js";

const goodProduction = {
  NODE_ENV: "production",
  PUBLIC_URL: "https://vetting.example.org",
  SESSION_SECRET: "s".repeat(32),
  DATABASE_URL: "postgresql://portal:pw@db.internal:5432/portal",
  SMTP_HOST: "mail.smtp2go.com",
  SMTP_USER: "portal",
  SMTP_RELAY_AUTHPW: "relay-password",
  MAIL_FROM_ADDRESS: "vetting@example.org",
  TOTP_ENCRYPTION_KEY: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
};

function problemsOf(environment: Record<string, string>): string[] {
  try {
    loadConfig(environment);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  return [];
}

describe("configuration", () => {
  test("development needs nothing and has sensible defaults", () => {
    const config = loadConfig({});
    assert.equal(config.env, "development");
    assert.equal(config.http.port, 3000);
    assert.equal(config.http.publicUrl.origin, "http://localhost:3000");
    assert.equal(config.database.url, undefined);
    assert.equal(config.database.embedded.dataDir, path.join(projectRoot, ".data/postgres"));
    assert.deepEqual(config.mail.relay, null);
    assert.equal(config.mail.devMailbox?.smtpPort, 1025);
    assert.equal(config.logLevel, "debug");
    assert.ok(Buffer.byteLength(config.sessionSecret) >= 32, "a random development secret is generated");
    assert.deepEqual(
      {
        pool: config.database.poolMax,
        statement: config.database.statementTimeoutMs,
        connect: config.database.connectionTimeoutMs,
        query: config.database.queryTimeoutMs,
      },
      { pool: 10, statement: 15_000, connect: 5_000, query: 17_000 },
    );
  });

  test("a complete production configuration is accepted, logs at info and never uses the catcher", () => {
    const config = loadConfig(goodProduction);
    assert.equal(config.isProduction, true);
    assert.equal(config.logLevel, "info");
    assert.equal(config.mail.devMailbox, null);
    assert.deepEqual(config.mail.relay?.ports, [2525, 8025, 587, 80]);
  });

  test("arrival deadlines, the setup link's file and /metrics on loopback: defaults and settings", () => {
    const development = loadConfig({});
    assert.deepEqual([development.http.headersTimeoutMs, development.http.bodyTimeoutMs], [10_000, 30_000]);
    assert.equal(development.setupLinkFile, path.join(projectRoot, "uploads", "setup-link.txt"));
    assert.equal(development.isMetricsLoopbackAllowed, true);
    const production = loadConfig({ ...goodProduction, UPLOADS_DIR: "/srv/vetting-portal/uploads" });
    assert.equal(production.isMetricsLoopbackAllowed, false, "production trusts loopback only when told to");
    assert.equal(production.setupLinkFile, "/srv/vetting-portal/uploads/setup-link.txt");
    const configured = loadConfig({
      ...goodProduction,
      HTTP_HEADERS_TIMEOUT_SECONDS: "5",
      HTTP_BODY_TIMEOUT_SECONDS: "20",
      SETUP_LINK_FILE: "/run/vetting-portal/setup-link",
      METRICS_ALLOW_LOOPBACK: "true",
    });
    assert.deepEqual([configured.http.headersTimeoutMs, configured.http.bodyTimeoutMs], [5_000, 20_000]);
    assert.equal(configured.setupLinkFile, "/run/vetting-portal/setup-link");
    assert.equal(configured.isMetricsLoopbackAllowed, true);
    assert.deepEqual(problemsOf({ HTTP_BODY_TIMEOUT_SECONDS: "0", METRICS_ALLOW_LOOPBACK: "yes" }), [
      "HTTP_BODY_TIMEOUT_SECONDS: must be at least 1",
      'METRICS_ALLOW_LOOPBACK: Invalid option: expected one of "true"|"false"',
    ]);
  });

  test("logs are readable lines in development and JSON elsewhere; production takes only JSON", () => {
    assert.equal(loadConfig({}).logFormat, "pretty");
    assert.equal(loadConfig({ LOG_FORMAT: "json" }).logFormat, "json");
    assert.equal(loadConfig({ NODE_ENV: "test" }).logFormat, "json");
    assert.equal(loadConfig(goodProduction).logFormat, "json");
    assert.deepEqual(problemsOf({ ...goodProduction, LOG_FORMAT: "pretty" }), [
      "LOG_FORMAT: production logs are JSON (for the journal and log shippers); pipe them through npx pino-pretty to read them",
    ]);
    assert.deepEqual(problemsOf({ LOG_FORMAT: "text" }), [
      'LOG_FORMAT: Invalid option: expected one of "json"|"pretty"',
    ]);
  });

  test("each bad value is named with its own message", () => {
    assert.deepEqual(problemsOf({ PORT: "eighty" }), ["PORT: must be a whole number"]);
    assert.deepEqual(problemsOf({ PORT: "70000" }), ["PORT: must be at most 65535"]);
    assert.deepEqual(problemsOf({ NODE_ENV: "staging" }), [
      'NODE_ENV: Invalid option: expected one of "development"|"production"|"test"',
    ]);
    assert.deepEqual(problemsOf({ DATABASE_URL: "mysql://x@y/z" }), [
      "DATABASE_URL: must be a postgresql:// URL",
    ]);
    assert.deepEqual(problemsOf({ PUBLIC_URL: "ftp://example.org" }), [
      "PUBLIC_URL: must be an http:// or https:// URL",
    ]);
    assert.deepEqual(problemsOf({ SMTP_PORTS: "2525;587" }), [
      "SMTP_PORTS: must be a comma-separated list of ports, e.g. 2525,8025,587,80",
    ]);
    assert.deepEqual(problemsOf({ DATABASE_POOL_MAX: "0" }), ["DATABASE_POOL_MAX: must be at least 1"]);
    assert.deepEqual(problemsOf({ SESSION_SECRET: "short" }), [
      "SESSION_SECRET: must be at least 32 bytes long",
    ]);
    assert.deepEqual(problemsOf({ SMTP_USER: "portal" }), [
      "SMTP_USER and SMTP_RELAY_AUTHPW: set both (authenticated relay) or neither",
    ]);
  });

  test("the TOTP key must be 32 bytes, and two-factor sign-in stays on in production", () => {
    assert.deepEqual(problemsOf({ TOTP_ENCRYPTION_KEY: "c2hvcnQ=" }), [
      "TOTP_ENCRYPTION_KEY: must be 32 bytes in base64 (generate one with: openssl rand -base64 32)",
    ]);
    assert.deepEqual(problemsOf({ ...goodProduction, STAFF_REQUIRE_2FA: "false" }), [
      "STAFF_REQUIRE_2FA: two-factor sign-in cannot be turned off in production",
    ]);
    assert.equal(loadConfig({}).staff.passkeysRequiredFor, "none");
    assert.equal(
      loadConfig({ STAFF_PASSKEYS_REQUIRED_FOR: "admins", PUBLIC_URL: "http://localhost:3000" }).staff
        .passkeysRequiredFor,
      "admins",
    );
    assert.deepEqual(problemsOf({ STAFF_PASSKEYS_REQUIRED_FOR: "everyone" }), [
      'STAFF_PASSKEYS_REQUIRED_FOR: Invalid option: expected one of "none"|"admins"|"all"',
    ]);
    assert.deepEqual(
      problemsOf({ STAFF_PASSKEYS_REQUIRED_FOR: "all", PUBLIC_URL: "http://127.0.0.1:3000" }),
      [
        "STAFF_PASSKEYS_REQUIRED_FOR: passkeys need PUBLIC_URL to name a domain (browsers refuse them for an IP address)",
      ],
    );
    assert.equal(
      loadConfig({ STAFF_REQUIRE_2FA: "false" }).staff.requireSecondFactor,
      false,
      "development may relax it",
    );
    assert.deepEqual(
      { idle: loadConfig({}).staff.sessionIdleMs, absolute: loadConfig({}).staff.sessionAbsoluteMs },
      { idle: 60 * 60_000, absolute: 12 * 3_600_000 },
    );
  });

  test("encryption at rest and the previous keys of a rotation: 32-byte keys, each beside its current key, never the same", (context) => {
    const key = (byte: number) => Buffer.alloc(32, byte).toString("base64");
    assert.equal(loadConfig({}).evidence.encryption, null, "off unless a key is set");
    const rotating = loadConfig({
      ...goodProduction,
      EVIDENCE_ENCRYPTION_KEY: key(1),
      EVIDENCE_ENCRYPTION_KEY_PREVIOUS: key(2),
      SESSION_SECRET_PREVIOUS: "p".repeat(32),
      TOTP_ENCRYPTION_KEY_PREVIOUS: key(3),
    });
    assert.deepEqual(rotating.evidence.encryption?.current.key, Buffer.alloc(32, 1));
    assert.deepEqual(rotating.evidence.encryption?.previous?.key, Buffer.alloc(32, 2));
    assert.match(rotating.evidence.encryption?.current.id ?? "", /^[0-9a-f]{16}$/);
    assert.notEqual(rotating.evidence.encryption?.current.id, rotating.evidence.encryption?.previous?.id);
    assert.equal(rotating.sessionSecretPrevious, "p".repeat(32));
    assert.deepEqual(rotating.staff.totpKeyPrevious, Buffer.alloc(32, 3));

    assert.deepEqual(
      problemsOf({
        EVIDENCE_ENCRYPTION_KEY: "c2hvcnQ=",
        EVIDENCE_ENCRYPTION_KEY_PREVIOUS: key(2),
        TOTP_ENCRYPTION_KEY_PREVIOUS: key(3),
        SESSION_SECRET_PREVIOUS: "p".repeat(32),
      }),
      [
        "TOTP_ENCRYPTION_KEY_PREVIOUS: set only beside TOTP_ENCRYPTION_KEY",
        "SESSION_SECRET_PREVIOUS: set only beside SESSION_SECRET",
        "EVIDENCE_ENCRYPTION_KEY: must be 32 bytes in base64 (generate one with: openssl rand -base64 32)",
        "EVIDENCE_ENCRYPTION_KEY_PREVIOUS: set only beside EVIDENCE_ENCRYPTION_KEY",
      ],
    );
    assert.deepEqual(
      problemsOf({
        ...goodProduction,
        EVIDENCE_ENCRYPTION_KEY: key(1),
        EVIDENCE_ENCRYPTION_KEY_PREVIOUS: key(1),
        TOTP_ENCRYPTION_KEY_PREVIOUS: goodProduction.TOTP_ENCRYPTION_KEY,
        SESSION_SECRET_PREVIOUS: goodProduction.SESSION_SECRET,
      }),
      [
        "TOTP_ENCRYPTION_KEY_PREVIOUS: must differ from TOTP_ENCRYPTION_KEY",
        "SESSION_SECRET_PREVIOUS: must differ from SESSION_SECRET",
        "EVIDENCE_ENCRYPTION_KEY_PREVIOUS: must differ from EVIDENCE_ENCRYPTION_KEY",
      ],
    );

    // The key from a file, as every secret may be given.
    const dir = mkdtempSync(path.join(tmpdir(), "vp-kek-"));
    context.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, "kek");
    writeFileSync(file, `${key(9)}\n`, { mode: 0o600 });
    assert.deepEqual(
      loadConfig({ EVIDENCE_ENCRYPTION_KEY_FILE: file }).evidence.encryption?.current.key,
      Buffer.alloc(32, 9),
    );
  });

  test("the client-side query timeout follows the statement timeout, and stays above it", () => {
    assert.equal(loadConfig({ DATABASE_STATEMENT_TIMEOUT_MS: "1000" }).database.queryTimeoutMs, 3_000);
    assert.equal(loadConfig({ DATABASE_QUERY_TIMEOUT_MS: "20000" }).database.queryTimeoutMs, 20_000);
    assert.deepEqual(problemsOf({ DATABASE_QUERY_TIMEOUT_MS: "15000" }), [
      "DATABASE_QUERY_TIMEOUT_MS: must be more than DATABASE_STATEMENT_TIMEOUT_MS (15000), so that the server cancels a slow statement itself first",
    ]);
    assert.deepEqual(problemsOf({ DATABASE_QUERY_TIMEOUT_MS: "soon" }), [
      "DATABASE_QUERY_TIMEOUT_MS: must be a whole number",
    ]);
  });

  test("TLS files named in the database URLs must be readable at start; the URL itself is never shown", () => {
    const directory = mkdtempSync(path.join(tmpdir(), "vp-config-tls-"));
    try {
      const caFile = path.join(directory, "ca.pem");
      writeFileSync(caFile, "-----BEGIN CERTIFICATE-----\n");
      const url = `postgresql://portal:secret-pw@db.internal/portal?sslmode=verify-full&sslrootcert=${caFile}`;
      assert.equal(loadConfig({ DATABASE_URL: url }).database.url, url);
      const missing = path.join(directory, "missing.pem");
      const problems = problemsOf({
        DATABASE_URL: `postgresql://portal:secret-pw@db.internal/portal?sslmode=verify_full&sslrootcert=${missing}`,
        DATABASE_OWNER_URL: `postgresql://owner:secret-pw@db.internal/portal?sslmode=verify-full&sslrootcert=system&sslcert=${missing}&sslkey=${caFile}`,
      });
      assert.deepEqual(problems, [
        "DATABASE_URL: sslmode must be one of disable, allow, prefer, require, verify-ca, verify-full (verify-full checks the server's certificate and host name)",
        `DATABASE_URL: sslrootcert ${missing} cannot be read (ENOENT)`,
        "DATABASE_OWNER_URL: sslrootcert=system is not understood by the portal's driver (node-postgres): name the CA file, e.g. sslrootcert=/etc/ssl/certs/ca-certificates.crt",
        `DATABASE_OWNER_URL: sslcert ${missing} cannot be read (ENOENT)`,
      ]);
      assert.ok(!problems.join("\n").includes("secret-pw"), "no password in the problems");
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  test("sensitive actions ask for the second factor again after STEP_UP_MINUTES (default 10)", () => {
    assert.equal(loadConfig({}).staff.stepUpMs, 10 * 60_000);
    assert.equal(loadConfig({ STEP_UP_MINUTES: "3" }).staff.stepUpMs, 3 * 60_000);
    assert.deepEqual(problemsOf({ STEP_UP_MINUTES: "0" }), ["STEP_UP_MINUTES: must be at least 1"]);
    assert.deepEqual(problemsOf({ STEP_UP_MINUTES: "ten" }), ["STEP_UP_MINUTES: must be a whole number"]);
  });

  test("evidence checks: scanning required in production unless turned off, clamd's socket or host, PDFs and photos", () => {
    const production = loadConfig(goodProduction).evidence;
    assert.deepEqual(production.malwareScan, {
      clamd: { socketPath: "/run/clamav/clamd.ctl" },
      timeoutMs: 60_000,
    });
    assert.equal(production.pdfActiveContent, "refuse");
    assert.equal(production.isMetadataStripped, true);
    assert.equal(loadConfig({ ...goodProduction, EVIDENCE_SCAN: "off" }).evidence.malwareScan, null);
    assert.equal(loadConfig({}).evidence.malwareScan, null, "development needs no clamd");
    assert.deepEqual(
      loadConfig({ EVIDENCE_SCAN: "required", CLAMAV_HOST: "clamd.internal", CLAMAV_TIMEOUT_SECONDS: "5" })
        .evidence.malwareScan,
      { clamd: { host: "clamd.internal", port: 3310 }, timeoutMs: 5_000 },
    );
    assert.deepEqual(problemsOf({ CLAMAV_SOCKET: "/run/clamav/clamd.ctl", CLAMAV_HOST: "clamd.internal" }), [
      "CLAMAV_SOCKET and CLAMAV_HOST: set one (clamd's Unix socket, or its TCP host and port)",
    ]);
    const relaxed = loadConfig({ EVIDENCE_PDF_ACTIVE: "flag", EVIDENCE_STRIP_METADATA: "off" }).evidence;
    assert.equal(relaxed.pdfActiveContent, "flag");
    assert.equal(relaxed.isMetadataStripped, false);
    assert.deepEqual(problemsOf({ EVIDENCE_SCAN: "maybe" }), [
      'EVIDENCE_SCAN: Invalid option: expected one of "required"|"off"',
    ]);
  });

  test("the privacy notice is the built-in one (in every language, from the catalogs) unless the operator gives their own", () => {
    const builtIn = loadConfig({ NODE_ENV: "test" }).privacy;
    assert.equal(builtIn.noticeVersion, "built-in-1");
    assert.equal(builtIn.noticeTexts, null);
    assert.equal(builtIn.retentionDays, 365);
    assert.deepEqual(problemsOf({ NODE_ENV: "test", PRIVACY_NOTICE_VERSION: "2026-11" }), [
      "PRIVACY_NOTICE_FILE and PRIVACY_NOTICE_VERSION: set both (your own notice) or neither",
    ]);
  });

  describe("an operator's own privacy notice: one file per language offered, one version", () => {
    const folder = mkdtempSync(path.join(tmpdir(), "notice-"));
    after(() => rmSync(folder, { recursive: true, force: true }));
    const noticeFile = (name: string, text: string) => {
      const file = path.join(folder, name);
      writeFileSync(file, text);
      return file;
    };
    const english = noticeFile("notice.en.txt", "  We keep your data for a year.\n\nAsk us to erase it.\n");
    const german = noticeFile("notice.de.txt", "Wir bewahren Ihre Daten ein Jahr lang auf.\n");
    const french = noticeFile("notice.fr.txt", "Nous conservons vos données pendant un an.\n");

    test("PRIVACY_NOTICE_FILE alone, with English the only language, works as it always has", () => {
      const own = loadConfig({
        NODE_ENV: "test",
        LANGUAGES: "en",
        PRIVACY_NOTICE_FILE: english,
        PRIVACY_NOTICE_VERSION: "2026-11",
      });
      assert.deepEqual(own.privacy, {
        noticeTexts: new Map([["en", "We keep your data for a year.\n\nAsk us to erase it."]]),
        noticeVersion: "2026-11",
        retentionDays: 365,
        draftRetentionDays: 30,
        unconfirmedRetentionDays: 7,
      });
    });

    test("PRIVACY_NOTICE_FILE is the default language's text, PRIVACY_NOTICE_FILE_<LANGUAGE> each other's", () => {
      const own = loadConfig({
        NODE_ENV: "test",
        LANGUAGES: "de,fr,en",
        PRIVACY_NOTICE_FILE: german,
        PRIVACY_NOTICE_FILE_FR: french,
        PRIVACY_NOTICE_FILE_EN: english,
        PRIVACY_NOTICE_VERSION: "2026-11",
      });
      assert.deepEqual(
        [...(own.privacy.noticeTexts ?? [])],
        [
          ["de", "Wir bewahren Ihre Daten ein Jahr lang auf."],
          ["en", "We keep your data for a year.\n\nAsk us to erase it."],
          ["fr", "Nous conservons vos données pendant un an."],
        ],
      );
      const perLanguageOnly = loadConfig({
        NODE_ENV: "test",
        LANGUAGES: "en,de",
        PRIVACY_NOTICE_FILE_EN: english,
        PRIVACY_NOTICE_FILE_DE: german,
        PRIVACY_NOTICE_VERSION: "3",
      });
      assert.deepEqual([...(perLanguageOnly.privacy.noticeTexts?.keys() ?? [])], ["en", "de"]);
      // The pseudo-language needs no file: it shows the English text.
      const withPseudo = loadConfig({
        NODE_ENV: "test",
        LANGUAGES: "en,en-XA",
        PRIVACY_NOTICE_FILE: english,
        PRIVACY_NOTICE_VERSION: "3",
      });
      assert.deepEqual([...(withPseudo.privacy.noticeTexts?.keys() ?? [])], ["en"]);
    });

    test("a language offered without its text stops the start, every such problem listed", () => {
      assert.deepEqual(
        problemsOf({ NODE_ENV: "test", PRIVACY_NOTICE_FILE: english, PRIVACY_NOTICE_VERSION: "2026-11" }),
        [
          "PRIVACY_NOTICE_FILE_DE: required, because LANGUAGES offers de (Deutsch): give your notice's text in it (version 2026-11 too), or remove de from LANGUAGES",
          "PRIVACY_NOTICE_FILE_FR: required, because LANGUAGES offers fr (Français): give your notice's text in it (version 2026-11 too), or remove fr from LANGUAGES",
        ],
      );
      assert.deepEqual(
        problemsOf({
          NODE_ENV: "test",
          LANGUAGES: "en,de",
          PRIVACY_NOTICE_FILE_DE: german,
          PRIVACY_NOTICE_VERSION: "2026-11",
        }),
        [
          "PRIVACY_NOTICE_FILE: required for your notice in en (English), the default language (or PRIVACY_NOTICE_FILE_EN)",
        ],
      );
    });

    test("files that cannot be read, are empty, clash or belong to a language not offered are refused", () => {
      const empty = noticeFile("empty.txt", " \n\n");
      const missing = path.join(folder, "missing.txt");
      assert.deepEqual(
        problemsOf({
          NODE_ENV: "test",
          LANGUAGES: "en,de",
          PRIVACY_NOTICE_FILE: english,
          PRIVACY_NOTICE_FILE_EN: english,
          PRIVACY_NOTICE_FILE_DE: missing,
          PRIVACY_NOTICE_FILE_FR: french,
          PRIVACY_NOTICE_VERSION: "two words",
        }),
        [
          "PRIVACY_NOTICE_VERSION: use 1 to 40 letters, digits, dots, dashes or underscores",
          "PRIVACY_NOTICE_FILE and PRIVACY_NOTICE_FILE_EN: both give the notice in en (English), the default language; set one",
          "PRIVACY_NOTICE_FILE_FR: fr is not among LANGUAGES (en, de); offer it there or remove this setting",
          `PRIVACY_NOTICE_FILE_DE: cannot read ${missing}`,
        ],
      );
      assert.deepEqual(
        problemsOf({
          NODE_ENV: "test",
          LANGUAGES: "en",
          PRIVACY_NOTICE_FILE: empty,
          PRIVACY_NOTICE_VERSION: "2",
        }),
        [`PRIVACY_NOTICE_FILE: ${empty} is empty`],
      );
    });

    test("the portal refuses to start without a language's notice, saying which file is missing", () => {
      const result = spawnSync(process.execPath, ["--import", "tsx", "src/main.ts"], {
        cwd: projectRoot,
        env: {
          PATH: process.env.PATH,
          ...goodProduction,
          LANGUAGES: "en,fr",
          PRIVACY_NOTICE_FILE: english,
          PRIVACY_NOTICE_VERSION: "2026-11",
        },
        encoding: "utf8",
        timeout: 30_000,
      });
      assert.equal(result.status, 78);
      assert.deepEqual(result.stderr.trim().split("\n"), [
        "configuration error: PRIVACY_NOTICE_FILE_FR: required, because LANGUAGES offers fr (Français): give your notice's text in it (version 2026-11 too), or remove fr from LANGUAGES",
      ]);
      assert.equal(result.stdout, "", "nothing started, nothing printed");
    });
  });

  test("several problems are all reported at once", () => {
    assert.deepEqual(problemsOf({ PORT: "x", DATABASE_POOL_MAX: "-1" }), [
      "PORT: must be a whole number",
      "DATABASE_POOL_MAX: must be at least 1",
    ]);
  });

  test("production refuses a missing or short secret, missing database or mail, and plain http", () => {
    assert.deepEqual(problemsOf({ NODE_ENV: "production" }), [
      "PUBLIC_URL: required in production (the https:// address people use)",
      "SESSION_SECRET: required in production (generate one with: openssl rand -base64 48)",
      "DATABASE_URL: required in production (no embedded database)",
      "SMTP_HOST: required in production (the mail relay's host name)",
      "MAIL_FROM_ADDRESS: required in production, e.g. vetting@example.org",
      "TOTP_ENCRYPTION_KEY: required in production (generate one with: openssl rand -base64 32)",
    ]);
    assert.deepEqual(problemsOf({ ...goodProduction, SESSION_SECRET: "x".repeat(31) }), [
      "SESSION_SECRET: must be at least 32 bytes long",
    ]);
    assert.deepEqual(problemsOf({ ...goodProduction, PUBLIC_URL: "http://vetting.example.org" }), [
      "PUBLIC_URL: must start with https:// in production",
    ]);
  });

  test("the portal refuses to start in production with one line per problem and exit code 78", () => {
    const result = spawnSync(process.execPath, ["--import", "tsx", "src/main.ts"], {
      cwd: projectRoot,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: "production",
        PUBLIC_URL: "http://vetting.example.org",
        SESSION_SECRET: "short",
      },
      encoding: "utf8",
      timeout: 30_000,
    });
    assert.equal(result.status, 78);
    assert.deepEqual(result.stderr.trim().split("\n"), [
      "configuration error: PUBLIC_URL: must start with https:// in production",
      "configuration error: SESSION_SECRET: must be at least 32 bytes long",
      "configuration error: DATABASE_URL: required in production (no embedded database)",
      "configuration error: SMTP_HOST: required in production (the mail relay's host name)",
      "configuration error: MAIL_FROM_ADDRESS: required in production, e.g. vetting@example.org",
      "configuration error: TOTP_ENCRYPTION_KEY: required in production (generate one with: openssl rand -base64 32)",
    ]);
    assert.equal(result.stdout, "", "nothing started, nothing printed");
  });
});

describe("secrets from files", () => {
  const withoutSecrets = () => {
    const { SESSION_SECRET, DATABASE_URL, SMTP_RELAY_AUTHPW, TOTP_ENCRYPTION_KEY, ...rest } = goodProduction;
    return { rest, secrets: { SESSION_SECRET, DATABASE_URL, SMTP_RELAY_AUTHPW, TOTP_ENCRYPTION_KEY } };
  };

  test("every secret may be given as <NAME>_FILE; one trailing line break is dropped", (context) => {
    const dir = mkdtempSync(path.join(tmpdir(), "vp-secrets-"));
    context.after(() => rmSync(dir, { recursive: true, force: true }));
    const { rest, secrets } = withoutSecrets();
    const files: Record<string, string> = {};
    for (const [name, value] of Object.entries(secrets)) {
      const file = path.join(dir, name.toLowerCase());
      writeFileSync(file, `${value}\n`, { mode: 0o600 });
      files[`${name}_FILE`] = file;
    }
    const matrixToken = path.join(dir, "matrix");
    writeFileSync(matrixToken, "syt_admin_token\r\n");
    const config = loadConfig({
      ...rest,
      ...files,
      MATRIX_HOMESERVER_URL: "https://matrix.example.org",
      MATRIX_ADMIN_TOKEN_FILE: matrixToken,
    });
    assert.equal(config.sessionSecret, secrets.SESSION_SECRET);
    assert.equal(config.database.url, secrets.DATABASE_URL);
    assert.equal(config.mail.relay?.password, secrets.SMTP_RELAY_AUTHPW);
    assert.equal(config.matrix?.adminToken, "syt_admin_token");
  });

  test("systemd credentials: $CREDENTIALS_DIRECTORY/vetting-portal_<NAME> (or <NAME>)", (context) => {
    const dir = mkdtempSync(path.join(tmpdir(), "vp-credentials-"));
    context.after(() => rmSync(dir, { recursive: true, force: true }));
    const { rest, secrets } = withoutSecrets();
    for (const [name, value] of Object.entries(secrets)) {
      writeFileSync(path.join(dir, name === "DATABASE_URL" ? name : `vetting-portal_${name}`), value);
    }
    const config = loadConfig({ ...rest, CREDENTIALS_DIRECTORY: dir });
    assert.equal(config.sessionSecret, secrets.SESSION_SECRET);
    assert.equal(config.database.url, secrets.DATABASE_URL);
    assert.equal(config.mail.relay?.password, secrets.SMTP_RELAY_AUTHPW);
  });

  test("a secret given twice, an unreadable file or an empty one is named, with the rest", (context) => {
    const dir = mkdtempSync(path.join(tmpdir(), "vp-secrets-"));
    context.after(() => rmSync(dir, { recursive: true, force: true }));
    const empty = path.join(dir, "empty");
    writeFileSync(empty, "\n");
    const sessionSecret = path.join(dir, "session");
    writeFileSync(sessionSecret, "s".repeat(40));
    const problems = problemsOf({
      ...goodProduction,
      SESSION_SECRET_FILE: sessionSecret,
      DATABASE_URL: "",
      DATABASE_URL_FILE: path.join(dir, "missing"),
      TOTP_ENCRYPTION_KEY: "",
      TOTP_ENCRYPTION_KEY_FILE: empty,
    });
    assert.deepEqual(problems.slice(0, 3), [
      "SESSION_SECRET: set either SESSION_SECRET or SESSION_SECRET_FILE, not both",
      `DATABASE_URL_FILE: cannot read ${path.join(dir, "missing")} (ENOENT)`,
      `TOTP_ENCRYPTION_KEY_FILE: ${empty} is empty`,
    ]);
    const text = problems.join("\n");
    assert.ok(!text.includes("s".repeat(40)), "no secret in a message");
  });
});

describe("single sign-on", () => {
  test("off unless set; all three or none; https:// in production; the secret from the systemd credential", (context) => {
    assert.equal(loadConfig({ NODE_ENV: "test" }).oidc, null);
    assert.deepEqual(problemsOf({ NODE_ENV: "test", OIDC_ONLY: "true" }), [
      "OIDC_ONLY: needs single sign-on (OIDC_ISSUER and the rest)",
    ]);
    assert.deepEqual(problemsOf({ NODE_ENV: "test", OIDC_ISSUER: "https://id.example.org/realms/staff" }), [
      "OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET: set all three (single sign-on) or none",
    ]);
    assert.deepEqual(
      problemsOf({
        ...goodProduction,
        OIDC_ISSUER: "http://id.example.org",
        OIDC_CLIENT_ID: "portal",
        OIDC_CLIENT_SECRET: "secret",
      }),
      ["OIDC_ISSUER: must start with https:// in production"],
    );
    const dir = mkdtempSync(path.join(tmpdir(), "vp-credentials-"));
    context.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(path.join(dir, "vetting-portal_OIDC_CLIENT_SECRET"), "from-the-credential\n");
    const config = loadConfig({
      ...goodProduction,
      CREDENTIALS_DIRECTORY: dir,
      OIDC_ISSUER: "https://id.example.org/realms/staff",
      OIDC_CLIENT_ID: "portal",
      OIDC_DISPLAY_NAME: "Example ID",
      OIDC_LINK_BY_EMAIL: "true",
    });
    assert.deepEqual(
      { ...config.oidc, issuer: config.oidc?.issuer.href },
      {
        issuer: "https://id.example.org/realms/staff",
        clientId: "portal",
        clientSecret: "from-the-credential",
        displayName: "Example ID",
        linkByEmail: true,
        only: false,
        allowsInsecureIssuer: false,
      },
    );
  });
});

describe("request limits and trusted proxies", () => {
  test("default to 30/minute, 300/hour, 1000/day per address, counted in Postgres", () => {
    const { rateLimits } = loadConfig({});
    assert.deepEqual(rateLimits.perClient, [
      { points: 30, seconds: 60 },
      { points: 300, seconds: 3600 },
      { points: 1000, seconds: 86_400 },
    ]);
    assert.deepEqual(rateLimits.routes.apply, [{ points: 10, seconds: 3600 }]);
    assert.deepEqual(rateLimits.routes.signIn, [
      { points: 5, seconds: 60 },
      { points: 20, seconds: 3600 },
    ]);
    assert.deepEqual(rateLimits.store, { kind: "postgres" });
    assert.equal(rateLimits.storeTimeoutMs, 250);
  });

  test("tiers are written as N/window, in any order, and the Redis store takes its URL", () => {
    const { rateLimits } = loadConfig({
      RATE_LIMIT_UPLOADS: " 100/day, 7/minute ",
      RATE_LIMIT_STORE: "redis",
      REDIS_URL: "redis://:secret@cache.internal:6379/2",
    });
    assert.deepEqual(rateLimits.routes.uploads, [
      { points: 7, seconds: 60 },
      { points: 100, seconds: 86_400 },
    ]);
    assert.deepEqual(rateLimits.store, { kind: "redis", url: "redis://:secret@cache.internal:6379/2" });
  });

  test("every mistake is named", () => {
    assert.deepEqual(
      problemsOf({
        RATE_LIMIT_SIGN_IN: "5 per minute",
        RATE_LIMIT_APPLY: "5/minute,6/minute",
        RATE_LIMIT_CSP_REPORTS: "0/minute",
        RATE_LIMIT_PER_MINUTE: "0",
        REDIS_URL: "http://cache.internal",
      }),
      [
        "RATE_LIMIT_PER_MINUTE: must be at least 1",
        'RATE_LIMIT_APPLY: must be limits like "5/minute,20/hour" (minute, hour or day, each once; at least 1)',
        'RATE_LIMIT_SIGN_IN: must be limits like "5/minute,20/hour" (minute, hour or day, each once; at least 1)',
        'RATE_LIMIT_CSP_REPORTS: must be limits like "5/minute,20/hour" (minute, hour or day, each once; at least 1)',
        "REDIS_URL: must be a redis:// or rediss:// URL",
      ],
    );
    assert.deepEqual(problemsOf({ RATE_LIMIT_STORE: "redis" }), [
      "REDIS_URL: required when RATE_LIMIT_STORE=redis, e.g. redis://127.0.0.1:6379",
    ]);
    assert.deepEqual(problemsOf({ TRUSTED_PROXIES: "loopback, 10.0.0.0/33" }), [
      "TRUSTED_PROXIES: invalid range on address: 10.0.0.0/33 (use addresses, CIDR ranges or loopback, linklocal, uniquelocal)",
    ]);
  });
});

describe("planned maintenance", () => {
  test("off by default; a window, its lead time, a note and the read-only switch are read", () => {
    assert.deepEqual(loadConfig({}).maintenance, {
      window: null,
      announceMs: 72 * 3_600_000,
      note: null,
      isReadOnly: false,
    });
    assert.deepEqual(
      loadConfig({
        MAINTENANCE_FROM: "2026-12-01T23:00:00+01:00",
        MAINTENANCE_UNTIL: "2026-12-02T00:30Z",
        MAINTENANCE_ANNOUNCE_HOURS: "24",
        MAINTENANCE_NOTE: "  Moving to a new database server.  ",
        MAINTENANCE_READ_ONLY: "true",
      }).maintenance,
      {
        window: { from: new Date("2026-12-01T22:00:00Z"), until: new Date("2026-12-02T00:30:00Z") },
        announceMs: 24 * 3_600_000,
        note: "Moving to a new database server.",
        isReadOnly: true,
      },
    );
    // Switched on without an announcement (unplanned work): allowed.
    assert.equal(loadConfig({ MAINTENANCE_READ_ONLY: "true" }).maintenance.isReadOnly, true);
  });

  test("every mistake is named", () => {
    assert.deepEqual(
      problemsOf({ MAINTENANCE_FROM: "2026-12-01 22:00", MAINTENANCE_UNTIL: "2026-12-02T00:00:00" }),
      [
        "MAINTENANCE_FROM: must be a time with its offset, e.g. 2026-12-01T22:00:00Z",
        "MAINTENANCE_UNTIL: must be a time with its offset, e.g. 2026-12-01T22:00:00Z",
      ],
    );
    assert.deepEqual(
      problemsOf({ MAINTENANCE_FROM: "2026-12-01T22:00:00Z", MAINTENANCE_UNTIL: "2026-12-01T22:00:00Z" }),
      ["MAINTENANCE_UNTIL: must be after MAINTENANCE_FROM"],
    );
    assert.deepEqual(problemsOf({ MAINTENANCE_FROM: "2026-12-01T22:00:00Z" }), [
      "MAINTENANCE_FROM and MAINTENANCE_UNTIL: set both (the announced window) or neither",
    ]);
    assert.deepEqual(
      problemsOf({
        MAINTENANCE_FROM: "2026-12-01T22:00:00Z",
        MAINTENANCE_UNTIL: "2026-12-02T02:00:00Z",
        MAINTENANCE_NOTE: "two\nlines",
        MAINTENANCE_ANNOUNCE_HOURS: "-1",
        MAINTENANCE_READ_ONLY: "yes",
      }),
      [
        "MAINTENANCE_ANNOUNCE_HOURS: must be at least 0",
        'MAINTENANCE_READ_ONLY: Invalid option: expected one of "true"|"false"',
      ],
      "the shapes first (zod), as for every setting",
    );
    assert.deepEqual(
      problemsOf({
        MAINTENANCE_FROM: "2026-12-01T22:00:00Z",
        MAINTENANCE_UNTIL: "2026-12-02T02:00:00Z",
        MAINTENANCE_NOTE: "two\nlines",
      }),
      ["MAINTENANCE_NOTE: must be one line of plain text, at most 200 characters"],
    );
    assert.deepEqual(problemsOf({ MAINTENANCE_NOTE: "x".repeat(201), MAINTENANCE_READ_ONLY: "true" }), [
      "MAINTENANCE_NOTE: must be one line of plain text, at most 200 characters",
    ]);
    assert.deepEqual(problemsOf({ MAINTENANCE_NOTE: "Back soon." }), [
      "MAINTENANCE_NOTE: shown only with MAINTENANCE_FROM and MAINTENANCE_UNTIL, or MAINTENANCE_READ_ONLY",
    ]);
  });
});
