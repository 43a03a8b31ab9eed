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
import { requireRecentSecondFactor } from "../../middleware/requireRecentSecondFactor.js";
import { signedInStaff } from "../../middleware/requireStaff.js";
import { canDecideCases } from "../../policies/cases.js";
import { authorize } from "../../policies/staff.js";
import type { CaseNotice } from "../../presenters/notices/cases.js";
import { readForm } from "../toolkit/forms.js";
import { uuidParam } from "../toolkit/params.js";
import { actOnCase, renderCasePage } from "./casePageView.js";

export const REASON_MAX_LENGTH = 4000;

// Direction overrides can make a reason read differently in the applicant's mail client than it did here.
const DIRECTION_OVERRIDES = /[\u202A-\u202E\u2066-\u2069]/u;

export const ZCaseDecisionForm = z
  .object({
    decision: z.enum(["approve", "reject", "request_more_information"], {
      error: "staff.cases.decision.error.decision",
    }),
    reason: z
      .string()
      .trim()
      .max(REASON_MAX_LENGTH, `staff.cases.form.max${REASON_MAX_LENGTH}`)
      .refine((reason) => !DIRECTION_OVERRIDES.test(reason), "staff.cases.decision.error.direction")
      .optional()
      .transform((reason) => (reason ? reason : null)),
    // A ticked box sends "yes"; anything else is an unticked one.
    shareReason: z
      .string()
      .optional()
      .transform((value) => value === "yes"),
  })
  .superRefine((form, context) => {
    if (form.reason) return;
    if (form.decision === "reject") {
      context.addIssue({
        code: "custom",
        path: ["reason"],
        message: "staff.cases.decision.error.rejectReason",
      });
    } else if (form.decision === "request_more_information") {
      context.addIssue({
        code: "custom",
        path: ["reason"],
        message: "staff.cases.decision.error.requestReason",
      });
    }
  });
export type TCaseDecisionForm = z.output<typeof ZCaseDecisionForm>;

/** The case page's notice (presenters/notices/cases.ts) after each decision. */
const NOTICE_FOR = {
  approve: "approved",
  reject: "rejected",
  request_more_information: "more_information_requested",
} as const satisfies Record<TCaseDecisionForm["decision"], CaseNotice>;

export function caseDecisionRoutes(deps: AppDependencies): Router {
  const router = new Router();
  const stepUp = requireRecentSecondFactor(deps);

  router.post("/cases/:id/decision", stepUp("decide this case"), async (ctx) => {
    const staff = signedInStaff(ctx);
    const caseId = uuidParam(ctx);
    authorize(canDecideCases(staff), "Only admins decide cases.");
    const form = readForm(ctx, ZCaseDecisionForm, ["decision", "reason", "shareReason"]);
    if (!form.isValid) {
      return renderCasePage(ctx, deps, staff, caseId, { decisionForm: form, status: 422 });
    }
    // Four eyes (403) and a case that moved on or was decided by someone else (409): the page says why.
    await actOnCase(
      ctx,
      deps,
      staff,
      caseId,
      async () => {
        await decideCase(deps.db, {
          caseId,
          decision: form.data.decision,
          reason: form.data.reason,
          isReasonShared: form.data.shareReason,
          decider: staff,
          audit: auditActorFor(ctx, staff),
          config: deps.config,
        });
        return NOTICE_FOR[form.data.decision];
      },
      [403, 409],
    );
  });

  return router;
}
