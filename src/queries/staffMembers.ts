// Reads for the staff list and a person's page.
import type { Database } from "../db.js";
import type { Prisma } from "../generated/prisma/client.js";

/** What the staff list shows of an account; a person's page reads more. */
const staffMemberListSelect = {
  id: true,
  name: true,
  email: true,
  role: true,
  status: true,
  lastSignInAt: true,
  totpEnabledAt: true,
} satisfies Prisma.StaffUserSelect;

/** Every staff account, by status then name. */
export function findStaffMembers(db: Database) {
  return db.staffUser.findMany({
    orderBy: [{ status: "asc" }, { name: "asc" }],
    select: staffMemberListSelect,
  });
}
export type StaffMemberListRow = Awaited<ReturnType<typeof findStaffMembers>>[number];

/** One account with its invitation, its passkeys and how many sessions it has open now, or null. */
export function findStaffMember(db: Database, staffUserId: string) {
  return db.staffUser.findUnique({
    where: { id: staffUserId },
    select: {
      ...staffMemberListSelect,
      createdAt: true,
      disabledAt: true,
      passwordHash: true,
      oidcIssuer: true,
      oidcSubject: true,
      oidcLinkedAt: true,
      invitation: { select: { id: true } },
      passkeys: {
        orderBy: { createdAt: "asc" },
        select: { id: true, name: true, createdAt: true, lastUsedAt: true, isBackedUp: true },
      },
      _count: { select: { sessions: { where: { expiresAt: { gt: new Date() } } } } },
    },
  });
}
export type StaffMemberRow = NonNullable<Awaited<ReturnType<typeof findStaffMember>>>;
