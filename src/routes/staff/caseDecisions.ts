// Deciding a case. Mounted under /staff.
//   POST /cases/:id/decision   approve, reject, or ask the applicant for more information (after a
//                              step-up when the last second factor is older than STEP_UP_MINUTES)
// Mistakes in the form, four-eyes refusals and conflicts (the case moved on, another admin decided first)
// are shown on the case page itself, in the decision panel or at the top; success goes back to the case
// page with a notice.
import Router from "@koa/router";
import { z } from "zod";
import type { AppDependencies } from "../../appDependencies.js";
import { auditActorFor } from "../../audit.js";
import { decideCase } from "../../commands/cases/decideCase.js";
import { HttpError, notFound } from "../../errors.js";
import { requireRecentSecondFactor } from "../../middleware/requireRecentSecondFactor.js";
import { signedInStaff } from "../../middleware/requireStaff.js";
import { canDecideCases } from "../../policies/cases.js";
import { authorize } from "../../policies/staff.js";
import { urls } from "../../urls.js";
import { renderCasePage } from "./cases.js";

const ZUuid = z.uuid();

export const REASON_MAX_LENGTH = 4000;

// Direction overrides can make a reason read differently in the applicant's mail client than it did here.
const DIRECTION_OVERRIDES = /[\u202A-\u202E\u2066-\u2069]/u;

export const ZCaseDecisionForm = z
  .object({
    decision: z.enum(["approve", "reject", "request_more_information"], { error: "Choose a decision." }),
    reason: z
      .string()
      .trim()
      .max(REASON_MAX_LENGTH, `Use at most ${REASON_MAX_LENGTH} characters.`)
      .refine(
        (reason) => !DIRECTION_OVERRIDES.test(reason),
        "Remove the invisible text-direction characters.",
      )
      .optional()
      .transform((reason) => (reason ? reason : null)),
    shareReason: z.literal("yes").optional(),
  })
  .superRefine((form, context) => {
    if (form.reason) return;
    if (form.decision === "reject") {
      context.addIssue({ code: "custom", path: ["reason"], message: "Enter the reason for rejecting." });
    } else if (form.decision === "request_more_information") {
      context.addIssue({
        code: "custom",
        path: ["reason"],
        message: "Enter what the applicant needs to add or change.",
      });
    }
  });
export type TCaseDecisionForm = z.output<typeof ZCaseDecisionForm>;

/** The `?done=` keys this route redirects with, and what the case page says for them. */
export const DECISION_NOTICES = {
  approved: "The case was approved. The applicant will get an email.",
  rejected: "The case was rejected. The applicant will get an email.",
  more_information_requested:
    "The applicant was asked for more information and can edit their application again. They will get an email with your reason.",
} as const;

const NOTICE_FOR = {
  approve: "approved",
  reject: "rejected",
  request_more_information: "more_information_requested",
} as const satisfies Record<TCaseDecisionForm["decision"], keyof typeof DECISION_NOTICES>;

export function caseDecisionRoutes(deps: AppDependencies): Router {
  const router = new Router();
  const stepUp = requireRecentSecondFactor(deps);

  router.post("/cases/:id/decision", stepUp("decide this case"), async (ctx) => {
    const staff = signedInStaff(ctx);
    const caseId = ctx.params.id ?? "";
    if (!ZUuid.safeParse(caseId).success) throw notFound();
    authorize(canDecideCases(staff), "Only admins decide cases.");
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const values = {
      decision: typeof body.decision === "string" ? body.decision : "",
      reason: typeof body.reason === "string" ? body.reason : "",
      shareReason: body.shareReason === "yes" ? "yes" : "",
    };
    const parsed = ZCaseDecisionForm.safeParse({
      decision: values.decision,
      reason: values.reason,
      shareReason: values.shareReason || undefined,
    });
    if (!parsed.success) {
      const errors: Record<string, string> = {};
      for (const issue of parsed.error.issues) errors[String(issue.path[0])] ??= issue.message;
      return renderCasePage(ctx, deps, staff, caseId, { decisionForm: { values, errors }, status: 422 });
    }
    try {
      await decideCase(deps.db, {
        caseId,
        decision: parsed.data.decision,
        reason: parsed.data.reason,
        isReasonShared: parsed.data.shareReason === "yes",
        decider: staff,
        audit: auditActorFor(ctx, staff),
        config: deps.config,
      });
    } catch (error) {
      // Four eyes (403) and a case that moved on or was decided by someone else (409): the page says why.
      if (error instanceof HttpError && (error.status === 403 || error.status === 409)) {
        return renderCasePage(ctx, deps, staff, caseId, { error: error.message, status: error.status });
      }
      throw error;
    }
    ctx.status = 303;
    ctx.redirect(urls.staffCaseWithNotice(caseId, NOTICE_FOR[parsed.data.decision]));
  });

  return router;
}
