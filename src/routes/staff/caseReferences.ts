// Staff asking a referee themselves, from the case page. Mounted under /staff.
//   POST /cases/:id/references   send a referee a single-use link to vouch for the person: by email,
//                                or by the bot's direct message to a Matrix ID when the bot is configured
// The same checks as the applicant's own requests (commands/references/requestReference.ts), except
// REFEREES_MAX, which limits what the applicant names; a refusal is said in the panel, a form's
// mistakes beside its fields, and a case that moved on at the top of the page. Counted per staff member.
import Router from "@koa/router";
import type { AppDependencies } from "../../appDependencies.js";
import { auditActorFor } from "../../audit.js";
import { requestReference } from "../../commands/references/requestReference.js";
import { referenceRequestForm } from "../../domain/referenceFields.js";
import { rateLimited } from "../../errors.js";
import { catalogTranslator } from "../../i18n/translator.js";
import { signedInStaff } from "../../middleware/requireStaff.js";
import { canViewCases } from "../../policies/cases.js";
import { authorize } from "../../policies/staff.js";
import { refusalMessageId } from "../../presenters/references.js";
import { createReferenceLimits } from "../../security/referenceLimits.js";
import { urls } from "../../urls.js";
import { orShowRefusal } from "../toolkit/conflicts.js";
import { readForm } from "../toolkit/forms.js";
import { uuidParam } from "../toolkit/params.js";
import { renderCasePage } from "./casePageView.js";

const FORM_FIELDS = ["refereeEmail", "refereeMatrixId", "relationship"] as const;

export function caseReferenceRoutes(deps: AppDependencies): Router {
  const router = new Router();
  const limits = createReferenceLimits(deps.rateLimitPool);
  // Staff pages are English for now, through the catalogs.
  const { t } = catalogTranslator("en");

  router.post("/cases/:id/references", async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canViewCases(staff));
    const caseId = uuidParam(ctx);
    const form = readForm(ctx, referenceRequestForm(deps.config.matrixBot !== null), FORM_FIELDS);
    if (!form.isValid) {
      return renderCasePage(ctx, deps, staff, caseId, {
        referenceForm: { values: form.values, errors: form.errors },
        status: 422,
      });
    }
    const waitSeconds = await limits.requestByStaff(staff.id);
    if (waitSeconds !== null) {
      throw rateLimited(
        waitSeconds,
        t("references.refused.rateLimited", { minutes: Math.ceil(waitSeconds / 60) }),
      );
    }
    // A case that moved on (409) or a conflict of interest (403) is said at the top of the page.
    const outcome = await orShowRefusal(
      () =>
        requestReference(deps.db, {
          caseId,
          referee: form.data,
          staff,
          config: deps.config,
          audit: auditActorFor(ctx, staff),
        }),
      (message, status) => renderCasePage(ctx, deps, staff, caseId, { error: message, status }),
      [403, 409],
    );
    if (!outcome.isDone) return;
    if (outcome.result.status === "refused") {
      // Said beside the address, the form kept as typed.
      return renderCasePage(ctx, deps, staff, caseId, {
        referenceForm: {
          values: form.values,
          errors: {
            [form.data.refereeMatrixId === null ? "refereeEmail" : "refereeMatrixId"]: t(
              refusalMessageId(
                "references.staff.refused",
                outcome.result.reason,
                form.data.refereeMatrixId !== null,
              ),
            ),
          },
        },
        status: 409,
      });
    }
    ctx.status = 303;
    ctx.redirect(
      urls.staffCaseWithNotice(
        caseId,
        form.data.refereeMatrixId === null ? "reference_requested" : "reference_requested_matrix",
      ),
    );
  });

  return router;
}
