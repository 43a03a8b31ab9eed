// The audit log page and its CSV export (server admins and up). Mounted under /staff.
//   GET  /audit       the filter (query string) and 50 rows at a time, by keyset
//   POST /audit.csv   the same filter (form fields) → every matching row as a CSV download
// The export is a POST because it writes: its own audit row, before any row leaves. As a GET, a link on
// any other site could make an admin's browser write audit rows; a form POST passes the CSRF check.
// Exporting is sensitive: a step-up first when the last second factor is older than STEP_UP_MINUTES.
import { Readable } from "node:stream";
import Router from "@koa/router";
import type { Context } from "koa";
import { z } from "zod";
import type { AppDependencies } from "../../appDependencies.js";
import { auditActorFor } from "../../audit.js";
import { recordAuditLogExport } from "../../commands/operations/exportAuditLog.js";
import { badRequest } from "../../errors.js";
import { requireRecentSecondFactor } from "../../middleware/requireRecentSecondFactor.js";
import { signedInStaff } from "../../middleware/requireStaff.js";
import { authorize, canViewAuditLog } from "../../policies/staff.js";
import {
  AUDIT_ACTIONS,
  AUDIT_CSV_HEADER,
  auditEventCsvCells,
  csvLine,
  presentAuditEvent,
} from "../../presenters/auditEvents.js";
import {
  eachAuditEvent,
  findAuditEventPage,
  findStaffForActorFilter,
  type TAuditEventFilter,
} from "../../queries/auditEvents.js";
import { encodeKeysetCursor, parseKeysetCursor, type TKeysetCursor } from "../../queries/keyset.js";
import { urls } from "../../urls.js";
import { fieldErrors, queryFields, typedFields } from "../toolkit/forms.js";
import { isUuid } from "../toolkit/params.js";
import { checkDateRange, dateRangeBounds, ZOptionalIsoDate } from "./dateRangeFilter.js";

export const AUDIT_PAGE_SIZE = 50;
const knownActions: readonly string[] = AUDIT_ACTIONS;

export const ZAuditLogFilter = z
  .object({
    actor: z
      .string()
      .trim()
      .refine((value) => value === "" || isUuid(value), "staff.validation.chooseStaffMember"),
    action: z
      .string()
      .trim()
      .refine((value) => value === "" || knownActions.includes(value), "staff.validation.chooseAction"),
    targetType: z.string().trim().max(100, "staff.validation.max100"),
    targetId: z.string().trim().max(200, "staff.validation.max200"),
    from: ZOptionalIsoDate,
    to: ZOptionalIsoDate,
  })
  .superRefine(checkDateRange);
export type TAuditLogFilter = z.infer<typeof ZAuditLogFilter>;

const FILTER_FIELDS = ["actor", "action", "targetType", "targetId", "from", "to"] as const;

/** What was typed: from the query string for the page, from the form's fields for the export. */
function typedFilter(ctx: Context): Record<(typeof FILTER_FIELDS)[number], string> {
  return ctx.method === "POST" ? typedFields(ctx, FILTER_FIELDS) : queryFields(ctx, FILTER_FIELDS);
}

function toQueryFilter(filter: TAuditLogFilter): TAuditEventFilter {
  return {
    actorId: filter.actor || undefined,
    action: filter.action || undefined,
    subjectType: filter.targetType || undefined,
    subjectId: filter.targetId || undefined,
    ...dateRangeBounds(filter),
  };
}

function filterQuery(filter: TAuditLogFilter, before?: string): string {
  const query = new URLSearchParams();
  for (const field of FILTER_FIELDS) if (filter[field]) query.set(field, filter[field]);
  if (before) query.set("before", before);
  return query.toString();
}

/** The filter's fields that are set, e.g. { from: "2026-04-01" }. */
function setFilterFields(filter: TAuditLogFilter): Record<string, string> {
  return Object.fromEntries(
    FILTER_FIELDS.filter((field) => filter[field]).map((field) => [field, filter[field]]),
  );
}

function readCursor(ctx: Context): TKeysetCursor<bigint> | null {
  const before = typeof ctx.query.before === "string" ? ctx.query.before : "";
  if (!before) return null;
  const cursor = parseKeysetCursor(before);
  if (!cursor || !/^\d{1,19}$/.test(cursor.id)) throw badRequest("staff.audit.damagedLink");
  return { occurredAt: cursor.occurredAt, id: BigInt(cursor.id) };
}

export function auditLogRoutes(deps: AppDependencies): Router {
  const router = new Router();
  const stepUp = requireRecentSecondFactor(deps);

  async function renderPage(
    ctx: Context,
    page: {
      values: Record<string, string>;
      errors: Record<string, string>;
      events?: ReturnType<typeof presentAuditEvent>[];
      links?: { older: string | null; newest: string | null };
      /** The filter the export form sends again (the fields that are set). */
      csvFilter?: Record<string, string>;
    },
  ): Promise<void> {
    await ctx.render("staff/audit/index.njk", {
      values: page.values,
      errors: page.errors,
      actors: await findStaffForActorFilter(deps.db),
      actions: AUDIT_ACTIONS,
      events: page.events ?? [],
      csvFilter: page.csvFilter ?? {},
      links: {
        page: urls.staffAuditLog(),
        staffHome: urls.staffHome(),
        csv: urls.staffAuditLogCsv(),
        ...page.links,
      },
    });
  }

  async function parseOrRenderErrors(ctx: Context): Promise<TAuditLogFilter | null> {
    const typed = typedFilter(ctx);
    const parsed = ZAuditLogFilter.safeParse(typed);
    if (parsed.success) return parsed.data;
    ctx.status = 400;
    await renderPage(ctx, { values: typed, errors: fieldErrors(parsed.error) });
    ctx.status = 400;
    return null;
  }

  // Mounted under /staff.
  router.get("/audit", async (ctx) => {
    authorize(canViewAuditLog(signedInStaff(ctx)));
    const filter = await parseOrRenderErrors(ctx);
    if (!filter) return;
    const after = readCursor(ctx);
    const page = await findAuditEventPage(deps.db, toQueryFilter(filter), after, AUDIT_PAGE_SIZE);
    await renderPage(ctx, {
      values: filter,
      errors: {},
      events: page.rows.map(presentAuditEvent),
      links: {
        older: page.next ? urls.staffAuditLog(filterQuery(filter, encodeKeysetCursor(page.next))) : null,
        newest: after ? urls.staffAuditLog(filterQuery(filter)) : null,
      },
      csvFilter: setFilterFields(filter),
    });
  });

  router.post("/audit.csv", stepUp("staff.stepUp.action.exportAuditLog"), async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canViewAuditLog(staff));
    const filter = await parseOrRenderErrors(ctx);
    if (!filter) return;
    await recordAuditLogExport(deps.db, {
      actor: auditActorFor(ctx, staff),
      filter: setFilterFields(filter),
    });

    const exportedAt = new Date().toISOString().slice(0, 19).replaceAll(":", "");
    ctx.set("Content-Disposition", `attachment; filename="audit-log-${exportedAt}Z.csv"`);
    ctx.type = "text/csv; charset=utf-8";
    const queryFilter = toQueryFilter(filter);
    ctx.body = Readable.from(
      (async function* csvLines() {
        yield csvLine(AUDIT_CSV_HEADER);
        for await (const row of eachAuditEvent(deps.db, queryFilter)) yield csvLine(auditEventCsvCells(row));
      })(),
    );
  });

  return router;
}
