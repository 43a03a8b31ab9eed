// The emailed links that open an applicant's workspace:
//   /apply/confirm/:token      confirmation of the address, right after applying (24 hours)
//   /apply/sign-in/:token      "email me a link" (15 minutes)
//   /apply/invitation/:token   an agent opened the case on the person's behalf (7 days)
//   /apply/submitted/:token    an agent submitted the application on the person's behalf (7 days)
//   /apply/new-address/:token  staff changed the application's address: the new one confirms itself
//                              (3 days); this one starts no session, it only confirms
// GET shows a page with one button and changes nothing (mail scanners that prefetch links consume
// nothing); POST consumes the link, starts a new applicant session and goes to the workspace. A link of
// one purpose never opens another purpose's page. A link that cannot be used says why, with the
// "email me a link" form: unknown (or its case erased) → 404, expired or used → 410.
import Router from "@koa/router";
import type { Context } from "koa";
import type { AppDependencies } from "../../appDependencies.js";
import { setApplicantCookie } from "../../applicantSessions.js";
import { applicantAuditActor } from "../../audit.js";
import {
  confirmCaseEmailChange,
  EmailChangeLinkUnusableError,
} from "../../commands/applicants/confirmCaseEmailChange.js";
import {
  type ApplicantLinkPurpose,
  ApplicantLinkUnusableError,
  openApplicantWorkspace,
} from "../../commands/applicants/openApplicantWorkspace.js";
import { inspectLinkToken } from "../../tokens.js";
import { urls } from "../../urls.js";

type LinkProblem = "unknown" | "expired" | "used";

interface ApplicantLink {
  path: string;
  purpose: ApplicantLinkPurpose;
  /** Catalog ids: the page says them in its language. */
  heading: string;
  text: string;
  button: string;
  /** The workspace's notice after the link was used. */
  notice: string;
}

const APPLICANT_LINKS: readonly ApplicantLink[] = [
  {
    path: "/apply/confirm/:token",
    purpose: "email_confirmation",
    heading: "links.confirm.heading",
    text: "links.confirm.text",
    button: "links.confirm.button",
    notice: "confirmed",
  },
  {
    path: "/apply/sign-in/:token",
    purpose: "sign_in",
    heading: "links.signIn.heading",
    text: "links.signIn.text",
    button: "links.open.button",
    notice: "signed_in",
  },
  {
    path: "/apply/invitation/:token",
    purpose: "case_invitation",
    heading: "links.invitation.heading",
    text: "links.invitation.text",
    button: "links.open.button",
    notice: "signed_in",
  },
  {
    path: "/apply/submitted/:token",
    purpose: "case_submitted_for_you",
    heading: "links.submittedForYou.heading",
    text: "links.submittedForYou.text",
    button: "links.open.button",
    notice: "signed_in",
  },
];

const LINK_PROBLEM_STATUS: Record<LinkProblem, number> = { unknown: 404, expired: 410, used: 410 };

export function applicantLinkRoutes(deps: AppDependencies): Router {
  const router = new Router();

  for (const link of APPLICANT_LINKS) {
    router.get(link.path, async (ctx) => {
      ctx.set("Cache-Control", "no-store");
      const problem = await linkProblem(deps, link.purpose, ctx.params.token ?? "");
      if (problem) return renderUnusable(ctx, problem);
      await ctx.render("links/applicant-link.njk", { link, action: ctx.path, isSignIn: true });
    });

    router.post(link.path, async (ctx) => {
      ctx.set("Cache-Control", "no-store");
      const token = ctx.params.token ?? "";
      let opened: Awaited<ReturnType<typeof openApplicantWorkspace>>;
      try {
        opened = await openApplicantWorkspace(deps.db, {
          config: deps.config,
          purpose: link.purpose,
          token,
          replacingSessionId: ctx.state.applicant?.sessionId ?? null,
          audit: applicantAuditActor(ctx),
        });
      } catch (error) {
        if (error instanceof ApplicantLinkUnusableError) {
          return renderUnusable(ctx, (await linkProblem(deps, link.purpose, token)) ?? "used");
        }
        throw error;
      }
      setApplicantCookie(ctx, deps.config, opened.sessionToken);
      ctx.status = 303;
      ctx.redirect(urls.applicantWorkspaceWithNotice(link.notice));
    });
  }

  const newAddress = {
    heading: "links.newAddress.heading",
    text: "links.newAddress.text",
    button: "links.newAddress.button",
  };
  router.get("/apply/new-address/:token", async (ctx) => {
    ctx.set("Cache-Control", "no-store");
    const problem = await linkProblem(deps, "case_email_change", ctx.params.token ?? "");
    if (problem) return renderUnusable(ctx, problem);
    await ctx.render("links/applicant-link.njk", { link: newAddress, action: ctx.path, isSignIn: false });
  });

  router.post("/apply/new-address/:token", async (ctx) => {
    ctx.set("Cache-Control", "no-store");
    const token = ctx.params.token ?? "";
    try {
      await confirmCaseEmailChange(deps.db, { token, audit: applicantAuditActor(ctx) });
    } catch (error) {
      if (error instanceof EmailChangeLinkUnusableError) {
        return renderUnusable(ctx, (await linkProblem(deps, "case_email_change", token)) ?? "used");
      }
      throw error;
    }
    await ctx.render("links/new-address-confirmed.njk", {});
  });

  return router;
}

/** Why the link opens nothing, or null when it can be used. Read-only. */
async function linkProblem(
  deps: AppDependencies,
  purpose: ApplicantLinkPurpose | "case_email_change",
  token: string,
): Promise<LinkProblem | null> {
  const state = await inspectLinkToken(deps.db, purpose, token);
  if (state.status !== "valid") return state.status;
  if (state.subject?.type !== "vetting_case") return "unknown";
  const vettingCase = await deps.db.vettingCase.findUnique({
    where: { id: state.subject.id },
    select: { erasedAt: true },
  });
  return vettingCase && !vettingCase.erasedAt ? null : "unknown";
}

async function renderUnusable(ctx: Context, problem: LinkProblem): Promise<void> {
  const status = LINK_PROBLEM_STATUS[problem];
  ctx.status = status;
  await ctx.render("links/applicant-link-invalid.njk", { problem, values: {}, errors: {} });
  ctx.status = status;
}
