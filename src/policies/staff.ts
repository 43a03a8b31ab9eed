// Who may do what with staff accounts. Roles are cumulative (each holds the powers of the ones
// below) and are tested here only; templates receive the answers as `can.*` booleans.
import { forbidden } from "../errors.js";
import type { StaffRole } from "../generated/prisma/client.js";
import { englishTranslator } from "../i18n/translator.js";

export const ROLE_RANK: Record<StaffRole, number> = {
  VETTING_AGENT: 1,
  INVITING_ADMIN: 2,
  SERVER_ADMIN: 3,
  SUPERADMIN: 4,
};

/** Every role, the lowest first: the order forms offer them in. */
export const STAFF_ROLES = Object.keys(ROLE_RANK) as [StaffRole, ...StaffRole[]];

/**
 * Each role's name in English, for what staff read outside a page (emails, the audit log); pages say
 * the catalog's `staff.role.<ROLE>` in their own language, where these names come from.
 */
export const ROLE_LABELS = Object.fromEntries(
  STAFF_ROLES.map((role) => [role, englishTranslator().t(`staff.role.${role}`)]),
) as Record<StaffRole, string>;

export interface Actor {
  id: string;
  role: StaffRole;
}

export function hasRole(actor: Actor, minimum: StaffRole): boolean {
  return ROLE_RANK[actor.role] >= ROLE_RANK[minimum];
}

/** Server admins and superadmins invite; only a superadmin invites a server admin or superadmin. */
export function canInvite(actor: Actor, role: StaffRole): boolean {
  if (!hasRole(actor, "SERVER_ADMIN")) return false;
  return ROLE_RANK[role] <= ROLE_RANK.INVITING_ADMIN || actor.role === "SUPERADMIN";
}

/** A superadmin's invitation goes out at once; a server admin's waits for a second admin. */
export function invitationNeedsApproval(inviter: Actor): boolean {
  return inviter.role !== "SUPERADMIN";
}

/** Four eyes: a different server admin or superadmin, and a superadmin for the top two roles. */
export function canDecideInvitation(
  actor: Actor,
  invitation: { invitedById: string; role: StaffRole },
): boolean {
  if (actor.id === invitation.invitedById) return false;
  return canInvite(actor, invitation.role);
}

/** Changing someone's role, disabling or enabling them: within one's authority, never oneself. */
export function canManageAccount(
  actor: Actor,
  target: { id: string; role: StaffRole },
  newRole?: StaffRole,
): boolean {
  if (actor.id === target.id) return false;
  if (!canInvite(actor, target.role)) return false;
  return newRole === undefined || canInvite(actor, newRole);
}

/** Inviting admin and up decide cases and mint registration tokens: reaching such a role takes four eyes. */
export function isDecidingRole(role: StaffRole): boolean {
  return ROLE_RANK[role] >= ROLE_RANK.INVITING_ADMIN;
}

/**
 * A role change waits for a second admin when it raises someone to a deciding role; lowering a role,
 * or raising only to vetting agent, applies at once. Even a superadmin's raise waits: nobody promotes
 * alone.
 */
export function roleChangeNeedsApproval(fromRole: StaffRole, toRole: StaffRole): boolean {
  return isDecidingRole(toRole) && ROLE_RANK[toRole] > ROLE_RANK[fromRole];
}

/** Enabling a disabled account gives its role back, so an account holding a deciding role waits too. */
export function enablingNeedsApproval(role: StaffRole): boolean {
  return isDecidingRole(role);
}

/** A pending role change (a raise, or enabling an account that holds `toRole`), as the policies see it. */
export interface RoleChangeFacts {
  staffUserId: string;
  requestedById: string;
  toRole: StaffRole;
}

/**
 * Four eyes: an admin who could make the change himself, neither the requester nor the person. The
 * caller is signed in, so ACTIVE; the approvers emailed are the ACTIVE staff this answers true for.
 */
export function canDecideRoleChange(actor: Actor, change: RoleChangeFacts): boolean {
  if (actor.id === change.requestedById || actor.id === change.staffUserId) return false;
  return canInvite(actor, change.toRole);
}

/** The requester withdraws his own request; an admin who may decide it may also call it off. */
export function canCancelRoleChange(actor: Actor, change: RoleChangeFacts): boolean {
  return actor.id === change.requestedById || canDecideRoleChange(actor, change);
}

/** The roles whose holders may approve a change to `toRole` (before the requester and person are left out). */
export function rolesThatMayApprove(toRole: StaffRole): StaffRole[] {
  return STAFF_ROLES.filter((role) => canInvite({ id: "", role }, toRole));
}

export function canResetSecondFactor(actor: Actor, target: { id: string }): boolean {
  return actor.role === "SUPERADMIN" && actor.id !== target.id;
}

export function canViewStaffList(actor: Actor): boolean {
  return hasRole(actor, "SERVER_ADMIN");
}

export function canViewAuditLog(actor: Actor): boolean {
  return hasRole(actor, "SERVER_ADMIN");
}

export function canManageOutbox(actor: Actor): boolean {
  return hasRole(actor, "SERVER_ADMIN");
}

/** The CSP violations browsers reported: the people who run the server. */
export function canViewCspViolations(actor: Actor): boolean {
  return hasRole(actor, "SERVER_ADMIN");
}

/** Throws a 403 unless the policy allowed it. */
export function authorize(isAllowed: boolean, message?: string): void {
  if (!isAllowed) throw forbidden(message);
}

/** The invitations page: the people who may invite someone. */
export function canViewInvitations(actor: Actor): boolean {
  return hasRole(actor, "SERVER_ADMIN");
}

/** A new email for an invitation already out (SENT), by someone who could have sent it. */
export function canResendInvitation(actor: Actor, invitation: { status: string; role: StaffRole }): boolean {
  return invitation.status === "SENT" && canInvite(actor, invitation.role);
}

/** Withdrawing an invitation not yet accepted, by someone who could have sent it. */
export function canRevokeInvitation(actor: Actor, invitation: { status: string; role: StaffRole }): boolean {
  return (
    (invitation.status === "PENDING_APPROVAL" || invitation.status === "SENT") &&
    canInvite(actor, invitation.role)
  );
}

/**
 * Whether this person must register a passkey before doing anything else (STAFF_PASSKEYS_REQUIRED_FOR):
 * "admins" means every role that manages people or decides cases above a vetting agent.
 */
export function mustRegisterPasskey(
  person: Actor & { hasPasskey: boolean },
  requiredFor: "none" | "admins" | "all",
): boolean {
  if (person.hasPasskey || requiredFor === "none") return false;
  return requiredFor === "all" || hasRole(person, "INVITING_ADMIN");
}
