// The staff session and its person, by the token's hash: read by every staff page (sessions.ts
// loadSession). In SQL, not Prisma: through Prisma (a statement for the session, one for its person, and
// Prisma's own work) it cost about four times what it does here.
import type pg from "pg";
import { StaffRole, StaffStatus, ThemePreference } from "../../generated/prisma/client.js";
import { column, rowShape } from "./rowCheck.js";

export interface StaffSessionRow {
  id: string;
  staffUserId: string;
  authenticatedAt: Date | null;
  secondFactorAt: Date | null;
  lastSeenAt: Date;
  expiresAt: Date;
  name: string;
  email: string;
  role: StaffRole;
  status: StaffStatus;
  themePreference: ThemePreference;
  totpEnabledAt: Date | null;
  mustEnrolSecondFactor: boolean;
  mustChangePassword: boolean;
  hasPasskey: boolean;
}

export const staffSessionRow = rowShape<StaffSessionRow>("sql/staffSession.byTokenHash", {
  id: column.string,
  staffUserId: column.string,
  authenticatedAt: column.nullable(column.date),
  secondFactorAt: column.nullable(column.date),
  lastSeenAt: column.date,
  expiresAt: column.date,
  name: column.string,
  email: column.string,
  role: column.oneOf(Object.values(StaffRole)),
  status: column.oneOf(Object.values(StaffStatus)),
  themePreference: column.oneOf(Object.values(ThemePreference)),
  totpEnabledAt: column.nullable(column.date),
  mustEnrolSecondFactor: column.boolean,
  mustChangePassword: column.boolean,
  hasPasskey: column.boolean,
});

const STAFF_SESSION_SQL = `
  SELECT session.id, session."staffUserId", session."authenticatedAt", session."secondFactorAt",
         session."lastSeenAt", session."expiresAt", person.name, person.email, person.role, person.status,
         person."themePreference", person."totpEnabledAt",
         person."mustEnrolSecondFactor", person."mustChangePassword",
         EXISTS (SELECT 1 FROM staff_passkeys AS passkey WHERE passkey."staffUserId" = person.id) AS "hasPasskey"
  FROM staff_sessions AS session
  JOIN staff_users AS person ON person.id = session."staffUserId"
  WHERE session."tokenHash" = $1`;

/** The session stored under this token hash, with its person; expired or not (the caller decides). */
export async function findStaffSessionByTokenHash(
  sqlPool: pg.Pool,
  tokenHash: string,
): Promise<StaffSessionRow | null> {
  const { rows } = await sqlPool.query({
    name: "load-staff-session",
    text: STAFF_SESSION_SQL,
    values: [tokenHash],
  });
  return staffSessionRow.checkRows(rows)[0] ?? null;
}
