// The staff list and the actions on accounts. Mounted under /staff; server admins and up.
//   GET  /people                                 everyone, with status, last sign-in and 2FA state
//   GET  /people/:id                             one person, with the actions the viewer may take
//   POST /people/:id/role                        change the role (their sessions end); a raise to
//                                                inviting admin and up waits for a second admin
//   POST /people/:id/disable | /enable           (disabling ends their sessions at once; enabling an
//                                                account of inviting admin and up waits likewise)
//   POST /people/:id/reset-second-factor         superadmin: clear 2FA, re-enrol through a new invitation
// Every action is sensitive: a step-up first when the last second factor is older than STEP_UP_MINUTES.
// Accounts are never deleted.
import Router from "@koa/router";
import type { Context } from "koa";
import { z } from "zod";
import type { AppDependencies } from "../../appDependencies.js";
import { auditActorFor } from "../../audit.js";
import { changeStaffRole } from "../../commands/staff/changeStaffRole.js";
import { disableStaffMember } from "../../commands/staff/disableStaffMember.js";
import { enableStaffMember } from "../../commands/staff/enableStaffMember.js";
import { resetSecondFactor } from "../../commands/staff/resetSecondFactor.js";
import { HttpError, notFound } from "../../errors.js";
import type { StaffRole } from "../../generated/prisma/client.js";
import { requireRecentSecondFactor } from "../../middleware/requireRecentSecondFactor.js";
import { signedInStaff } from "../../middleware/requireStaff.js";
import {
  authorize,
  canInvite,
  canManageAccount,
  canResetSecondFactor,
  canViewInvitations,
  canViewStaffList,
  enablingNeedsApproval,
  ROLE_RANK,
} from "../../policies/staff.js";
import { formatDateTime, ROLE_LABELS, STAFF_STATUS_LABELS } from "../../presenters/staff.js";
import { presentPendingRoleChange } from "../../presenters/staffRoleChanges.js";
import {
  findApproverCandidates,
  findPendingRoleChangeOf,
  hasFinishedSetup,
} from "../../queries/staffRoleChanges.js";
import type { SignedInStaff } from "../../sessions.js";
import { urls } from "../../urls.js";

const STAFF_ROLES = Object.keys(ROLE_RANK) as StaffRole[];
const ZUuid = z.uuid();
export const ZRoleForm = z.object({ role: z.enum(STAFF_ROLES as [StaffRole, ...StaffRole[]]) });

const NOTICES: Record<string, string> = {
  role: "The role was changed. Their sessions were ended: the new role applies from their next sign-in.",
  role_unchanged: "They already hold that role; nothing was changed.",
  role_requested:
    "The role change now waits for a second admin’s approval; until then their role stays as it is. Every admin who may approve it was emailed (who that is shows below), and it is listed on the invitations page.",
  disabled: "The account was disabled and its sessions ended.",
  enabled: "The account was enabled.",
  enable_requested:
    "Enabling the account now waits for a second admin’s approval, since its role decides cases; until then it stays disabled. Every admin who may approve it was emailed (who that is shows below), and it is listed on the invitations page.",
  second_factor_reset:
    "Two-step sign-in was reset and the sessions ended. An invitation email was sent to set the account up again.",
};

