// Bulk work from the queue. Mounted under /staff, before cases.ts (whose /cases/:id would take "bulk").
//   GET  /cases/bulk              the confirmation page: the queue's action bar sends the action, the
//                                   ticked cases (`case`, repeated) or "every case of this view" (the
//                                   view's own query), and the assignee; each case is listed with its
//                                   state and assignee, and whether the action changes it or why not
//   POST /cases/bulk/assign       assign (or unassign) the listed cases: one transaction
//   POST /cases/bulk/close        close the listed cases as spam, with a reason (admins, step-up)
//   POST /cases/bulk/export.csv   the listed cases' queue rows as CSV, each export audited (step-up)
// A selection is at most BULK_CASE_LIMIT cases. The POSTs carry the case ids the page listed in one
// field, and re-check every case under lock: what changed since the page was shown is skipped, never
// half-done. Cases the viewer has a conflict of interest on are never assigned, closed or exported.
import Router from "@koa/router";
import type { Context } from "koa";
import { z } from "zod";
import type { AppDependencies } from "../../appDependencies.js";
import { auditActorFor } from "../../audit.js";
import { bulkAssignCases } from "../../commands/cases/bulkAssignCases.js";
import {
  BULK_CASE_LIMIT,
  BULK_LIMIT_MESSAGE,
  bulkSkipReason,
  type TBulkCaseAction,
} from "../../commands/cases/bulkCases.js";
import { bulkCloseCasesAsSpam } from "../../commands/cases/bulkCloseCases.js";
import { recordQueueExport } from "../../commands/cases/bulkExportCases.js";
import { isPlainText } from "../../domain/applicationFields.js";
import { badRequest } from "../../errors.js";
import { requireRecentSecondFactor } from "../../middleware/requireRecentSecondFactor.js";
import { signedInStaff } from "../../middleware/requireStaff.js";
import { canCloseCases, canViewCases } from "../../policies/cases.js";
import { authorize } from "../../policies/staff.js";
import { csvLine } from "../../presenters/auditEvents.js";
import {
  bulkConfirmationModel,
  bulkOutcomeModel,
  QUEUE_CSV_HEADER,
  queueCsvCells,
} from "../../presenters/bulkCasesPage.js";
import { CASE_QUEUE_PARAMS, caseQueueQuery } from "../../presenters/caseQueue.js";
import { caseFactsOf, caseFactsSelect } from "../../queries/cases.js";
import { type CaseQueueRow, findCaseQueuePage } from "../../queries/sql/caseQueue.js";
import type { SignedInStaff } from "../../sessions.js";
import { fieldErrors, queryFields, typedFields } from "../toolkit/forms.js";
import { isUuid } from "../toolkit/params.js";
import { parseCaseQueueView, type TCaseQueueView } from "./cases.js";

const ZBulkRequest = z.object({
  action: z.enum(["assign", "close", "export"], { error: "Choose what to do with the selected cases." }),
  scope: z.enum(["selected", "view"], { error: "Choose the selected cases or every case of this view." }),
  /** A staff member's id, "nobody" to unassign, or "" (not chosen yet). */
  assigneeId: z
    .string()
    .trim()
    .refine(
      (value) => value === "" || value === "nobody" || isUuid(value),
      "Choose a staff member from the list.",
    ),
});

const ZSpamReason = z.object({
  closureReason: z
    .string({ error: "staff.cases.bulk.error.reason" })
    .trim()
    .min(1, "staff.cases.bulk.error.reason")
    .max(2000, "staff.cases.form.max2000")
    .refine(isPlainText, "staff.cases.form.plainText"),
});

const DAMAGED_VIEW_MESSAGE =
  "The queue view in this address is damaged. Go back to the queue and choose the cases again.";
const DAMAGED_SELECTION_MESSAGE =
  "The selection in this address is damaged. Go back to the queue and choose the cases again.";
const NOTHING_SELECTED_MESSAGE =
  "No case was selected. Tick the cases in the queue, or choose every case of the view.";
const CHOOSE_ASSIGNEE_MESSAGE = "Choose who the cases are assigned to (or “Nobody” to unassign them).";

/** The queue view a form or address carries as a query string: checked by the queue's own schema. */
function viewFrom(query: string): TCaseQueueView {
  const params = new URLSearchParams(query);
  const view = parseCaseQueueView(
    Object.fromEntries(CASE_QUEUE_PARAMS.map((param) => [param, params.get(param) ?? ""])),
  );
  if (!view) throw badRequest(DAMAGED_VIEW_MESSAGE);
  return view;
}

