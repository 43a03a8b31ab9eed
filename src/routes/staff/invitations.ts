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
import { zEmailAddress, zPersonName } from "../../domain/applicationFields.js";
import { notFound } from "../../errors.js";
import { requireRecentSecondFactor } from "../../middleware/requireRecentSecondFactor.js";
import { signedInStaff } from "../../middleware/requireStaff.js";
import { authorize, canInvite, canViewInvitations, STAFF_ROLES } from "../../policies/staff.js";
import { presentInvitationPage } from "../../presenters/invitationPage.js";
import { presentInvitationsPage, type RoleChangeFormErrors } from "../../presenters/invitationsPage.js";
import { INVITATION_NOTICES, type InvitationNotice } from "../../presenters/notices/staff.js";
import { findInvitation, findRecentInvitations } from "../../queries/staffInvitations.js";
import { findApproverCandidates, findPendingRoleChanges } from "../../queries/staffRoleChanges.js";
import type { SignedInStaff } from "../../sessions.js";
import { urls } from "../../urls.js";
import { orShowRefusal } from "../toolkit/conflicts.js";
import { readForm } from "../toolkit/forms.js";
import { noticeFrom } from "../toolkit/notices.js";
import { uuidParam } from "../toolkit/params.js";

export const ZInvitationForm = z.object({
  name: zPersonName("staff.validation.personNameMissing"),
  email: zEmailAddress("staff.validation.personEmailMissing"),
  role: z.enum(STAFF_ROLES, { error: "staff.validation.chooseRole" }),
});
export type TInvitationForm = z.infer<typeof ZInvitationForm>;

export const ZDecisionForm = z.object({
  decision: z.enum(["approve", "reject"], { error: "staff.validation.chooseDecision" }),
  note: z
    .string()
    .trim()
    .max(1000, "staff.validation.max1000")
    .optional()
    .transform((note) => (note ? note : null)),
});

interface ListView {
  values: Record<string, string>;
  errors: Record<string, string>;
  notice?: string | null;
  /** A decision that could not be made (someone else decided first, the account changed meanwhile). */
  conflict?: string;
  roleChangeErrors?: RoleChangeFormErrors;
  status?: number;
}

interface DetailView {
  notice?: string | null;
  conflict?: string;
  errors?: Record<string, string>;
  status?: number;
}

function redirectWithNotice(ctx: Context, url: string, notice: InvitationNotice): void {
  ctx.status = 303;
  ctx.redirect(`${url}?done=${notice}`);
}

