// The staff case page as an answer, for every route that ends on it: GET /staff/cases/:id, and the POSTs
// of cases.ts, caseDecisions.ts and caseEvidence.ts that show a refusal or a form's mistakes there, or
// redirect to it with a notice. Not a route group (it registers no address): it loads the page's records
// (queries/casePage.ts), chooses the page the viewer may see (policies), and renders the presenter's
// model (presenters/casePage.ts).
import type { Context } from "koa";
import type { AppDependencies } from "../../appDependencies.js";
import { notFound } from "../../errors.js";
import { type LiveStatus, liveStatusOf } from "../../matrix/registrationTokenStatus.js";
import { canViewCaseDetails } from "../../policies/cases.js";
import { type CasePageView, casePageModel, conflictedCasePageModel } from "../../presenters/casePage.js";
import { staffIdsInTimeline } from "../../presenters/cases.js";
import { staffMatrixIdProofView } from "../../presenters/matrixIdProof.js";
import type { CaseNotice } from "../../presenters/notices/cases.js";
import { findCasePage } from "../../queries/casePage.js";
import type { CaseRegistrationTokenRow } from "../../queries/caseRegistrationTokens.js";
import { findStaffNames } from "../../queries/cases.js";
import type { SignedInStaff } from "../../sessions.js";
import { urls } from "../../urls.js";
import { orShowRefusal } from "../toolkit/conflicts.js";
import { isUuid } from "../toolkit/params.js";

/**
 * The case page with `view`'s notice, message or forms, at `view.status` (default 200); 404 when the id
 * is no case. Someone with a conflict of interest on the case gets the short page.
 */
export async function renderCasePage(
  ctx: Context,
  deps: AppDependencies,
  staff: SignedInStaff,
  caseId: string,
  view: CasePageView = {},
): Promise<void> {
  if (!isUuid(caseId)) throw notFound();
  const records = await findCasePage(deps.db, caseId);
  if (!records) throw notFound();
  const page = canViewCaseDetails(staff, records.facts)
    ? {
        template: "staff/cases/detail.njk",
        model: {
          ...casePageModel({
            staff,
            records,
            staffNames: await findStaffNames(deps.db, staffIdsInTimeline(records.timelineRows)),
            tokenLiveStatuses: await liveStatusesOf(deps, records.registrationTokenRows),
            config: deps.config,
            view,
            translator: ctx.state.translator,
          }),
          matrixIdProof: await staffMatrixIdProofView(deps.db, caseId),
        },
      }
    : {
        template: "staff/cases/conflicted.njk",
        model: conflictedCasePageModel(staff, records.row, view, ctx.state.translator),
      };
  const status = view.status ?? 200;
  ctx.status = status;
  await ctx.render(page.template, page.model);
  ctx.status = status;
}

/**
 * Runs one case command, then redirects to the case page with the notice it returns. A refusal with one
 * of `refusedWith` (by default a conflict, 409: the case moved on, someone else acted first) shows the
 * case page with the message instead: never a 500 for what the state machine refuses.
 */
export async function actOnCase(
  ctx: Context,
  deps: AppDependencies,
  staff: SignedInStaff,
  caseId: string,
  command: () => Promise<CaseNotice>,
  refusedWith: readonly number[] = [409],
): Promise<void> {
  const outcome = await orShowRefusal(
    command,
    (message, status) => renderCasePage(ctx, deps, staff, caseId, { error: message, status }),
    refusedWith,
  );
  if (!outcome.isDone) return;
  ctx.status = 303;
  ctx.redirect(urls.staffCaseWithNotice(caseId, outcome.result));
}

/**
 * Whether the homeserver says a created token was used: asked only when the case has one, through the
 * app's shared status cache (one list call per CACHE_TTL_MS for every page together).
 */
async function liveStatusesOf(
  deps: AppDependencies,
  rows: readonly CaseRegistrationTokenRow[],
): Promise<Map<string, LiveStatus>> {
  const { homeserver } = deps;
  if (!homeserver || !rows.some((row) => row.state === "CREATED")) return new Map();
  const snapshot = await homeserver.status.snapshot();
  return new Map(rows.map((row) => [row.id, liveStatusOf(row, snapshot)]));
}
