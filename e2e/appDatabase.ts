// The e2e app's own database and configuration, for specs that seed people, sessions and records
// through Prisma (the app itself is started by playwright.config.ts).
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Cookie } from "@playwright/test";
import { applicantCookieName, startApplicantSession } from "../src/applicantSessions.js";
import { type Config, loadConfig } from "../src/config.js";
import { createDatabase, type Database } from "../src/db.js";
import { sessionCookieName, startSession } from "../src/sessions.js";

export const e2ePort = Number(process.env.E2E_PORT || 3100);
export const e2eBaseUrl = `http://127.0.0.1:${e2ePort}`;

/** The orchestrator's database, or the embedded one playwright.config.ts has the app start. */
export function appDatabaseUrl(): string {
  if (process.env.E2E_DATABASE_URL) return process.env.E2E_DATABASE_URL;
  const dataDir = path.join(tmpdir(), `vetting-portal-e2e-${e2ePort}`, "postgres");
  const password = readFileSync(path.join(dataDir, "embedded-superuser-password"), "utf8").trim();
  const postgresPort = process.env.E2E_EMBEDDED_POSTGRES_PORT || "54339";
  return `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${postgresPort}/vetting_portal`;
}

/** The configuration the e2e app runs with: development, so its keys are the ones kept in .data/. */
export function appConfig(): Config {
  return loadConfig({ NODE_ENV: "development", DATABASE_URL: appDatabaseUrl(), PUBLIC_URL: e2eBaseUrl });
}

export function openAppDatabase(): Database {
  return createDatabase(appDatabaseUrl(), {
    poolMax: 2,
    statementTimeoutMs: 10_000,
    connectionTimeoutMs: 5_000,
  });
}

/** A fully signed-in session for this person, as the cookie a browser would hold. */
export async function signedInSessionCookie(
  db: Database,
  config: Config,
  staffUserId: string,
): Promise<Cookie> {
  const { token } = await db.$transaction((tx) =>
    startSession(tx, { config, staffUserId, isAuthenticated: true }),
  );
  return portalCookie(sessionCookieName(config), token);
}

/** An applicant's session for the case, as the cookie a browser holds after following an emailed link. */
export async function applicantSessionCookie(db: Database, config: Config, caseId: string): Promise<Cookie> {
  const { token } = await db.$transaction((tx) => startApplicantSession(tx, { config, caseId }));
  return portalCookie(applicantCookieName(config), token);
}

/** A cookie of the portal's, as the browser holds it for the test server's address. */
export function portalCookie(name: string, value: string): Cookie {
  return {
    name,
    value,
    domain: "127.0.0.1",
    path: "/",
    expires: -1,
    httpOnly: true,
    secure: false,
    sameSite: "Lax",
  };
}
