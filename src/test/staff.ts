// Staff members for tests, made the way the portal makes them (argon2id password, sealed TOTP secret),
// and a signed-in cookie from a real session row.
import type { Config } from "../config.js";
import type { Database } from "../db.js";
import { hashPassword } from "../domain/password.js";
import { newTotpSecret } from "../domain/totp.js";
import type { StaffRole } from "../generated/prisma/client.js";
import { sealSecret } from "../secrets.js";
import { sessionCookieName, startSession } from "../sessions.js";
import { postForm, type TestApp } from "./app.js";

let counter = 0;

export interface TestStaffMember {
  id: string;
  name: string;
  email: string;
  password: string;
  role: StaffRole;
  /** Base32; compute codes with totpCodeAt(). */
  totpSecret: string;
}

export async function createStaffMember(
  db: Database,
  config: Config,
  options: {
    role: StaffRole;
    name?: string;
    email?: string;
    password?: string;
    status?: "ACTIVE" | "DISABLED";
  },
): Promise<TestStaffMember> {
  counter += 1;
  const name = options.name ?? `Staff Member ${counter}`;
  const email = options.email ?? `staff${counter}-${Date.now()}@example.org`;
  const password = options.password ?? "a long and unusual passphrase 42";
  const totpSecret = newTotpSecret();
  const row = await db.staffUser.create({
    data: {
      name,
      email,
      role: options.role,
      status: options.status ?? "ACTIVE",
      passwordHash: await hashPassword(password),
      passwordChangedAt: new Date(),
      totpSecretSealed: sealSecret(config.staff.totpKey, totpSecret),
      totpEnabledAt: new Date(),
    },
    select: { id: true },
  });
  return { id: row.id, name, email, password, role: options.role, totpSecret };
}

/** A Cookie header value for a fully signed-in session of this person. */
export async function signedInCookie(db: Database, config: Config, staffUserId: string): Promise<string> {
  const { token } = await db.$transaction((tx) =>
    startSession(tx, { config, staffUserId, isAuthenticated: true }),
  );
  return `${sessionCookieName(config)}=${token}`;
}

/** A signed-in staff member as a browser holds them: session cookie and CSRF token, redirects not followed. */
export interface SignedInStaffBrowser {
  id: string;
  name: string;
  email: string;
  /** Base32; compute codes with totpCodeAt(), e.g. for a step-up. */
  totpSecret: string;
  cookie: string;
  csrfToken: string;
  get(path: string): Promise<Response>;
  post(path: string, fields?: Record<string, string>): Promise<Response>;
}

export async function signedInStaffBrowser(
  testApp: TestApp,
  role: StaffRole,
  name?: string,
): Promise<SignedInStaffBrowser> {
  const member = await createStaffMember(testApp.db, testApp.config, { role, ...(name ? { name } : {}) });
  const cookie = await signedInCookie(testApp.db, testApp.config, member.id);
  const page = await fetch(`${testApp.baseUrl}/staff/profile`, { headers: { cookie } });
  const csrfToken = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1];
  if (!csrfToken) throw new Error("the profile page carries no CSRF token");
  return {
    id: member.id,
    name: member.name,
    email: member.email,
    totpSecret: member.totpSecret,
    cookie,
    csrfToken,
    get: (path) => fetch(`${testApp.baseUrl}${path}`, { headers: { cookie }, redirect: "manual" }),
    post: (path, fields = {}) =>
      postForm(`${testApp.baseUrl}${path}`, { _csrf: csrfToken, ...fields }, { cookie }),
  };
}

/**
 * Moves the last second factor of every session of this person back by `minutesAgo`, as if they had
 * signed in that long ago: their sensitive actions then ask for a step-up (STEP_UP_MINUTES).
 */
export async function ageSecondFactor(db: Database, staffUserId: string, minutesAgo: number): Promise<void> {
  await db.staffSession.updateMany({
    where: { staffUserId },
    data: { secondFactorAt: new Date(Date.now() - minutesAgo * 60_000) },
  });
}
