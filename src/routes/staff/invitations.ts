// Inviting staff and deciding invitations (four eyes). Mounted under /staff.
//   GET  /invitations                  the list and the form to invite someone
//   POST /invitations                  invite (sent at once by a superadmin, else waits for approval)
//   GET  /invitations/:id              one invitation, with the actions the viewer may take
//   POST /invitations/:id/decision     approve or reject, with a note (a different admin)
//   POST /invitations/:id/resend       a new email; earlier links stop working
//   POST /invitations/:id/revoke       withdraw it; the account is disabled
// Role changes that wait for a second admin (a raise to inviting admin and up, or enabling an account
// that holds such a role) are listed on the same page, beside the invitations waiting for approval:
//   POST /role-changes/:id/decision    approve (applied now, their sessions end) or reject, with a note
//   POST /role-changes/:id/cancel      withdraw it (the requester, or an admin who may decide it)
// Deciding an invitation or a role change is sensitive: a step-up first when the last second factor is
// older than STEP_UP_MINUTES.
import Router from "@koa/router";
import type { Context } from "koa";
import { z } from "zod";
import type { AppDependencies } from "../../appDependencies.js";
import { auditActorFor } from "../../audit.js";
import { cancelRoleChange } from "../../commands/staff/cancelRoleChange.js";
import { decideInvitation } from "../../commands/staff/decideInvitation.js";
import { decideRoleChange } from "../../commands/staff/decideRoleChange.js";
import { EMAIL_TAKEN_MESSAGE, inviteStaffMember } from "../../commands/staff/inviteStaffMember.js";
import { resendInvitation } from "../../commands/staff/resendInvitation.js";
import { revokeInvitation } from "../../commands/staff/revokeInvitation.js";
import { zPersonName } from "../../domain/applicationFields.js";
import { HttpError, notFound } from "../../errors.js";
import type { StaffRole } from "../../generated/prisma/client.js";
import { requireRecentSecondFactor } from "../../middleware/requireRecentSecondFactor.js";
import { signedInStaff } from "../../middleware/requireStaff.js";
import {
  authorize,
  canDecideInvitation,
  canInvite,
  canResendInvitation,
  canRevokeInvitation,
  canViewInvitations,
  ROLE_RANK,
} from "../../policies/staff.js";
import {
  formatDateTime,
  INVITATION_STATUS_LABELS,
  ROLE_LABELS,
  STAFF_STATUS_LABELS,
} from "../../presenters/staff.js";
import { presentPendingRoleChange } from "../../presenters/staffRoleChanges.js";
import { findApproverCandidates, findPendingRoleChanges } from "../../queries/staffRoleChanges.js";
import type { SignedInStaff } from "../../sessions.js";
import { urls } from "../../urls.js";

const STAFF_ROLES = Object.keys(ROLE_RANK) as StaffRole[];
const ZUuid = z.uuid();

export const ZInvitationForm = z.object({
  name: zPersonName("Enter the person’s full name."),
  email: z
    .string()
    .trim()
    .min(1, "Enter the person’s email address.")
    .max(254, "Use at most 254 characters.")
    .pipe(z.email("Enter an email address like name@example.org."))
    .transform((email) => email.toLowerCase()),
  role: z.enum(STAFF_ROLES as [StaffRole, ...StaffRole[]], { error: "Choose a role." }),
});
export type TInvitationForm = z.infer<typeof ZInvitationForm>;

export const ZDecisionForm = z.object({
  decision: z.enum(["approve", "reject"], { error: "Choose whether to approve or reject." }),
  note: z
    .string()
    .trim()
    .max(1000, "Use at most 1000 characters.")
    .optional()
    .transform((note) => (note ? note : null)),
});

const NOTICES: Record<string, string> = {
  invited_sent: "The invitation was sent.",
  invited_pending: "The invitation is waiting for a second admin’s approval.",
  approved: "The invitation was approved and sent.",
  rejected: "The invitation was rejected and the account disabled.",
  resent: "The invitation was sent again. Links in earlier emails no longer work.",
  revoked: "The invitation was revoked and the account disabled.",
  role_change_approved:
    "The role change was approved and applied. Their sessions were ended: the new role applies from their next sign-in.",
  enabling_approved: "The account was enabled again, with its role.",
  role_change_rejected: "The role change was rejected. Nothing about the account changed.",
  role_change_cancelled: "The role change was cancelled. Nothing about the account changed.",
};