export function staffListRoutes(deps: AppDependencies): Router {
  const router = new Router();

  router.get("/people", async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canViewStaffList(staff));
    const people = await deps.db.staffUser.findMany({
      orderBy: [{ status: "asc" }, { name: "asc" }],
      select: {
        id: true,
        name: true,
        email: true,
        role: true,
        status: true,
        lastSignInAt: true,
        totpEnabledAt: true,
      },
    });
    await ctx.render("staff/people/index.njk", {
      can: { invite: canViewInvitations(staff) },
      invitationsUrl: urls.staffInvitations(),
      people: people.map((person) => ({
        url: urls.staffPerson(person.id),
        name: person.name,
        email: person.email,
        roleLabel: ROLE_LABELS[person.role],
        statusLabel: STAFF_STATUS_LABELS[person.status],
        isActive: person.status === "ACTIVE",
        lastSignIn: formatDateTime(person.lastSignInAt),
        secondFactorLabel: person.totpEnabledAt ? "On" : "Not set up",
        isYou: person.id === staff.id,
      })),
    });
  });

  router.get("/people/:id", async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canViewStaffList(staff));
    const done = typeof ctx.query.done === "string" ? ctx.query.done : "";
    await renderPerson(ctx, deps, staff, ctx.params.id ?? "", { notice: NOTICES[done] ?? null });
  });

  const stepUp = requireRecentSecondFactor(deps);
  const act = (
    path: string,
    action: string,
    run: (ctx: Context, staff: SignedInStaff, staffUserId: string) => Promise<string>,
  ) =>
    router.post(path, stepUp(action), async (ctx) => {
      const staff = signedInStaff(ctx);
      authorize(canViewStaffList(staff));
      const staffUserId = ctx.params.id ?? "";
      if (!ZUuid.safeParse(staffUserId).success) throw notFound();
      let done: string;
      try {
        done = await run(ctx, staff, staffUserId);
      } catch (error) {
        if (error instanceof HttpError && error.status === 409) {
          return renderPerson(ctx, deps, staff, staffUserId, { conflict: error.message, status: 409 });
        }
        throw error;
      }
      ctx.status = 303;
      ctx.redirect(`${urls.staffPerson(staffUserId)}?done=${done}`);
    });

  act("/people/:id/role", "change this person’s role", async (ctx, staff, staffUserId) => {
    const parsed = ZRoleForm.safeParse(ctx.request.body ?? {});
    if (!parsed.success) throw new HttpError(400, "bad_request", "Choose a role from the list.");
    const outcome = await changeStaffRole(deps.db, {
      actor: staff,
      staffUserId,
      newRole: parsed.data.role,
      audit: auditActorFor(ctx, staff),
    });
    return { changed: "role", requested: "role_requested", unchanged: "role_unchanged" }[outcome];
  });

  act("/people/:id/disable", "disable this account", async (ctx, staff, staffUserId) => {
    await disableStaffMember(deps.db, { actor: staff, staffUserId, audit: auditActorFor(ctx, staff) });
    return "disabled";
  });

  act("/people/:id/enable", "enable this account", async (ctx, staff, staffUserId) => {
    const outcome = await enableStaffMember(deps.db, {
      actor: staff,
      staffUserId,
      audit: auditActorFor(ctx, staff),
    });
    return outcome === "requested" ? "enable_requested" : "enabled";
  });

  act("/people/:id/reset-second-factor", "reset their two-step sign-in", async (ctx, staff, staffUserId) => {
    await resetSecondFactor(deps.db, { actor: staff, staffUserId, audit: auditActorFor(ctx, staff) });
    return "second_factor_reset";
  });

  return router;
}

async function renderPerson(
  ctx: Context,
  deps: AppDependencies,
  staff: SignedInStaff,
  staffUserId: string,
  view: { notice?: string | null; conflict?: string; status?: number },
): Promise<void> {
  if (!ZUuid.safeParse(staffUserId).success) throw notFound();
  const person = await deps.db.staffUser.findUnique({
    where: { id: staffUserId },
    select: {
      id: true,
      name: true,
      email: true,
      role: true,
      status: true,
      createdAt: true,
      lastSignInAt: true,
      disabledAt: true,
      totpEnabledAt: true,
      passwordHash: true,
      invitation: { select: { id: true } },
      _count: { select: { sessions: { where: { expiresAt: { gt: new Date() } } } } },
    },
  });
  if (!person) throw notFound();
  const pendingRoleChange = await findPendingRoleChangeOf(deps.db, person.id);
  const approverCandidates = pendingRoleChange
    ? await findApproverCandidates(deps.db, [pendingRoleChange.toRole])
    : [];
  const canManage = canManageAccount(staff, person);
  const status = view.status ?? 200;
  ctx.status = status;
  await ctx.render("staff/people/detail.njk", {
    notice: view.notice ?? null,
    conflict: view.conflict ?? null,
    person: {
      name: person.name,
      email: person.email,
      roleLabel: ROLE_LABELS[person.role],
      statusLabel: STAFF_STATUS_LABELS[person.status],
      createdAt: formatDateTime(person.createdAt),
      lastSignIn: formatDateTime(person.lastSignInAt),
      disabledAt: person.disabledAt ? formatDateTime(person.disabledAt) : null,
      secondFactorLabel: person.totpEnabledAt
        ? `On since ${formatDateTime(person.totpEnabledAt)}`
        : "Not set up",
      sessionCount: person._count.sessions,
      isYou: person.id === staff.id,
      invitationUrl: person.invitation ? urls.staffInvitationDetail(person.invitation.id) : null,
    },
    pendingRoleChange: pendingRoleChange
      ? presentPendingRoleChange(pendingRoleChange, staff, approverCandidates)
      : null,
    roleOptions: STAFF_ROLES.filter((role) => canInvite(staff, role)).map((role) => ({
      value: role,
      label: ROLE_LABELS[role],
      isCurrent: role === person.role,
    })),
    can: {
      changeRole: canManage,
      disable: canManage && person.status !== "DISABLED",
      enable:
        canManage &&
        person.status === "DISABLED" &&
        hasFinishedSetup(person) &&
        !pendingRoleChange?.isReenable,
      resetSecondFactor: canResetSecondFactor(staff, person) && person.status === "ACTIVE",
    },
    enablingNeedsApproval: enablingNeedsApproval(person.role),
    links: {
      people: urls.staffPeople(),
      invitations: urls.staffInvitations(),
      role: urls.staffPersonAction(person.id, "role"),
      disable: urls.staffPersonAction(person.id, "disable"),
      enable: urls.staffPersonAction(person.id, "enable"),
      resetSecondFactor: urls.staffPersonAction(person.id, "reset-second-factor"),
    },
  });
  ctx.status = status;
}
