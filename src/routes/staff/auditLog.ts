// The audit log page and its CSV export (server admins and up). Both read the same filter from the
// query string; the page shows 50 rows at a time by keyset, the export streams every matching row.
import { Readable } from "node:stream";
import Router from "@koa/router";
import type { Context } from "koa";
import { z } from "zod";
import type { AppDependencies } from "../../app.js";
import { auditActorFor } from "../../audit.js";
import { recordAuditLogExport } from "../../commands/exportAuditLog.js";
import { badRequest } from "../../errors.js";
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
import { checkDateRange, dateRangeBounds, ZOptionalIsoDate } from "./dateRangeFilter.js";

export const AUDIT_PAGE_SIZE = 50;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const knownActions: readonly string[] = AUDIT_ACTIONS;

export const ZAuditLogFilter = z
  .object({
    actor: z
      .string()
      .trim()
      .refine((value) => value === "" || UUID.test(value), "Choose a staff member from the list."),
    action: z
      .string()
      .trim()
      .refine((value) => value === "" || knownActions.includes(value), "Choose an action from the list."),
    targetType: z.string().trim().max(100, "Use at most 100 characters."),
    targetId: z.string().trim().max(200, "Use at most 200 characters."),
    from: ZOptionalIsoDate,
    to: ZOptionalIsoDate,
  })
  .superRefine(checkDateRange);
export type TAuditLogFilter = z.infer<typeof ZAuditLogFilter>;

const FILTER_FIELDS = ["actor", "action", "targetType", "targetId", "from", "to"] as const;

type FieldErrors = Partial<Record<keyof TAuditLogFilter, string>>;

/** What was typed, one string per field (a repeated parameter counts as its first value). */
function typedFilter(ctx: Context): Record<(typeof FILTER_FIELDS)[number], string> {
  const typed = {} as Record<(typeof FILTER_FIELDS)[number], string>;
  for (const field of FILTER_FIELDS) {
    const value = ctx.query[field];
    typed[field] = (Array.isArray(value) ? value[0] : value) ?? "";
  }
  return typed;
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

function readCursor(ctx: Context): TKeysetCursor<bigint> | null {
  const before = typeof ctx.query.before === "string" ? ctx.query.before : "";
  if (!before) return null;
  const cursor = parseKeysetCursor(before);
  if (!cursor || !/^\d{1,19}$/.test(cursor.id))
    throw badRequest("This page link is damaged. Go back to the newest events and page from there.");
  return { occurredAt: cursor.occurredAt, id: BigInt(cursor.id) };
}

export function auditLogRoutes(deps: AppDependencies): Router {
  const router = new Router();

  async function renderPage(
    ctx: Context,
    page: {
      values: Record<string, string>;
      errors: FieldErrors;
      events?: ReturnType<typeof presentAuditEvent>[];
      links?: { older: string | null; newest: string | null; csv: string };
    },
  ): Promise<void> {
    await ctx.render("staff/audit/index.njk", {
      values: page.values,
      errors: page.errors,
      actors: await findStaffForActorFilter(deps.db),
      actions: AUDIT_ACTIONS,
      events: page.events ?? [],
      links: { page: urls.staffAuditLog(), staffHome: urls.staffHome(), ...page.links },
    });
  }

  async function parseOrRenderErrors(ctx: Context): Promise<TAuditLogFilter | null> {
    const typed = typedFilter(ctx);
    const parsed = ZAuditLogFilter.safeParse(typed);
    if (parsed.success) return parsed.data;
    const errors: FieldErrors = {};
    for (const issue of parsed.error.issues) {
      const field = issue.path[0] as keyof TAuditLogFilter;
      errors[field] ??= issue.message;
    }
    ctx.status = 400;
    await renderPage(ctx, { values: typed, errors });
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
        csv: urls.staffAuditLogCsv(filterQuery(filter)),
      },
    });
  });

  router.get("/audit.csv", async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canViewAuditLog(staff));
    const filter = await parseOrRenderErrors(ctx);
    if (!filter) return;
    const recordedFilter = Object.fromEntries(
      FILTER_FIELDS.filter((f) => filter[f]).map((f) => [f, filter[f]]),
    );
    await recordAuditLogExport(deps.db, { actor: auditActorFor(ctx, staff), filter: recordedFilter });

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
