// Staff sessions, stored in Postgres so every instance sees them. The cookie carries 256 random bits;
// only their SHA-256 is stored. A session either waits for the second factor (authenticatedAt null:
// it opens nothing) or is fully signed in. Idle and absolute limits come from config.
//
// Lifecycle: startSession() at sign-in and at every privilege change (always a new id, the old row
// deleted) → loadSession() on each request (expired rows ignored; lastSeenAt refreshed at most once a
// minute) → recordSecondFactor() at each step-up before a sensitive action → renewSession() when the
// person changes their own credentials (a new id and token, the same session otherwise) → endSession()
// at sign-out, endSessionsOf() when a password changes or an account is disabled → the purge job
// deletes what expired.
import { createHash, randomBytes } from "node:crypto";
import type { Context } from "koa";
import type pg from "pg";
import type { Config } from "./config.js";
import { refreshLastSeenIfDue } from "./database/lastSeen.js";
import type { Database, Transaction } from "./db.js";
import { forbidden } from "./errors.js";
import type { StaffRole, ThemePreference } from "./generated/prisma/client.js";
import { findStaffSessionByTokenHash } from "./queries/sql/staffSession.js";

/** A password-verified session waiting for its second factor lives this long. */
const SECOND_FACTOR_WINDOW_MS = 5 * 60_000;

export interface SignedInStaff {
  id: string;
  name: string;
  email: string;
  role: StaffRole;
  themePreference: ThemePreference;
  hasSecondFactor: boolean;
  /** Before anything else the person must set up two-step sign-in (an account moved from the original
   * system, signed in with its password alone) or choose a new password; requireStaff holds them to it. */
  mustEnrolSecondFactor: boolean;
  mustChangePassword: boolean;
  /** Whether the person has registered at least one passkey (STAFF_PASSKEYS_REQUIRED_FOR). */
  hasPasskey: boolean;
}

export interface LoadedSession {
  id: string;
  staffUserId: string;
  /** False while the second factor is still to come. */
  isAuthenticated: boolean;
  /** When the second factor was last proven in this session (sign-in or step-up); null: never. */
  secondFactorAt: Date | null;
}

export function sessionCookieName(config: Config): string {
  // __Host- cookies are bound to this exact origin: Secure, no Domain, Path=/.
  return config.http.publicUrl.protocol === "https:" ? "__Host-session" : "session";
}

function hashSessionToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export async function startSession(
  tx: Transaction,
  options: {
    config: Config;
    staffUserId: string;
    isAuthenticated: boolean;
    replacing?: string | null;
    ipAddress?: string;
    userAgent?: string;
    now?: Date;
  },
): Promise<{ token: string; sessionId: string }> {
  const now = options.now ?? new Date();
  if (options.replacing) await tx.staffSession.deleteMany({ where: { id: options.replacing } });
  const token = randomBytes(32).toString("base64url");
  const lifetime = options.isAuthenticated ? options.config.staff.sessionAbsoluteMs : SECOND_FACTOR_WINDOW_MS;
  const session = await tx.staffSession.create({
    data: {
      tokenHash: hashSessionToken(token),
      staffUserId: options.staffUserId,
      authenticatedAt: options.isAuthenticated ? now : null,
      // A full session starts when every factor the account has was just checked.
      secondFactorAt: options.isAuthenticated ? now : null,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + lifetime),
      ipAddress: options.ipAddress ?? null,
      userAgent: options.userAgent?.slice(0, 512) ?? null,
    },
    select: { id: true },
  });
  return { token, sessionId: session.id };
}

/**
 * The live session for a cookie value, with its person when fully signed in and active. Read in SQL on
 * sqlPool (queries/sql/staffSession.ts: every staff page loads it); expired rows are deleted via db.
 */
