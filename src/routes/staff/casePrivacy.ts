// A case's personal data on the person's request: export it, erase it (inviting admins and up).
// Mounted under /staff.
//   POST /cases/:id/export   the case as a JSON download. A POST, because the export is audited: nothing
//                            changes on a GET, and a link cannot make someone export a case.
// Both POSTs are sensitive: a step-up first when the last second factor is older than STEP_UP_MINUTES.
//   GET  /cases/:id/erase    the confirmation page: what is erased, what is kept; the person types the
//                            case number to confirm
//   POST /cases/:id/erase    erase (wrong or missing number: the page again, 422), then the case page
import Router from "@koa/router";
import type { Context } from "koa";
import { z } from "zod";
import type { AppDependencies } from "../../appDependencies.js";
import { auditActorFor } from "../../audit.js";
import { eraseCase, removeErasedEvidenceFiles } from "../../commands/cases/eraseCase.js";
import { exportCase } from "../../commands/cases/exportCase.js";
import { formatCaseNumber, parseCaseNumber } from "../../domain/caseNumber.js";
import { notFound } from "../../errors.js";
import { requireRecentSecondFactor } from "../../middleware/requireRecentSecondFactor.js";
import { signedInStaff } from "../../middleware/requireStaff.js";
import { canEraseCase, canEraseCases, canExportCase } from "../../policies/cases.js";
import { authorize } from "../../policies/staff.js";
import { type CaseErasureView, caseErasurePageModel } from "../../presenters/caseErasurePage.js";
import type { CaseNotice } from "../../presenters/notices/cases.js";
import { findCaseForCommand } from "../../queries/cases.js";
import type { SignedInStaff } from "../../sessions.js";
import { evidenceStore } from "../../storage/evidenceStore.js";
import { urls } from "../../urls.js";
import { orShowRefusal } from "../toolkit/conflicts.js";
import { readForm } from "../toolkit/forms.js";
import { uuidParam } from "../toolkit/params.js";

export const ZEraseConfirmation = z.object({
  caseNumber: z.string().trim().max(50, "staff.cases.erase.error.tooLong").default(""),
});

export function casePrivacyRoutes(deps: AppDependencies): Router {
  const router = new Router();
  const stepUp = requireRecentSecondFactor(deps);

  router.post("/cases/:id/export", stepUp("export this case"), async (ctx) => {
    const staff = signedInStaff(ctx);
    const caseId = uuidParam(ctx);
    const row = await findCaseForCommand(deps.db, caseId);
    if (!row) throw notFound();
    authorize(
      canExportCase(staff, row.facts),
      "Only admins without a conflict of interest on the case export it.",
    );
    const exported = await exportCase(deps.db, {
      caseId,
      exportedBy: { id: staff.id, name: staff.name },
      audit: auditActorFor(ctx, staff),
    });
    if (!exported) throw notFound();
    ctx.set("Content-Disposition", `attachment; filename="case-${exported.number}.json"`);
    ctx.set("Cache-Control", "no-store");
    ctx.body = `${JSON.stringify(exported.document, null, 2)}\n`;
    ctx.type = "application/json; charset=utf-8";
  });

  router.get("/cases/:id/erase", async (ctx) => {
    const staff = signedInStaff(ctx);
    const vettingCase = await loadErasable(deps, staff, uuidParam(ctx));
    await renderConfirmation(ctx, vettingCase, {});
  });

  router.post("/cases/:id/erase", stepUp("erase this case"), async (ctx) => {
    const staff = signedInStaff(ctx);
    const vettingCase = await loadErasable(deps, staff, uuidParam(ctx));
    if (vettingCase.erasedAt) {
      return renderConfirmation(ctx, vettingCase, {
        conflict: "staff.cases.erase.alreadyErased",
        status: 409,
      });
    }
    const form = readForm(ctx, ZEraseConfirmation, ["caseNumber"]);
    const typed = form.isValid ? form.data.caseNumber : "";
    const number = formatCaseNumber(vettingCase.number);
    const { translator } = ctx.state;
    let error: string | null = null;
    if (!form.isValid) error = form.errors.caseNumber ?? translator.t("staff.cases.erase.error.missing");
    else if (typed === "") error = translator.t("staff.cases.erase.error.empty", { number });
    else if (parseCaseNumber(typed) !== vettingCase.number)
      error = translator.t("staff.cases.erase.error.wrong", { number });
    if (error) {
      return renderConfirmation(ctx, vettingCase, { values: { caseNumber: typed }, error, status: 422 });
    }
    const outcome = await orShowRefusal(
      async () => {
        const { evidenceStorageKeys } = await deps.db.$transaction((tx) =>
          eraseCase(tx, {
            caseId: vettingCase.id,
            audit: auditActorFor(ctx, staff),
            reason: "applicant_request",
          }),
        );
        await removeErasedEvidenceFiles(
          evidenceStore(deps.config.uploadsDir, deps.config.evidence.encryption),
          evidenceStorageKeys,
          deps.logger,
        );
      },
      (conflict, status) => renderConfirmation(ctx, vettingCase, { conflict, status }),
    );
    if (!outcome.isDone) return;
    ctx.status = 303;
    ctx.redirect(urls.staffCaseWithNotice(vettingCase.id, "erased" satisfies CaseNotice));
  });

  return router;
}

/** The case, when this person may erase it (or could have, for a case already erased). */
async function loadErasable(deps: AppDependencies, staff: SignedInStaff, caseId: string) {
  const row = await findCaseForCommand(deps.db, caseId);
  // 403 before 404: someone who may not erase learns nothing about which cases exist.
  authorize(canEraseCases(staff), "Only admins erase personal data.");
  if (!row) throw notFound();
  // An erased case is answered with its message by the caller; otherwise the case's own policy.
  if (!row.erasedAt) authorize(canEraseCase(staff, row.facts), "You may not erase this case.");
  return row;
}

async function renderConfirmation(
  ctx: Context,
  vettingCase: Parameters<typeof caseErasurePageModel>[0],
  view: CaseErasureView,
): Promise<void> {
  const status = view.status ?? 200;
  ctx.status = status;
  await ctx.render(
    "staff/cases/erase-confirm.njk",
    caseErasurePageModel(vettingCase, view, ctx.state.translator),
  );
  ctx.status = status;
}
