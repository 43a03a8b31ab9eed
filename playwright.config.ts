// End-to-end tests: Playwright starts the real app (src/main.ts) and drives Chromium against it.
// Chromium comes from Playwright when installed, else from Debian (see scripts/chromium.ts).
import { chmodSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { defineConfig, devices } from "@playwright/test";
import { E2E_SSO_ACCOUNT } from "./e2e/singleSignOn.js";
import { chromiumExecutablePath } from "./scripts/chromium.js";
import { GENEROUS_RATE_LIMITS } from "./src/test/rateLimits.js";

const isCI = Boolean(process.env.CI);
const port = Number(process.env.E2E_PORT || 3100);
const baseURL = `http://127.0.0.1:${port}`;

// Everything the e2e server writes lives in one directory per port, outside the work tree: it never
// touches a developer's own data (.data/) and never clashes with a dev server running beside it.
const workDirectory = path.join(tmpdir(), `vetting-portal-e2e-${port}`);
// Traversable by others: as root the app runs its embedded Postgres as the `postgres` OS user, which
// must reach its data directory inside (the app creates that one, and the mailbox, with tight modes).
mkdirSync(workDirectory, { recursive: true });
chmodSync(workDirectory, 0o755);
// Specs send test emails to the app's development mail catcher on this port.
process.env.E2E_DEV_MAILBOX_SMTP_PORT ||= "3125";
// Matrix registration tokens: the app talks to the fake Synapse admin API (e2e/fakeSynapseServer.ts),
// started below before the app, on this port with this admin token.
process.env.E2E_FAKE_SYNAPSE_PORT ||= "3108";
const fakeSynapseUrl = `http://127.0.0.1:${process.env.E2E_FAKE_SYNAPSE_PORT}`;
const fakeSynapseAdminToken = "syt_ZTJl_e2eFakeAdminAccessToken_0001";
// Uploads are scanned as in production (EVIDENCE_SCAN=required) by a clamd of the tests' own
// (e2e/clamdServer.ts), started below before the app, on this port.
process.env.E2E_CLAMD_PORT ||= "3110";

// Single sign-on: a real OpenID provider (src/test/oidcProviderServer.ts) on this port, started before the
// app, with the one account e2e/staff-sign-in-with-single-sign-on.spec.ts signs in as.
process.env.E2E_FAKE_OIDC_PORT ||= "3107";
const oidcIssuer = `http://127.0.0.1:${process.env.E2E_FAKE_OIDC_PORT}`;
const oidcClient = {
  client_id: "vetting-portal-e2e",
  client_secret: "e2e-client-secret-long-enough-for-anyone",
  redirect_uri: `${baseURL}/staff/sign-in/sso/callback`,
};

const serverEnvironment: Record<string, string> = {
  PORT: String(port),
  HOST: "127.0.0.1",
  PUBLIC_URL: baseURL,
  NODE_ENV: "development",
  DEV_MAILBOX_DIR: path.join(workDirectory, "mailbox"),
  DEV_MAILBOX_SMTP_PORT: process.env.E2E_DEV_MAILBOX_SMTP_PORT,
  UPLOADS_DIR: path.join(workDirectory, "uploads"),
  LOG_LEVEL: "warn",
  MATRIX_HOMESERVER_URL: fakeSynapseUrl,
  MATRIX_ADMIN_TOKEN: fakeSynapseAdminToken,
  MATRIX_REGISTRATION_URL: "https://element.example.org/#/register",
  EVIDENCE_SCAN: "required",
  CLAMAV_HOST: "127.0.0.1",
  CLAMAV_PORT: process.env.E2E_CLAMD_PORT,
  OIDC_ISSUER: oidcIssuer,
  OIDC_CLIENT_ID: oidcClient.client_id,
  OIDC_CLIENT_SECRET: oidcClient.client_secret,
  OIDC_DISPLAY_NAME: "Example ID",
  OIDC_LINK_BY_EMAIL: "true",
  // The pseudo-language too (never offered in production): the specs that check every applicant page in
  // every language use it for the longest strings.
  LANGUAGES: "en,de,fr,en-XA",
  // The specs make far more requests a minute from 127.0.0.1 than the production limits allow.
  ...GENEROUS_RATE_LIMITS,
};
if (process.env.E2E_DATABASE_URL) {
  // The orchestrator provides a database.
  serverEnvironment.DATABASE_URL = process.env.E2E_DATABASE_URL;
} else {
  // Without one the app starts its embedded Postgres: a cluster of its own, on a port of its own.
  serverEnvironment.EMBEDDED_POSTGRES_DIR = path.join(workDirectory, "postgres");
  serverEnvironment.EMBEDDED_POSTGRES_PORT = process.env.E2E_EMBEDDED_POSTGRES_PORT || "54339";
}

export default defineConfig({
  testDir: "e2e",
  fullyParallel: false,
  forbidOnly: isCI,
  retries: 0,
  // CI machines have 2 cores, shared by the app, its database and Chromium.
  workers: isCI ? 1 : undefined,
  reporter: "list",
  timeout: 30_000,
  expect: { timeout: 5_000 },
  use: {
    baseURL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
  projects: [
    {
      name: "chromium",
      use: {
        ...devices["Desktop Chrome"],
        launchOptions: {
          executablePath: chromiumExecutablePath(),
          // Without the background-networking flags Chromium keeps trying to reach Google's services,
          // which the closed network refuses.
          args: [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--no-first-run",
            "--disable-dev-shm-usage",
          ],
        },
      },
    },
  ],
  webServer: [
    {
      // Ready when it answers: an unauthenticated list request gets Synapse's 401.
      command: "npx tsx e2e/fakeSynapseServer.ts",
      url: `${fakeSynapseUrl}/_synapse/admin/v1/registration_tokens`,
      env: {
        E2E_FAKE_SYNAPSE_PORT: process.env.E2E_FAKE_SYNAPSE_PORT,
        E2E_FAKE_SYNAPSE_ADMIN_TOKEN: fakeSynapseAdminToken,
      },
      reuseExistingServer: !isCI,
      timeout: 30_000,
      stdout: "ignore",
      stderr: "pipe",
    },
    {
      // Ready when it accepts connections (it answers PING before the helper reports it started).
      command: "npx tsx e2e/clamdServer.ts",
      port: Number(process.env.E2E_CLAMD_PORT),
      env: { E2E_CLAMD_PORT: process.env.E2E_CLAMD_PORT },
      reuseExistingServer: !isCI,
      timeout: 60_000,
      stdout: "ignore",
      stderr: "pipe",
      // Playwright otherwise kills it outright, and its folder (signatures, socket, log) stayed in /tmp.
      gracefulShutdown: { signal: "SIGTERM", timeout: 10_000 },
    },
    {
      command: "npx tsx src/test/oidcProviderServer.ts",
      url: `${oidcIssuer}/.well-known/openid-configuration`,
      env: {
        OIDC_TEST_PORT: process.env.E2E_FAKE_OIDC_PORT,
        OIDC_TEST_CLIENT: JSON.stringify(oidcClient),
        OIDC_TEST_ACCOUNTS: JSON.stringify({
          [E2E_SSO_ACCOUNT.subject]: { email: E2E_SSO_ACCOUNT.email, email_verified: true },
        }),
      },
      reuseExistingServer: !isCI,
      timeout: 30_000,
      stdout: "ignore",
      stderr: "pipe",
    },
    {
      command: "npx tsx src/main.ts",
      url: `${baseURL}/readyz`,
      env: serverEnvironment,
      reuseExistingServer: !isCI,
      // The first start may initialise the embedded Postgres and run migrations.
      timeout: 120_000,
      stdout: "ignore",
      stderr: "pipe",
      // SIGTERM lets the app drain and stop its embedded Postgres; a SIGKILL would leave it running.
      gracefulShutdown: { signal: "SIGTERM", timeout: 15_000 },
    },
  ],
});