type FieldErrors = Partial<Record<"name" | "email" | "role", string>>;

interface ListView {
  values: Record<string, string>;
  errors: FieldErrors;
  notice?: string | null;
  /** A decision that could not be made (someone else decided first, the account changed meanwhile). */
  conflict?: string;
  /** A role change's decision form with mistakes: which change, and its field errors. */
  roleChangeErrors?: { roleChangeId: string; errors: Record<string, string> };
  status?: number;
}

export function invitationRoutes(deps: AppDependencies): Router {
  const router = new Router();
  const stepUp = requireRecentSecondFactor(deps);

  router.get("/invitations", async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canViewInvitations(staff));
    await renderList(ctx, deps, staff, { values: {}, errors: {}, notice: noticeFrom(ctx) });
  });

  router.post("/invitations", async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canViewInvitations(staff));
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const typed = {
      name: typeof body.name === "string" ? body.name : "",
      email: typeof body.email === "string" ? body.email : "",
      role: typeof body.role === "string" ? body.role : "",
    };
    const parsed = ZInvitationForm.safeParse(body);
    const errors: FieldErrors = {};
    if (!parsed.success) {
      for (const issue of parsed.error.issues) errors[issue.path[0] as keyof FieldErrors] ??= issue.message;
    } else if (!canInvite(staff, parsed.data.role)) {
      // The form only offers roles the person may invite; anything else was not typed in this form.
      authorize(false, "You may not invite someone with that role.");
    }
    if (!parsed.success || Object.keys(errors).length > 0) {
      return renderList(ctx, deps, staff, { values: typed, errors, status: 422 });
    }
    let isSent: boolean;
    try {
      ({ isSent } = await inviteStaffMember(deps.db, {
        inviter: staff,
        invitee: parsed.data,
        audit: auditActorFor(ctx, staff),
      }));
    } catch (error) {
      if (error instanceof HttpError && error.status === 409) {
        return renderList(ctx, deps, staff, {
          values: typed,
          errors: { email: EMAIL_TAKEN_MESSAGE },
          status: 422,
        });
      }
      throw error;
    }
    ctx.status = 303;
    ctx.redirect(`${urls.staffInvitations()}?done=${isSent ? "invited_sent" : "invited_pending"}`);
  });

  router.get("/invitations/:id", async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canViewInvitations(staff));
    await renderDetail(ctx, deps, staff, ctx.params.id ?? "", { notice: noticeFrom(ctx) });
  });

  router.post("/invitations/:id/decision", stepUp("decide this invitation"), async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canViewInvitations(staff));
    const invitationId = ctx.params.id ?? "";
    if (!ZUuid.safeParse(invitationId).success) throw notFound();
    const parsed = ZDecisionForm.safeParse(ctx.request.body ?? {});
    if (!parsed.success) {
      const errors: Record<string, string> = {};
      for (const issue of parsed.error.issues) errors[String(issue.path[0])] ??= issue.message;
      return renderDetail(ctx, deps, staff, invitationId, { errors, status: 422 });
    }
    try {
      await decideInvitation(deps.db, {
        invitationId,
        decision: parsed.data.decision,
        note: parsed.data.note,
        decider: staff,
        audit: auditActorFor(ctx, staff),
      });
    } catch (error) {
      if (error instanceof HttpError && error.status === 409) {
        return renderDetail(ctx, deps, staff, invitationId, { conflict: error.message, status: 409 });
      }
      throw error;
    }
    ctx.status = 303;
    ctx.redirect(
      `${urls.staffInvitationDetail(invitationId)}?done=${parsed.data.decision === "approve" ? "approved" : "rejected"}`,
    );
  });

  router.post("/role-changes/:id/decision", stepUp("decide this role change"), async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canViewInvitations(staff));
    const roleChangeId = ctx.params.id ?? "";
    if (!ZUuid.safeParse(roleChangeId).success) throw notFound();
    const parsed = ZDecisionForm.safeParse(ctx.request.body ?? {});
    if (!parsed.success) {
      const errors: Record<string, string> = {};
      for (const issue of parsed.error.issues) errors[String(issue.path[0])] ??= issue.message;
      return renderList(ctx, deps, staff, {
        values: {},
        errors: {},
        roleChangeErrors: { roleChangeId, errors },
        status: 422,
      });
    }
    let isReenable: boolean;
    try {
      ({ isReenable } = await decideRoleChange(deps.db, {
        roleChangeId,
        decision: parsed.data.decision,
        note: parsed.data.note,
        decider: staff,
        audit: auditActorFor(ctx, staff),
      }));
    } catch (error) {
      if (error instanceof HttpError && error.status === 409) {
        return renderList(ctx, deps, staff, { values: {}, errors: {}, conflict: error.message, status: 409 });
      }
      throw error;
    }
    const done =
      parsed.data.decision === "reject"
        ? "role_change_rejected"
        : isReenable
          ? "enabling_approved"
          : "role_change_approved";
    ctx.status = 303;
    ctx.redirect(`${urls.staffInvitations()}?done=${done}`);
  });

  router.post("/role-changes/:id/cancel", async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canViewInvitations(staff));
    const roleChangeId = ctx.params.id ?? "";
    if (!ZUuid.safeParse(roleChangeId).success) throw notFound();
    try {
      await cancelRoleChange(deps.db, { roleChangeId, actor: staff, audit: auditActorFor(ctx, staff) });
    } catch (error) {
      if (error instanceof HttpError && error.status === 409) {
        return renderList(ctx, deps, staff, { values: {}, errors: {}, conflict: error.message, status: 409 });
      }
      throw error;
    }
    ctx.status = 303;
    ctx.redirect(`${urls.staffInvitations()}?done=role_change_cancelled`);
  });

  router.post("/invitations/:id/resend", async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canViewInvitations(staff));
    const invitationId = ctx.params.id ?? "";
    if (!ZUuid.safeParse(invitationId).success) throw notFound();
    try {
      await resendInvitation(deps.db, { invitationId, actor: staff, audit: auditActorFor(ctx, staff) });
    } catch (error) {
      if (error instanceof HttpError && error.status === 409) {
        return renderDetail(ctx, deps, staff, invitationId, { conflict: error.message, status: 409 });
      }
      throw error;
    }
    ctx.status = 303;
    ctx.redirect(`${urls.staffInvitationDetail(invitationId)}?done=resent`);
  });

  router.post("/invitations/:id/revoke", async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canViewInvitations(staff));
    const invitationId = ctx.params.id ?? "";
    if (!ZUuid.safeParse(invitationId).success) throw notFound();
    try {
      await revokeInvitation(deps.db, { invitationId, actor: staff, audit: auditActorFor(ctx, staff) });
    } catch (error) {
      if (error instanceof HttpError && error.status === 409) {
        return renderDetail(ctx, deps, staff, invitationId, { conflict: error.message, status: 409 });
      }
      throw error;
    }
    ctx.status = 303;
    ctx.redirect(`${urls.staffInvitationDetail(invitationId)}?done=revoked`);
  });

  return router;
}

