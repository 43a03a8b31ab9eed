// Staff acting for the person, and closing a case without a decision. Mounted under /staff.
//   POST /cases/:id/submit-on-behalf   an agent submits the draft for the person, recording how they
//                                        consented to the privacy notice (a choice and a note)
//   POST /cases/:id/close              an admin closes an open case: spam, duplicate of a named case,
//                                        abandoned, or at the person's request, with a reason (step-up)
//   POST /cases/:id/reopen             an admin reopens a closed case (step-up)
//   POST /cases/:id/details            correct the name, email, Matrix ID or phone, with a reason (a new
//                                        email is used once the person confirms it by the emailed link)
// Form mistakes re-render the case page with the panel's messages (422); refusals (a conflict of
// interest, a role, the state machine) show the case page with their message (403, 409).
import Router from "@koa/router";
import { z } from "zod";
import type { AppDependencies } from "../../appDependencies.js";
import { auditActorFor } from "../../audit.js";
import { closeCase, reopenCase } from "../../commands/cases/closeCase.js";
import { correctCaseDetails } from "../../commands/cases/correctCaseDetails.js";
import { submitOnBehalf } from "../../commands/cases/submitOnBehalf.js";
import {
  isOneLineText,
  isPlainText,
  ZApplicationDetails,
  ZStatement,
} from "../../domain/applicationFields.js";
import { parseCaseNumber } from "../../domain/caseNumber.js";
import { requireRecentSecondFactor } from "../../middleware/requireRecentSecondFactor.js";
import { signedInStaff } from "../../middleware/requireStaff.js";
import { canViewCases } from "../../policies/cases.js";
import { authorize } from "../../policies/staff.js";
import { readForm } from "../toolkit/forms.js";
import { uuidParam } from "../toolkit/params.js";
import { actOnCase, renderCasePage } from "./casePageView.js";

const staffText = (missing: string, max: number) =>
  z
    .string({ error: missing })
    .trim()
    .min(1, missing)
    .max(max, `staff.cases.form.max${max}`)
    .refine(isPlainText, "staff.cases.form.plainText");

// The case page holds several forms: these fields carry their own names (and so their own ids).
export const ZSubmitOnBehalfForm = z.object({
  consentKind: z.enum(["SIGNED_PAPER_FORM", "VIDEO_CALL", "EMAIL"], {
    error: "staff.cases.forPerson.error.consentKind",
  }),
  consentNote: staffText("staff.cases.forPerson.error.consentNote", 1000).refine(
    isOneLineText,
    "staff.cases.forPerson.error.noteOneLine",
  ),
  // Only when the case has no statement yet: the person's words as the agent took them down.
  onBehalfStatement: z
    .string()
    .optional()
    .transform((value) => value?.trim() ?? "")
    .pipe(z.union([z.literal(""), ZStatement])),
  // The box the agent ticks to say the person saw the notice in its current version.
  consentConfirmed: z.literal("yes", {
    error: "staff.cases.forPerson.error.consentConfirmed",
  }),
});

export const ZCloseCaseForm = z
  .object({
    closureKind: z.enum(["SPAM", "DUPLICATE", "ABANDONED", "PERSON_REQUEST"], {
      error: "staff.cases.closing.error.kind",
    }),
    duplicateOf: z
      .string()
      .optional()
      .transform((value) => value?.trim() ?? ""),
    closureReason: staffText("staff.cases.closing.error.reason", 2000),
  })
  .superRefine((form, context) => {
    if (form.closureKind !== "DUPLICATE") return;
    if (!form.duplicateOf || parseCaseNumber(form.duplicateOf) === null) {
      context.addIssue({
        code: "custom",
        path: ["duplicateOf"],
        message: "staff.cases.closing.error.duplicateOf",
      });
    }
  });