/** The case ids a confirmation page's form carries (one field, separated by spaces). */
function caseIdsFrom(text: string): string[] {
  const ids = [...new Set(text.split(/\s+/).filter((id) => id !== ""))];
  if (ids.some((id) => !isUuid(id))) throw badRequest(DAMAGED_SELECTION_MESSAGE);
  if (ids.length === 0) throw badRequest(NOTHING_SELECTED_MESSAGE);
  if (ids.length > BULK_CASE_LIMIT) throw badRequest(BULK_LIMIT_MESSAGE);
  return ids;
}

interface ConfirmationRequest {
  action: TBulkCaseAction;
  scope: "selected" | "view";
  view: TCaseQueueView;
  /** The ticked cases (scope "selected"). */
  caseIds: readonly string[];
  /** "" when none was chosen, "nobody" to unassign. */
  assigneeId: string;
  reasonForm?: { values: Record<string, string>; errors: Record<string, string> };
}

export function bulkCaseRoutes(deps: AppDependencies): Router {
  const router = new Router();
  const stepUp = requireRecentSecondFactor(deps);

  /** The cases the request names, in the view's order, at most BULK_CASE_LIMIT (null: more than that). */
  async function findRows(
    staff: SignedInStaff,
    request: ConfirmationRequest,
  ): Promise<CaseQueueRow[] | null> {
    const page = await findCaseQueuePage(deps.sqlPool, {
      ...(request.scope === "view"
        ? { tab: request.view.tab, filter: request.view.filter }
        : { tab: "all", filter: { caseIds: request.caseIds } }),
      sort: request.view.sort,
      viewerId: staff.id,
      after: null,
      pageSize: BULK_CASE_LIMIT,
    });
    return page.next ? null : page.rows;
  }

  async function renderConfirmation(
    ctx: Context,
    staff: SignedInStaff,
    request: ConfirmationRequest,
    status = 200,
  ): Promise<void> {
    const from = caseQueueQuery(request.view.query);
    let assignee: { id: string; name: string } | null = null;
    const show = async (
      page: { rows?: CaseQueueRow[]; skipReasons?: Map<string, string>; problem?: string },
      pageStatus: number,
    ) => {
      ctx.status = pageStatus;
      await ctx.render(
        "staff/cases/bulk-confirm.njk",
        bulkConfirmationModel({
          action: request.action,
          from,
          scope: request.scope,
          rows: page.rows ?? [],
          skipReasons: page.skipReasons ?? new Map(),
          assignee,
          problem: page.problem ?? null,
          ...(request.reasonForm ? { reasonForm: request.reasonForm } : {}),
          translator: ctx.state.translator,
        }),
      );
      ctx.status = pageStatus;
    };

    if (request.action === "assign") {
      if (request.assigneeId === "") return show({ problem: "staff.cases.bulk.problem.chooseAssignee" }, 422);
      if (request.assigneeId !== "nobody") {
        const person = await deps.db.staffUser.findUnique({
          where: { id: request.assigneeId },
          select: { id: true, name: true, status: true },
        });
        if (person?.status !== "ACTIVE")
          return show({ problem: "staff.cases.bulk.problem.assigneeNotActive" }, 422);
        assignee = { id: person.id, name: person.name };
      }
    }
    if (request.scope === "selected" && request.caseIds.length === 0)
      return show({ problem: "staff.cases.bulk.problem.nothingSelected" }, 422);
    if (request.caseIds.length > BULK_CASE_LIMIT)
      return show({ problem: "staff.cases.bulk.problem.limit" }, 400);
    const rows = await findRows(staff, request);
    if (!rows) return show({ problem: "staff.cases.bulk.problem.limit" }, 400);

    // What the rules need of each case. Closeness to the applicant (applicantMatches) decides only
    // deciding, which no bulk action does, so it is not read here; the commands read every fact again.
    const factRows = await deps.db.vettingCase.findMany({
      where: { id: { in: rows.map((row) => row.id) } },
      select: caseFactsSelect,
    });
    const skipReasons = new Map<string, string>();
    for (const row of factRows) {
      const reason = bulkSkipReason(
        request.action,
        staff,
        { facts: caseFactsOf(row, []), assignedToId: row.assignedToId },
        assignee?.id ?? null,
      );
      if (reason) skipReasons.set(row.id, reason);
    }
    await show({ rows, skipReasons }, status);
  }

  router.get("/cases/bulk", async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canViewCases(staff));
    const request = ZBulkRequest.safeParse(queryFields(ctx, ["action", "scope", "assigneeId"]));
    if (!request.success) throw badRequest(Object.values(fieldErrors(request.error)).join(" "));
    const { action, scope, assigneeId } = request.data;
    if (action === "close") authorize(canCloseCases(staff));
    const view = parseCaseQueueView(queryFields(ctx, CASE_QUEUE_PARAMS));
    if (!view) throw badRequest(DAMAGED_VIEW_MESSAGE);
    const ticked = ctx.query.case;
    const caseIds = scope === "selected" ? [...new Set(ticked === undefined ? [] : [ticked].flat())] : [];
    if (caseIds.some((id) => !isUuid(id))) throw badRequest(DAMAGED_SELECTION_MESSAGE);
    await renderConfirmation(ctx, staff, { action, scope, view, caseIds, assigneeId });
  });

  router.post("/cases/bulk/assign", async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canViewCases(staff));
    const fields = typedFields(ctx, ["caseIds", "assigneeId", "from"]);
    const view = viewFrom(fields.from);
    const caseIds = caseIdsFrom(fields.caseIds);
    if (fields.assigneeId !== "nobody" && !isUuid(fields.assigneeId))
      throw badRequest(CHOOSE_ASSIGNEE_MESSAGE);
    const assigneeId = fields.assigneeId === "nobody" ? null : fields.assigneeId;
    const outcome = await bulkAssignCases(deps.db, {
      caseIds,
      assigneeId,
      actor: staff,
      audit: auditActorFor(ctx, staff),
    });
    const assignee = assigneeId
      ? await deps.db.staffUser.findUnique({ where: { id: assigneeId }, select: { name: true } })
      : null;
    await ctx.render(
      "staff/cases/bulk-done.njk",
      bulkOutcomeModel({
        action: "assign",
        from: caseQueueQuery(view.query),
        outcome,
        assignee,
        translator: ctx.state.translator,
      }),
    );
  });

  router.post("/cases/bulk/close", stepUp("close these cases as spam"), async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canCloseCases(staff));
    const fields = typedFields(ctx, ["caseIds", "closureReason", "from"]);
    const view = viewFrom(fields.from);
    const caseIds = caseIdsFrom(fields.caseIds);
    const form = ZSpamReason.safeParse(fields);
    if (!form.success) {
      const reasonForm = { values: { closureReason: fields.closureReason }, errors: fieldErrors(form.error) };
      const request = {
        action: "close",
        scope: "selected",
        view,
        caseIds,
        assigneeId: "",
        reasonForm,
      } as const;
      return renderConfirmation(ctx, staff, request, 422);
    }
    const outcome = await bulkCloseCasesAsSpam(deps.db, {
      caseIds,
      reason: form.data.closureReason,
      actor: staff,
      audit: auditActorFor(ctx, staff),
    });
    await ctx.render(
      "staff/cases/bulk-done.njk",
      bulkOutcomeModel({
        action: "close",
        from: caseQueueQuery(view.query),
        outcome,
        translator: ctx.state.translator,
      }),
    );
  });

  router.post("/cases/bulk/export.csv", stepUp("export these cases"), async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canViewCases(staff));
    const fields = typedFields(ctx, ["caseIds", "from"]);
    const view = viewFrom(fields.from);
    const caseIds = caseIdsFrom(fields.caseIds);
    const request = { action: "export", scope: "selected", view, caseIds, assigneeId: "" } as const;
    // A case the viewer has a conflict of interest on shows them only its number, name and state: its
    // row is not theirs to take out of the portal.
    const rows = ((await findRows(staff, request)) ?? []).filter((row) => !row.isConflicted);
    await recordQueueExport(deps.db, {
      caseIds: rows.map((row) => row.id),
      actor: staff,
      audit: auditActorFor(ctx, staff),
    });
    const exportedAt = new Date().toISOString().slice(0, 19).replaceAll(":", "");
    ctx.set("Content-Disposition", `attachment; filename="cases-${exportedAt}Z.csv"`);
    ctx.set("Cache-Control", "no-store");
    ctx.type = "text/csv; charset=utf-8";
    ctx.body = [QUEUE_CSV_HEADER, ...rows.map(queueCsvCells)].map(csvLine).join("");
  });

  return router;
}