export function noticeFrom(ctx: Context): string | null {
  const done = typeof ctx.query.done === "string" ? ctx.query.done : "";
  return NOTICES[done] ?? null;
}

async function renderList(
  ctx: Context,
  deps: AppDependencies,
  staff: SignedInStaff,
  view: ListView,
): Promise<void> {
  const pendingRoleChanges = await findPendingRoleChanges(deps.db);
  const approverCandidates =
    pendingRoleChanges.length > 0
      ? await findApproverCandidates(
          deps.db,
          pendingRoleChanges.map((change) => change.toRole),
        )
      : [];
  const invitations = await deps.db.staffInvitation.findMany({
    orderBy: { createdAt: "desc" },
    take: 200,
    select: {
      id: true,
      status: true,
      createdAt: true,
      invitee: { select: { name: true, email: true, role: true } },
      invitedBy: { select: { name: true } },
    },
  });
  const status = view.status ?? 200;
  ctx.status = status;
  await ctx.render("staff/invitations/index.njk", {
    values: view.values,
    errors: view.errors,
    notice: view.notice ?? null,
    conflict: view.conflict ?? null,
    hasRoleChangeErrors: view.roleChangeErrors !== undefined,
    roleOptions: STAFF_ROLES.filter((role) => canInvite(staff, role)).map((role) => ({
      value: role,
      label: ROLE_LABELS[role],
    })),
    roleChanges: pendingRoleChanges.map((change) => ({
      ...presentPendingRoleChange(change, staff, approverCandidates),
      errors: view.roleChangeErrors?.roleChangeId === change.id ? view.roleChangeErrors.errors : {},
    })),
    invitations: invitations.map((invitation) => ({
      url: urls.staffInvitationDetail(invitation.id),
      name: invitation.invitee.name,
      email: invitation.invitee.email,
      roleLabel: ROLE_LABELS[invitation.invitee.role],
      statusLabel: INVITATION_STATUS_LABELS[invitation.status],
      isPending: invitation.status === "PENDING_APPROVAL",
      invitedBy: invitation.invitedBy.name,
      createdAt: formatDateTime(invitation.createdAt),
    })),
  });
  ctx.status = status;
}

