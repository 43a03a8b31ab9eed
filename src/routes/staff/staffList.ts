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
import { badRequest, notFound } from "../../errors.js";
import { requireRecentSecondFactor } from "../../middleware/requireRecentSecondFactor.js";
import { signedInStaff } from "../../middleware/requireStaff.js";
import { authorize, canViewStaffList, STAFF_ROLES } from "../../policies/staff.js";
import { PERSON_NOTICES, type PersonNotice } from "../../presenters/notices/staff.js";
import { presentPeoplePage } from "../../presenters/peoplePage.js";
import { presentPersonPage } from "../../presenters/personPage.js";
import { findStaffMember, findStaffMembers } from "../../queries/staffMembers.js";
import { findApproverCandidates, findPendingRoleChangeOf } from "../../queries/staffRoleChanges.js";
import type { SignedInStaff } from "../../sessions.js";
import { urls } from "../../urls.js";
import { orShowRefusal } from "../toolkit/conflicts.js";
import { readForm } from "../toolkit/forms.js";
import { noticeFrom } from "../toolkit/notices.js";
import { uuidParam } from "../toolkit/params.js";

export const ZRoleForm = z.object({ role: z.enum(STAFF_ROLES) });

export function staffListRoutes(deps: AppDependencies): Router {
  const router = new Router();

  router.get("/people", async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canViewStaffList(staff));
    await ctx.render(
      "staff/people/index.njk",
      presentPeoplePage(staff, await findStaffMembers(deps.db), ctx.state.translator),
    );
  });

  router.get("/people/:id", async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canViewStaffList(staff));
    await renderPerson(ctx, deps, staff, uuidParam(ctx), { notice: noticeFrom(ctx, PERSON_NOTICES) });
  });

  const stepUp = requireRecentSecondFactor(deps);
  /** An action on one account: a step-up, then `run`; a refusal (409) shows the person's page again. */
  const act = (
    path: string,
    action: string,
    run: (ctx: Context, staff: SignedInStaff, staffUserId: string) => Promise<PersonNotice>,
  ) =>
    router.post(path, stepUp(action), async (ctx) => {
      const staff = signedInStaff(ctx);
      authorize(canViewStaffList(staff));
      const staffUserId = uuidParam(ctx);
      const done = await orShowRefusal(
        () => run(ctx, staff, staffUserId),
        (conflict, status) => renderPerson(ctx, deps, staff, staffUserId, { conflict, status }),
      );
      if (!done.isDone) return;
      ctx.status = 303;
      ctx.redirect(`${urls.staffPerson(staffUserId)}?done=${done.result}`);
    });

  act("/people/:id/role", "staff.stepUp.action.changeRole", async (ctx, staff, staffUserId) => {
    const form = readForm(ctx, ZRoleForm, ["role"]);
    if (!form.isValid) throw badRequest("staff.validation.chooseRoleFromList");
    const outcome = await changeStaffRole(deps.db, {
      actor: staff,
      staffUserId,
      newRole: form.data.role,
      audit: auditActorFor(ctx, staff),
    });
    const notices = { changed: "role", requested: "role_requested", unchanged: "role_unchanged" } as const;
    return notices[outcome];
  });

  act("/people/:id/disable", "staff.stepUp.action.disableAccount", async (ctx, staff, staffUserId) => {
    await disableStaffMember(deps.db, { actor: staff, staffUserId, audit: auditActorFor(ctx, staff) });
    return "disabled";
  });

  act("/people/:id/enable", "staff.stepUp.action.enableAccount", async (ctx, staff, staffUserId) => {
    const outcome = await enableStaffMember(deps.db, {
      actor: staff,
      staffUserId,
      audit: auditActorFor(ctx, staff),
    });
    return outcome === "requested" ? "enable_requested" : "enabled";
  });

  act(
    "/people/:id/reset-second-factor",
    "staff.stepUp.action.resetSecondFactor",
    async (ctx, staff, staffUserId) => {
      await resetSecondFactor(deps.db, { actor: staff, staffUserId, audit: auditActorFor(ctx, staff) });
      return "second_factor_reset";
    },
  );

  return router;
}

/** A person's page; `staffUserId` is already a well-formed UUID. */
async function renderPerson(
  ctx: Context,
  deps: AppDependencies,
  staff: SignedInStaff,
  staffUserId: string,
  view: { notice?: string | null; conflict?: string; status?: number },
): Promise<void> {
  const person = await findStaffMember(deps.db, staffUserId);
  if (!person) throw notFound();
  const pendingRoleChange = await findPendingRoleChangeOf(deps.db, person.id);
  const approverCandidates = pendingRoleChange
    ? await findApproverCandidates(deps.db, [pendingRoleChange.toRole])
    : [];
  const status = view.status ?? 200;
  ctx.status = status;
  await ctx.render("staff/people/detail.njk", {
    notice: view.notice ?? null,
    conflict: view.conflict ?? null,
    ...presentPersonPage(staff, person, pendingRoleChange, approverCandidates, ctx.state.translator),
  });
  ctx.status = status;
}
