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
import {
  ALREADY_ERASED_MESSAGE,
  eraseCase,
  removeErasedEvidenceFiles,
} from "../../commands/cases/eraseCase.js";
import { exportCase } from "../../commands/cases/exportCase.js";
import { formatCaseNumber, parseCaseNumber } from "../../domain/caseNumber.js";
import { CASE_STATE_LABELS, type CaseState } from "../../domain/caseStates.js";
import { HttpError, notFound } from "../../errors.js";
import { requireRecentSecondFactor } from "../../middleware/requireRecentSecondFactor.js";
import { signedInStaff } from "../../middleware/requireStaff.js";
import { canEraseCase, canEraseCases, canExportCase } from "../../policies/cases.js";
import { authorize } from "../../policies/staff.js";
import { formatDateTime } from "../../presenters/staff.js";
import { findCaseForCommand } from "../../queries/cases.js";
import type { SignedInStaff } from "../../sessions.js";
import { evidenceStore } from "../../storage/evidenceStore.js";
import { urls } from "../../urls.js";

const ZCaseId = z.uuid();

export const ZEraseConfirmation = z.object({
  caseNumber: z.string().trim().max(50, "Type only the case number.").default(""),
});

/** The case page's notice after an erasure (?done=erased). */
export const ERASED_NOTICE = "erased";

interface EraseView {
  values?: { caseNumber?: string };
  error?: string | null;
  conflict?: string | null;
  status?: number;
}

export function casePrivacyRoutes(deps: AppDependencies): Router {
  const router = new Router();
  const stepUp = requireRecentSecondFactor(deps);

  router.post("/cases/:id/export", stepUp("export this case"), async (ctx) => {
    const staff = signedInStaff(ctx);
    const caseId = caseIdFrom(ctx);
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
    const vettingCase = await loadErasable(deps, staff, caseIdFrom(ctx));
    await renderConfirmation(ctx, vettingCase, {});
  });

  router.post("/cases/:id/erase", stepUp("erase this case"), async (ctx) => {
    const staff = signedInStaff(ctx);
    const vettingCase = await loadErasable(deps, staff, caseIdFrom(ctx));
    if (vettingCase.erasedAt) {
      return renderConfirmation(ctx, vettingCase, { conflict: ALREADY_ERASED_MESSAGE, status: 409 });
    }
    const parsed = ZEraseConfirmation.safeParse(ctx.request.body ?? {});
    const typed = parsed.success ? parsed.data.caseNumber : "";
    const number = formatCaseNumber(vettingCase.number);
    let error: string | null = null;
    if (!parsed.success) error = parsed.error.issues[0]?.message ?? "Type the case number.";
    else if (typed === "") error = `Type the case number, ${number}, to confirm the erasure.`;
    else if (parseCaseNumber(typed) !== vettingCase.number)
      error = `That is not this case’s number. Type ${number} to confirm the erasure.`;
    if (error) {
      return renderConfirmation(ctx, vettingCase, { values: { caseNumber: typed }, error, status: 422 });
    }
    try {
      const { evidenceStorageKeys } = await deps.db.$transaction((tx) =>
        eraseCase(tx, {
          caseId: vettingCase.id,
          audit: auditActorFor(ctx, staff),
          reason: "applicant_request",
        }),
      );
      await removeErasedEvidenceFiles(
        evidenceStore(deps.config.uploadsDir),
        evidenceStorageKeys,
        deps.logger,
      );
    } catch (caught) {
      if (caught instanceof HttpError && caught.status === 409) {
        return renderConfirmation(ctx, vettingCase, { conflict: caught.message, status: 409 });
      }
      throw caught;
    }
    ctx.status = 303;
    ctx.redirect(urls.staffCaseWithNotice(vettingCase.id, ERASED_NOTICE));
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

function caseIdFrom(ctx: Context): string {
  const caseId = ctx.params.id ?? "";
  if (!ZCaseId.safeParse(caseId).success) throw notFound();
  return caseId;
}

async function renderConfirmation(
  ctx: Context,
  vettingCase: { id: string; number: number; state: CaseState; fullName: string; erasedAt: Date | null },
  view: EraseView,
): Promise<void> {
  const isErased = Boolean(vettingCase.erasedAt);
  const status = view.status ?? 200;
  ctx.status = status;
  await ctx.render("staff/cases/erase-confirm.njk", {
    caseView: {
      id: vettingCase.id,
      number: formatCaseNumber(vettingCase.number),
      stateLabel: CASE_STATE_LABELS[vettingCase.state],
      fullName: isErased ? null : vettingCase.fullName,
      isErased,
      erasedAt: formatDateTime(vettingCase.erasedAt, ""),
    },
    values: view.values ?? {},
    errors: view.error ? { caseNumber: view.error } : {},
    conflict: view.conflict ?? (isErased ? ALREADY_ERASED_MESSAGE : null),
    links: {
      case: urls.staffCase(vettingCase.id),
      erase: urls.staffCaseAction(vettingCase.id, "erase"),
    },
  });
  ctx.status = status;
}