async function renderDetail(
  ctx: Context,
  deps: AppDependencies,
  staff: SignedInStaff,
  invitationId: string,
  view: { notice?: string | null; conflict?: string; errors?: Record<string, string>; status?: number },
): Promise<void> {
  if (!ZUuid.safeParse(invitationId).success) throw notFound();
  const invitation = await deps.db.staffInvitation.findUnique({
    where: { id: invitationId },
    select: {
      id: true,
      status: true,
      invitedById: true,
      decisionNote: true,
      createdAt: true,
      decidedAt: true,
      sentAt: true,
      acceptedAt: true,
      invitee: { select: { id: true, name: true, email: true, role: true, status: true } },
      invitedBy: { select: { name: true } },
      decidedBy: { select: { name: true } },
    },
  });
  if (!invitation) throw notFound();
  const target = { status: invitation.status, role: invitation.invitee.role };
  const status = view.status ?? 200;
  ctx.status = status;
  await ctx.render("staff/invitations/detail.njk", {
    notice: view.notice ?? null,
    conflict: view.conflict ?? null,
    errors: view.errors ?? {},
    invitation: {
      id: invitation.id,
      name: invitation.invitee.name,
      email: invitation.invitee.email,
      roleLabel: ROLE_LABELS[invitation.invitee.role],
      statusLabel: INVITATION_STATUS_LABELS[invitation.status],
      accountStatusLabel: STAFF_STATUS_LABELS[invitation.invitee.status],
      invitedBy: invitation.invitedBy.name,
      decidedBy: invitation.decidedBy?.name ?? null,
      decisionNote: invitation.decisionNote,
      createdAt: formatDateTime(invitation.createdAt),
      decidedAt: invitation.decidedAt ? formatDateTime(invitation.decidedAt) : null,
      sentAt: invitation.sentAt ? formatDateTime(invitation.sentAt) : null,
      acceptedAt: invitation.acceptedAt ? formatDateTime(invitation.acceptedAt) : null,
      isPending: invitation.status === "PENDING_APPROVAL",
      isOwn: invitation.invitedById === staff.id,
    },
    links: {
      invitations: urls.staffInvitations(),
      decision: urls.staffInvitationDecision(invitation.id),
      resend: urls.staffInvitationResend(invitation.id),
      revoke: urls.staffInvitationRevoke(invitation.id),
    },
    can: {
      decide:
        invitation.status === "PENDING_APPROVAL" &&
        canDecideInvitation(staff, { invitedById: invitation.invitedById, role: invitation.invitee.role }),
      resend: canResendInvitation(staff, target),
      revoke: canRevokeInvitation(staff, target),
    },
  });
  ctx.status = status;
}