export async function loadSession(
  db: Database,
  sqlPool: pg.Pool,
  config: Config,
  token: string | undefined,
  now = new Date(),
): Promise<{ session: LoadedSession; staff: SignedInStaff | null } | null> {
  if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  const row = await findStaffSessionByTokenHash(sqlPool, hashSessionToken(token));
  if (!row) return null;
  const idleDeadline = row.lastSeenAt.getTime() + config.staff.sessionIdleMs;
  if (row.expiresAt <= now || idleDeadline <= now.getTime() || row.status !== "ACTIVE") {
    await db.staffSession.deleteMany({ where: { id: row.id } });
    return null;
  }
  await refreshLastSeenIfDue(sqlPool, "staff_sessions", row, now);
  const session = {
    id: row.id,
    staffUserId: row.staffUserId,
    isAuthenticated: row.authenticatedAt !== null,
    secondFactorAt: row.secondFactorAt,
  };
  return {
    session,
    staff: session.isAuthenticated
      ? {
          id: row.staffUserId,
          name: row.name,
          email: row.email,
          role: row.role,
          themePreference: row.themePreference,
          hasSecondFactor: row.totpEnabledAt !== null,
          mustEnrolSecondFactor: row.mustEnrolSecondFactor && row.totpEnabledAt === null,
          mustChangePassword: row.mustChangePassword,
          hasPasskey: row.hasPasskey,
        }
      : null,
  };
}

/** A step-up: the second factor was proven again in this (fully signed-in) session. */
export async function recordSecondFactor(tx: Transaction, sessionId: string, now: Date): Promise<void> {
  await tx.staffSession.updateMany({
    where: { id: sessionId, authenticatedAt: { not: null } },
    data: { secondFactorAt: now },
  });
}

/**
 * The same session under a new id and token (the old row deleted), for when its owner changes their
 * own credentials: a token that leaked before the change stops working. Its sign-in time and absolute
 * limit stay as they were, so renewing never lengthens a session. A session that ended meanwhile
 * (signed out in another tab) refuses the change: 403, and the caller's transaction rolls back.
 */
export async function renewSession(
  tx: Transaction,
  options: { sessionId: string; now?: Date; hasProvenSecondFactor?: boolean },
): Promise<{ token: string; sessionId: string }> {
  const now = options.now ?? new Date();
  const sessionEnded = () =>
    forbidden("Your session has ended. Sign in again, then repeat what you were doing.");
  const old = await tx.staffSession.findFirst({
    where: { id: options.sessionId, authenticatedAt: { not: null } },
    select: {
      staffUserId: true,
      authenticatedAt: true,
      secondFactorAt: true,
      createdAt: true,
      expiresAt: true,
      ipAddress: true,
      userAgent: true,
    },
  });
  if (!old) throw sessionEnded();
  // Deleted only if it is still there: of two requests renewing one session at once, one does.
  const { count } = await tx.staffSession.deleteMany({ where: { id: options.sessionId } });
  if (count !== 1) throw sessionEnded();
  const token = randomBytes(32).toString("base64url");
  const session = await tx.staffSession.create({
    data: {
      ...old,
      tokenHash: hashSessionToken(token),
      secondFactorAt: options.hasProvenSecondFactor ? now : old.secondFactorAt,
      lastSeenAt: now,
    },
    select: { id: true },
  });
  return { token, sessionId: session.id };
}

export async function endSession(db: Database | Transaction, sessionId: string): Promise<void> {
  await db.staffSession.deleteMany({ where: { id: sessionId } });
}

/** Ends every session of a person (password changed, account disabled, 2FA reset), maybe but one. */
export async function endSessionsOf(
  tx: Transaction,
  staffUserId: string,
  options: { except?: string } = {},
): Promise<number> {
  const { count } = await tx.staffSession.deleteMany({
    where: { staffUserId, ...(options.except ? { id: { not: options.except } } : {}) },
  });
  return count;
}

export async function purgeExpiredSessions(db: Database, config: Config, now = new Date()): Promise<number> {
  const { count } = await db.staffSession.deleteMany({
    where: {
      OR: [
        { expiresAt: { lte: now } },
        { lastSeenAt: { lte: new Date(now.getTime() - config.staff.sessionIdleMs) } },
      ],
    },
  });
  return count;
}

/** Puts a session's token in the response's cookie. */
export function setSessionCookie(ctx: Context, config: Config, token: string): void {
  const isHttps = config.http.publicUrl.protocol === "https:";
  if (isHttps) ctx.cookies.secure = true; // TLS ends at the proxy in front of us.
  ctx.cookies.set(sessionCookieName(config), token, {
    httpOnly: true,
    sameSite: "lax",
    secure: isHttps,
    path: "/",
    overwrite: true,
  });
}

export function clearSessionCookie(ctx: Context, config: Config): void {
  ctx.cookies.set(sessionCookieName(config), null, { path: "/", overwrite: true });
}