export function invitationRoutes(deps: AppDependencies): Router {
  const router = new Router();
  const stepUp = requireRecentSecondFactor(deps);

  /** The signed-in person, when they may see and act on invitations; else 403. */
  function invitingStaff(ctx: Context): SignedInStaff {
    const staff = signedInStaff(ctx);
    authorize(canViewInvitations(staff));
    return staff;
  }

  router.get("/invitations", async (ctx) => {
    const staff = invitingStaff(ctx);
    await renderList(ctx, deps, staff, {
      values: {},
      errors: {},
      notice: noticeFrom(ctx, INVITATION_NOTICES),
    });
  });

  router.post("/invitations", async (ctx) => {
    const staff = invitingStaff(ctx);
    const form = readForm(ctx, ZInvitationForm, ["name", "email", "role"]);
    if (!form.isValid) {
      return renderList(ctx, deps, staff, { values: form.values, errors: form.errors, status: 422 });
    }
    // The form only offers roles the person may invite; anything else was not typed in this form.
    authorize(canInvite(staff, form.data.role), "staff.invitations.mayNotInviteRole");
    const invited = await orShowRefusal(
      () =>
        inviteStaffMember(deps.db, { inviter: staff, invitee: form.data, audit: auditActorFor(ctx, staff) }),
      () =>
        renderList(ctx, deps, staff, {
          values: form.values,
          errors: { email: EMAIL_TAKEN_MESSAGE },
          status: 422,
        }),
    );
    if (!invited.isDone) return;
    redirectWithNotice(
      ctx,
      urls.staffInvitations(),
      invited.result.isSent ? "invited_sent" : "invited_pending",
    );
  });

  router.get("/invitations/:id", async (ctx) => {
    const staff = invitingStaff(ctx);
    await renderDetail(ctx, deps, staff, uuidParam(ctx), { notice: noticeFrom(ctx, INVITATION_NOTICES) });
  });

  router.post("/invitations/:id/decision", stepUp("staff.stepUp.action.decideInvitation"), async (ctx) => {
    const staff = invitingStaff(ctx);
    const invitationId = uuidParam(ctx);
    const form = readForm(ctx, ZDecisionForm, ["decision", "note"]);
    if (!form.isValid) {
      return renderDetail(ctx, deps, staff, invitationId, { errors: form.errors, status: 422 });
    }
    const decided = await orShowRefusal(
      () =>
        decideInvitation(deps.db, {
          invitationId,
          decision: form.data.decision,
          note: form.data.note,
          decider: staff,
          audit: auditActorFor(ctx, staff),
        }),
      (conflict, status) => renderDetail(ctx, deps, staff, invitationId, { conflict, status }),
    );
    if (!decided.isDone) return;
    redirectWithNotice(
      ctx,
      urls.staffInvitationDetail(invitationId),
      form.data.decision === "approve" ? "approved" : "rejected",
    );
  });

  router.post("/role-changes/:id/decision", stepUp("staff.stepUp.action.decideRoleChange"), async (ctx) => {
    const staff = invitingStaff(ctx);
    const roleChangeId = uuidParam(ctx);
    const form = readForm(ctx, ZDecisionForm, ["decision", "note"]);
    if (!form.isValid) {
      return renderList(ctx, deps, staff, {
        values: {},
        errors: {},
        roleChangeErrors: { roleChangeId, errors: form.errors },
        status: 422,
      });
    }
    const decided = await orShowRefusal(
      () =>
        decideRoleChange(deps.db, {
          roleChangeId,
          decision: form.data.decision,
          note: form.data.note,
          decider: staff,
          audit: auditActorFor(ctx, staff),
        }),
      (conflict, status) => renderList(ctx, deps, staff, { values: {}, errors: {}, conflict, status }),
    );
    if (!decided.isDone) return;
    redirectWithNotice(
      ctx,
      urls.staffInvitations(),
      form.data.decision === "reject"
        ? "role_change_rejected"
        : decided.result.isReenable
          ? "enabling_approved"
          : "role_change_approved",
    );
  });

  router.post("/role-changes/:id/cancel", async (ctx) => {
    const staff = invitingStaff(ctx);
    const roleChangeId = uuidParam(ctx);
    const cancelled = await orShowRefusal(
      () => cancelRoleChange(deps.db, { roleChangeId, actor: staff, audit: auditActorFor(ctx, staff) }),
      (conflict, status) => renderList(ctx, deps, staff, { values: {}, errors: {}, conflict, status }),
    );
    if (!cancelled.isDone) return;
    redirectWithNotice(ctx, urls.staffInvitations(), "role_change_cancelled");
  });

  const invitationActions = [
    { path: "/invitations/:id/resend", command: resendInvitation, notice: "resent" },
    { path: "/invitations/:id/revoke", command: revokeInvitation, notice: "revoked" },
  ] as const;
  for (const { path, command, notice } of invitationActions) {
    router.post(path, async (ctx) => {
      const staff = invitingStaff(ctx);
      const invitationId = uuidParam(ctx);
      const done = await orShowRefusal(
        () => command(deps.db, { invitationId, actor: staff, audit: auditActorFor(ctx, staff) }),
        (conflict, status) => renderDetail(ctx, deps, staff, invitationId, { conflict, status }),
      );
      if (!done.isDone) return;
      redirectWithNotice(ctx, urls.staffInvitationDetail(invitationId), notice);
    });
  }

  return router;
}

async function renderList(
  ctx: Context,
  deps: AppDependencies,
  staff: SignedInStaff,
  view: ListView,
): Promise<void> {
  const [pendingRoleChanges, invitations] = await Promise.all([
    findPendingRoleChanges(deps.db),
    findRecentInvitations(deps.db),
  ]);
  const approverCandidates =
    pendingRoleChanges.length > 0
      ? await findApproverCandidates(
          deps.db,
          pendingRoleChanges.map((change) => change.toRole),
        )
      : [];
  const status = view.status ?? 200;
  ctx.status = status;
  await ctx.render("staff/invitations/index.njk", {
    values: view.values,
    errors: view.errors,
    notice: view.notice ?? null,
    conflict: view.conflict ?? null,
    ...presentInvitationsPage(
      staff,
      { invitations, pendingRoleChanges, approverCandidates },
      ctx.state.translator,
      view.roleChangeErrors,
    ),
  });
  ctx.status = status;
}

/** An invitation's page; `invitationId` is already a well-formed UUID. */
async function renderDetail(
  ctx: Context,
  deps: AppDependencies,
  staff: SignedInStaff,
  invitationId: string,
  view: DetailView,
): Promise<void> {
  const invitation = await findInvitation(deps.db, invitationId);
  if (!invitation) throw notFound();
  const status = view.status ?? 200;
  ctx.status = status;
  await ctx.render("staff/invitations/detail.njk", {
    notice: view.notice ?? null,
    conflict: view.conflict ?? null,
    errors: view.errors ?? {},
    ...presentInvitationPage(staff, invitation, ctx.state.translator),
  });
  ctx.status = status;
}
