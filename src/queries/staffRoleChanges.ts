// Reads for role changes that wait for a second admin (four eyes on promotions): the staff account a
// command locks first, the pending change of one person, the pending list, and who may approve.
import type { Database, Transaction } from "../db.js";
import { notFound } from "../errors.js";
import type { Prisma, StaffRole } from "../generated/prisma/client.js";
import {
  type Actor,
  canDecideRoleChange,
  type RoleChangeFacts,
  rolesThatMayApprove,
} from "../policies/staff.js";

/**
 * The staff account a command changes, locked until its transaction ends, so that requests, decisions,
 * role changes and disabling for one person happen one after another (and a person has at most one
 * pending change). FOR NO KEY UPDATE, the lock an UPDATE of the row takes: it does not block the rows
 * that merely refer to this one (sessions, audit rows, another change's requester), which FOR UPDATE
 * would, and two admins requesting changes for each other could then deadlock.
 */
export async function lockStaffUserForCommand(tx: Transaction, staffUserId: string) {
  await tx.$queryRaw`SELECT id FROM staff_users WHERE id = ${staffUserId}::uuid FOR NO KEY UPDATE`;
  const staffUser = await tx.staffUser.findUnique({
    where: { id: staffUserId },
    select: {
      id: true,
      name: true,
      role: true,
      status: true,
      passwordHash: true,
      totpEnabledAt: true,
      oidcSubject: true,
    },
  });
  if (!staffUser) throw notFound();
  return staffUser;
}

/**
 * An account that finished setting up (password and authenticator, or a linked single sign-on identity):
 * the only kind that can be enabled.
 */
export function hasFinishedSetup(staffUser: {
  passwordHash: string | null;
  totpEnabledAt: Date | null;
  oidcSubject: string | null;
}) {
  return (
    (staffUser.passwordHash !== null && staffUser.totpEnabledAt !== null) || staffUser.oidcSubject !== null
  );
}

export const roleChangeSelect = {
  id: true,
  staffUserId: true,
  fromRole: true,
  toRole: true,
  isReenable: true,
  status: true,
  requestedById: true,
  requestedAt: true,
  staffUser: { select: { name: true, email: true } },
  requestedBy: { select: { name: true } },
} satisfies Prisma.StaffRoleChangeSelect;

export type RoleChangeRow = Prisma.StaffRoleChangeGetPayload<{ select: typeof roleChangeSelect }>;

export function findPendingRoleChangeOf(db: Database | Transaction, staffUserId: string) {
  return db.staffRoleChange.findFirst({
    where: { staffUserId, status: "PENDING" },
    select: roleChangeSelect,
  });
}

/** Every change still waiting, oldest first (the first asked is the first to decide). */
export function findPendingRoleChanges(db: Database) {
  return db.staffRoleChange.findMany({
    where: { status: "PENDING" },
    orderBy: { requestedAt: "asc" },
    take: 200,
    select: roleChangeSelect,
  });
}

export interface ApproverCandidate extends Actor {
  name: string;
  email: string;
}

/**
 * The ACTIVE staff who could approve some change to one of `toRoles`, to be narrowed per change with
 * `approversOf` (one read for a whole page of pending changes).
 */
export function findApproverCandidates(
  db: Database | Transaction,
  toRoles: StaffRole[],
): Promise<ApproverCandidate[]> {
  const roles = [...new Set(toRoles.flatMap((role) => rolesThatMayApprove(role)))];
  return db.staffUser.findMany({
    where: { status: "ACTIVE", role: { in: roles } },
    orderBy: { name: "asc" },
    select: { id: true, name: true, email: true, role: true },
  });
}

/** The candidates the four-eyes policy allows to decide this change. */
export function approversOf(candidates: ApproverCandidate[], change: RoleChangeFacts): ApproverCandidate[] {
  return candidates.filter((candidate) => canDecideRoleChange(candidate, change));
}
