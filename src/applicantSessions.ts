// Applicant sessions: the applicant has no password; an emailed link (confirmation, sign-in,
// invitation) proves the address and starts a session bound to one case. Stored in Postgres apart from
// staff sessions, with their own cookie and their own idle limit (APPLICANT_SESSION_IDLE_MINUTES).
//
// Lifecycle: startApplicantSession() in the transaction that consumes the link token (always a new id)
// → loadApplicantSession() on each request (expired rows ignored; lastSeenAt refreshed at most once a
// minute) → endApplicantSession() at sign-out; endApplicantSessionsOf() when the case is erased → the
// purge job deletes what expired.
import { createHash, randomBytes } from "node:crypto";
import type { Context } from "koa";
import type pg from "pg";
import type { Config } from "./config.js";
import { refreshLastSeenIfDue } from "./database/lastSeen.js";
import type { Database, Transaction } from "./db.js";
import { findApplicantSessionByTokenHash } from "./queries/sql/applicantSession.js";

export interface SignedInApplicant {
  sessionId: string;
  caseId: string;
  /** The language stored on the case: the applicant's pages speak it unless they chose another. */
  caseLanguage: string;
}

export function applicantCookieName(config: Config): string {
  return config.http.publicUrl.protocol === "https:" ? "__Host-applicant" : "applicant";
}

function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export async function startApplicantSession(
  tx: Transaction,
  options: { config: Config; caseId: string; replacing?: string | null; now?: Date },
): Promise<{ token: string; sessionId: string }> {
  const now = options.now ?? new Date();
  if (options.replacing) await tx.applicantSession.deleteMany({ where: { id: options.replacing } });
  const token = randomBytes(32).toString("base64url");
  const session = await tx.applicantSession.create({
    data: {
      tokenHash: hashToken(token),
      caseId: options.caseId,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + options.config.applicant.sessionAbsoluteMs),
    },
    select: { id: true },
  });
  return { token, sessionId: session.id };
}

/** The live session for a cookie value. Read in SQL on sqlPool, like the staff session (sessions.ts). */
export async function loadApplicantSession(
  db: Database,
  sqlPool: pg.Pool,
  config: Config,
  token: string | undefined,
  now = new Date(),
): Promise<SignedInApplicant | null> {
  if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  const row = await findApplicantSessionByTokenHash(sqlPool, hashToken(token));
  if (!row) return null;
  const idleDeadline = row.lastSeenAt.getTime() + config.applicant.sessionIdleMs;
  if (row.expiresAt <= now || idleDeadline <= now.getTime() || row.erasedAt) {
    await db.applicantSession.deleteMany({ where: { id: row.id } });
    return null;
  }
  await refreshLastSeenIfDue(sqlPool, "applicant_sessions", row, now);
  return { sessionId: row.id, caseId: row.caseId, caseLanguage: row.caseLanguage };
}

export async function endApplicantSession(db: Database | Transaction, sessionId: string): Promise<void> {
  await db.applicantSession.deleteMany({ where: { id: sessionId } });
}

export async function endApplicantSessionsOf(tx: Transaction, caseId: string): Promise<number> {
  const { count } = await tx.applicantSession.deleteMany({ where: { caseId } });
  return count;
}

export async function purgeExpiredApplicantSessions(
  db: Database,
  config: Config,
  now = new Date(),
): Promise<number> {
  const { count } = await db.applicantSession.deleteMany({
    where: {
      OR: [
        { expiresAt: { lte: now } },
        { lastSeenAt: { lte: new Date(now.getTime() - config.applicant.sessionIdleMs) } },
      ],
    },
  });
  return count;
}

export function setApplicantCookie(ctx: Context, config: Config, token: string): void {
  const isHttps = config.http.publicUrl.protocol === "https:";
  if (isHttps) ctx.cookies.secure = true; // TLS ends at the proxy in front of us.
  ctx.cookies.set(applicantCookieName(config), token, {
    httpOnly: true,
    sameSite: "lax",
    secure: isHttps,
    path: "/",
    overwrite: true,
  });
}

export function clearApplicantCookie(ctx: Context, config: Config): void {
  ctx.cookies.set(applicantCookieName(config), null, { path: "/", overwrite: true });
}