// The correction form's fields carry their own names: the case page holds other forms.
export const ZCorrectDetailsForm = z
  .object({
    correctFullName: ZApplicationDetails.shape.fullName,
    correctEmail: ZApplicationDetails.shape.email,
    correctMatrixId: ZApplicationDetails.shape.matrixId,
    correctPhone: ZApplicationDetails.shape.phone,
    correctionReason: staffText("staff.cases.correct.error.reason", 1000).refine(
      isOneLineText,
      "staff.cases.correct.error.oneLine",
    ),
  })
  .transform((form) => ({
    details: {
      fullName: form.correctFullName,
      email: form.correctEmail,
      matrixId: form.correctMatrixId,
      phone: form.correctPhone,
    },
    reason: form.correctionReason,
  }));

export function caseForPersonRoutes(deps: AppDependencies): Router {
  const router = new Router();
  const stepUp = requireRecentSecondFactor(deps);

  router.post("/cases/:id/submit-on-behalf", async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canViewCases(staff));
    const caseId = uuidParam(ctx);
    const form = readForm(ctx, ZSubmitOnBehalfForm, [
      "consentKind",
      "consentNote",
      "onBehalfStatement",
      "consentConfirmed",
    ]);
    if (!form.isValid) {
      return renderCasePage(ctx, deps, staff, caseId, { onBehalfForm: form, status: 422 });
    }
    await actOnCase(
      ctx,
      deps,
      staff,
      caseId,
      async () => {
        await submitOnBehalf(deps.db, {
          config: deps.config,
          caseId,
          agent: staff,
          consentKind: form.data.consentKind,
          consentNote: form.data.consentNote,
          statement: form.data.onBehalfStatement || null,
          audit: auditActorFor(ctx, staff),
        });
        return "submitted_on_behalf";
      },
      [403, 409],
    );
  });

  router.post("/cases/:id/close", stepUp("close this case"), async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canViewCases(staff));
    const caseId = uuidParam(ctx);
    const form = readForm(ctx, ZCloseCaseForm, ["closureKind", "duplicateOf", "closureReason"]);
    if (!form.isValid) {
      return renderCasePage(ctx, deps, staff, caseId, { closeForm: form, status: 422 });
    }
    await actOnCase(
      ctx,
      deps,
      staff,
      caseId,
      async () => {
        await closeCase(deps.db, {
          caseId,
          actor: staff,
          kind: form.data.closureKind,
          duplicateOfNumber:
            form.data.closureKind === "DUPLICATE" ? parseCaseNumber(form.data.duplicateOf) : null,
          reason: form.data.closureReason,
          audit: auditActorFor(ctx, staff),
        });
        return "closed";
      },
      [403, 409],
    );
  });

  router.post("/cases/:id/reopen", stepUp("reopen this case"), async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canViewCases(staff));
    const caseId = uuidParam(ctx);
    await actOnCase(
      ctx,
      deps,
      staff,
      caseId,
      async () => {
        const { state } = await reopenCase(deps.db, {
          caseId,
          actor: staff,
          audit: auditActorFor(ctx, staff),
        });
        return state === "DRAFT" ? "reopened_as_draft" : "reopened";
      },
      [403, 409],
    );
  });

  router.post("/cases/:id/details", async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canViewCases(staff));
    const caseId = uuidParam(ctx);
    const form = readForm(ctx, ZCorrectDetailsForm, [
      "correctFullName",
      "correctEmail",
      "correctMatrixId",
      "correctPhone",
      "correctionReason",
    ]);
    if (!form.isValid) {
      return renderCasePage(ctx, deps, staff, caseId, { correctionForm: form, status: 422 });
    }
    await actOnCase(
      ctx,
      deps,
      staff,
      caseId,
      async () => {
        const { isEmailPending } = await correctCaseDetails(deps.db, {
          caseId,
          actor: staff,
          details: form.data.details,
          reason: form.data.reason,
          audit: auditActorFor(ctx, staff),
        });
        return isEmailPending ? "details_corrected_email_pending" : "details_corrected";
      },
      [403, 409],
    );
  });

  return router;
}
