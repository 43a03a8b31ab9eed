// Vetting cases for staff: the queue, the case page and the case work done from it. Mounted under /staff.
//   GET  /cases                          the queue: tabs with counts, search, filters, sort, keyset pages
//   GET  /cases/new                      open a case on someone's behalf (their details, an optional
//   POST /cases/new                        vetting record, the link to their workspace by email)
//   GET  /cases/:id                      the case page (casePageView.ts, shared with the decision and
//                                          evidence routes, which show their messages on it)
//   POST /cases/:id/assign               assign or reassign (any active staff member), or unassign
//   POST /cases/:id/start-review         take a submitted case into review
//   POST /cases/:id/vetting-records      add a vetting record (takes a submitted case into review)
//   POST /cases/:id/comments             comment; one the applicant will see needs a confirmation step
//   POST /cases/:id/invite               email the person a link to their application (again)
//   POST /cases/:id/conflicts            declare a conflict of interest (admins: or record one for someone)
//   POST /cases/:id/conflicts/:conflictId/withdraw   withdraw a standing conflict of interest
// The pages' models are built in presenters/ (caseQueue.ts, casePage.ts, newCasePage.ts); a refused
// command (409) shows the case page with its message (actOnCase).
import Router from "@koa/router";
import type { Context } from "koa";
import { z } from "zod";
import type { AppDependencies } from "../../appDependencies.js";
import { auditActorFor } from "../../audit.js";
import { addCaseComment } from "../../commands/cases/addCaseComment.js";
import { assignCase } from "../../commands/cases/assignCase.js";
import { declareConflictOfInterest } from "../../commands/cases/declareConflictOfInterest.js";
import { inviteApplicantToCase } from "../../commands/cases/inviteApplicantToCase.js";
import { openCaseOnBehalf } from "../../commands/cases/openCaseOnBehalf.js";
import { recordVettingRecord, type TVettingRecordInput } from "../../commands/cases/recordVettingRecord.js";
import { startCaseReview } from "../../commands/cases/startCaseReview.js";
import { withdrawConflictOfInterest } from "../../commands/cases/withdrawConflictOfInterest.js";
import { isOneLineText, ZApplicationDetails, ZStatement } from "../../domain/applicationFields.js";
import { ERASED_CASE_MESSAGE } from "../../domain/caseMessages.js";
import { CASE_STATES, type CaseState } from "../../domain/caseStates.js";
import { latestAllowedDay } from "../../domain/vettingRecords.js";
import { badRequest, notFound } from "../../errors.js";
import { signedInStaff } from "../../middleware/requireStaff.js";
import { canComment, canOpenCase, canViewCases } from "../../policies/cases.js";
import { authorize } from "../../policies/staff.js";
import {
  type CaseNavigationModel,
  DAMAGED_CASE_NAVIGATION,
  presentCaseNavigation,
} from "../../presenters/caseNavigation.js";
import { commentConfirmationModel } from "../../presenters/casePage.js";
import {
  CASE_QUEUE_PARAMS,
  type CaseQueueView,
  caseQueueQuery,
  queuePageModel,
} from "../../presenters/caseQueue.js";
import { RECOMMENDATIONS, VERIFICATION_METHODS } from "../../presenters/cases.js";
import { newCasePageModel } from "../../presenters/newCasePage.js";
import { CASE_NOTICES } from "../../presenters/notices/cases.js";
import {
  CASE_QUEUE_SORTS,
  CASE_QUEUE_TABS,
  findCaseForCommand,
  parseCaseQueueCursor,
  type TCaseQueueFilter,
  type TCaseQueueSort,
  type TCaseQueueTab,
} from "../../queries/cases.js";
import {
  countCaseQueueTabs,
  findCaseQueueNeighbours,
  findCaseQueuePage,
  findStaffForAssigneeFilter,
} from "../../queries/sql/caseQueue.js";
import type { SignedInStaff } from "../../sessions.js";
import { urls } from "../../urls.js";
import { fieldErrors, queryFields, readForm, typedFields } from "../toolkit/forms.js";
import { noticeFrom } from "../toolkit/notices.js";
import { isUuid, uuidParam } from "../toolkit/params.js";
import { actOnCase, renderCasePage } from "./casePageView.js";
import { dateRangeBounds } from "./dateRangeFilter.js";

export const CASE_QUEUE_PAGE_SIZE = 50;
const isIsoDate = (value: string) => z.iso.date().safeParse(value).success;

// ---------------------------------------------------------------------------------------------------
// The queue's query string (presenters/caseQueue.ts builds the links that carry it).

/** Empty means "not filtered"; anything else must be one of the listed values. */
const oneOfOrEmpty = (values: readonly string[], message: string) =>
  z
    .string()
    .trim()
    .refine((value) => value === "" || values.includes(value), message);

export const ZCaseQueueQuery = z
  .object({
    tab: oneOfOrEmpty(CASE_QUEUE_TABS, "staff.cases.queue.error.tab"),
    q: z.string().trim().max(200, "staff.cases.queue.error.q"),
    state: oneOfOrEmpty(CASE_STATES, "staff.cases.queue.error.state"),
    assignee: z
      .string()
      .trim()
      .refine(
        (value) => value === "" || value === "unassigned" || isUuid(value),
        "staff.cases.queue.error.assignee",
      ),
    recommendation: oneOfOrEmpty(RECOMMENDATIONS, "staff.cases.queue.error.recommendation"),
    score: oneOfOrEmpty(["1", "2", "3", "4", "5"], "staff.cases.queue.error.score"),
    from: z
      .string()
      .trim()
      .refine((value) => value === "" || isIsoDate(value), "staff.cases.queue.error.from"),
    to: z
      .string()
      .trim()
      .refine((value) => value === "" || isIsoDate(value), "staff.cases.queue.error.to"),
    duplicate: oneOfOrEmpty(["yes"], "staff.cases.queue.error.duplicate"),
    matrixVerified: oneOfOrEmpty(["yes"], "staff.cases.queue.error.matrixVerified"),
    sort: oneOfOrEmpty(CASE_QUEUE_SORTS, "staff.cases.queue.error.sort"),
  })
  .superRefine((query, context) => {
    if (query.from && query.to && isIsoDate(query.from) && isIsoDate(query.to) && query.to < query.from)
      context.addIssue({
        code: "custom",
        path: ["to"],
        message: "staff.cases.queue.error.range",
      });
  });
export type TCaseQueueQuery = z.infer<typeof ZCaseQueueQuery>;

export function toQueueFilter(query: TCaseQueueQuery): TCaseQueueFilter {
  // The last day is a whole day: up to the start of the next one.
  const submitted = dateRangeBounds(query);
  return {
    q: query.q || undefined,
    state: (query.state || undefined) as CaseState | undefined,
    assignee: query.assignee || undefined,
    recommendation: (query.recommendation || undefined) as TCaseQueueFilter["recommendation"],
    score: query.score ? Number(query.score) : undefined,
    submittedFrom: submitted.from,
    submittedUntil: submitted.until,
    isPossibleDuplicate: query.duplicate === "yes" || undefined,
    isMatrixIdVerified: query.matrixVerified === "yes" || undefined,
  };
}

/** A valid queue view: the query as the queue reads it, with its tab, order and filter. */
export interface TCaseQueueView {
  query: TCaseQueueQuery;
  tab: TCaseQueueTab;
  sort: TCaseQueueSort;
  filter: TCaseQueueFilter;
}

/**
 * A queue view from query-string values (the queue's own, or carried by a case page's `from` or a bulk
 * action's form), checked by the queue's own schema: null when any value is not one the queue accepts.
 */
export function parseCaseQueueView(values: Record<string, string>): TCaseQueueView | null {
  const parsed = ZCaseQueueQuery.safeParse(
    Object.fromEntries(CASE_QUEUE_PARAMS.map((param) => [param, values[param] ?? ""])),
  );
  if (!parsed.success) return null;
  const query = parsed.data;
  return {
    query,
    tab: (query.tab || "all") as TCaseQueueTab,
    sort: (query.sort || "waiting") as TCaseQueueSort,
    filter: toQueueFilter(query),
  };
}

// ---------------------------------------------------------------------------------------------------
// Forms.

export const ZVettingRecordForm = z
  .object({
    identityVerified: z.enum(["yes", "no"], { error: "staff.cases.vetting.error.identityVerified" }),
    method: z.enum(VERIFICATION_METHODS, { error: "staff.cases.vetting.error.method" }),
    verifiedOn: z
      .string({ error: "staff.cases.vetting.error.verifiedOnMissing" })
      .trim()
      .min(1, "staff.cases.vetting.error.verifiedOnMissing")
      .refine(isIsoDate, "staff.cases.vetting.error.verifiedOnFormat")
      .refine(
        (value) => !isIsoDate(value) || value <= latestAllowedDay(),
        "staff.cases.vetting.error.verifiedOnFuture",
      ),
    place: z
      .string({ error: "staff.cases.vetting.error.place" })
      .trim()
      .min(1, "staff.cases.vetting.error.place")
      .max(200, "staff.cases.form.max200"),
    notes: z.string().trim().max(5000, "staff.cases.form.max5000").default(""),
    score: z.enum(["1", "2", "3", "4", "5"], { error: "staff.cases.vetting.error.score" }),
    recommendation: z.enum(RECOMMENDATIONS, {
      error: "staff.cases.vetting.error.recommendation",
    }),
    // A trusted referral may rest on one of the case's answered references (checked by the command).
    citedReferenceId: z
      .union([z.literal(""), z.uuid()], { error: "staff.cases.vetting.error.citedReference" })
      .default(""),
  })
  .refine((form) => form.citedReferenceId === "" || form.method === "TRUSTED_REFERRAL", {
    path: ["citedReferenceId"],
    message: "staff.cases.vetting.error.citedReferenceMethod",
  });

const VETTING_FIELDS = [
  "citedReferenceId",
  "identityVerified",
  "method",
  "verifiedOn",
  "place",
  "notes",
  "score",
  "recommendation",
] as const;

function toVettingRecord(form: z.infer<typeof ZVettingRecordForm>): TVettingRecordInput {
  return {
    identityVerified: form.identityVerified === "yes",
    method: form.method as TVettingRecordInput["method"],
    verifiedOn: new Date(`${form.verifiedOn}T00:00:00.000Z`),
    place: form.place,
    notes: form.notes,
    score: Number(form.score),
    recommendation: form.recommendation as TVettingRecordInput["recommendation"],
    citedReferenceId: form.citedReferenceId || null,
  };
}

/** On the open-on-behalf form the statement may stay empty: the person writes it in their workspace. */
export const ZOpenCaseDetails = ZApplicationDetails.extend({
  statement: z
    .preprocess(
      (value) => (typeof value === "string" && value.trim() === "" ? undefined : value),
      ZStatement.optional(),
    )
    .transform((value) => value ?? ""),
});

const PERSON_FIELDS = ["fullName", "email", "matrixId", "phone", "statement"] as const;

export const ZCommentForm = z.object({
  body: z
    .string({ error: "staff.cases.comment.error.body" })
    .trim()
    .min(1, "staff.cases.comment.error.body")
    .max(5000, "staff.cases.form.max5000"),
  visibility: z.enum(["internal", "applicant"], { error: "staff.cases.comment.error.visibility" }),
});

// The case page holds several forms: this one's fields carry their own names (and so their own ids).
export const ZConflictForm = z.object({
  conflictReason: z
    .string({ error: "staff.cases.conflict.error.reason" })
    .trim()
    .min(1, "staff.cases.conflict.error.reason")
    .max(300, "staff.cases.form.max300")
    .refine(isOneLineText, "staff.cases.conflict.error.oneLine"),
  conflictStaffUserId: z
    .string()
    .trim()
    .refine((value) => value === "" || isUuid(value), "staff.cases.form.staffFromList")
    .default(""),
});

const ZAssignForm = z.object({
  assigneeId: z
    .string({ error: "staff.cases.form.staffMember" })
    .trim()
    .refine((value) => value === "" || isUuid(value), "staff.cases.form.staffFromList"),
});

// ---------------------------------------------------------------------------------------------------

export function caseRoutes(deps: AppDependencies): Router {
  const router = new Router();

  router.get("/cases", async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canViewCases(staff));
    const typed = queryFields(ctx, CASE_QUEUE_PARAMS);
    const parsed = ZCaseQueueQuery.safeParse(typed);
    if (!parsed.success) {
      return renderQueue(ctx, deps, staff, { values: typed, errors: fieldErrors(parsed.error) }, 400);
    }
    const query = parsed.data;
    const tab = (query.tab || "all") as TCaseQueueTab;
    const sort = (query.sort || "waiting") as TCaseQueueSort;
    const afterText = typeof ctx.query.after === "string" ? ctx.query.after : "";
    const after = afterText ? parseCaseQueueCursor(afterText, sort) : null;
    if (afterText && !after)
      throw badRequest(
        "The “after” part of this page’s address is damaged or belongs to another sort order. Go back to the first page of the queue.",
      );
    const filter = toQueueFilter(query);
    const [page, counts] = await Promise.all([
      findCaseQueuePage(deps.sqlPool, {
        tab,
        filter,
        sort,
        viewerId: staff.id,
        after,
        pageSize: CASE_QUEUE_PAGE_SIZE,
      }),
      countCaseQueueTabs(deps.sqlPool, filter, staff.id),
    ]);
    await renderQueue(ctx, deps, staff, {
      values: { ...query, tab, sort },
      errors: {},
      page: { rows: page.rows, next: page.next, isFirstPage: !after },
      counts,
    });
  });

  router.get("/cases/new", async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canOpenCase(staff));
    await renderNewCase(ctx, { values: { isInvitationSent: "yes" }, errors: {} });
  });

  router.post("/cases/new", async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canOpenCase(staff));
    const values = typedFields(ctx, [...PERSON_FIELDS, ...VETTING_FIELDS, "isInvitationSent"]);
    const details = ZOpenCaseDetails.safeParse(values);
    const errors: Record<string, string> = details.success ? {} : fieldErrors(details.error);
    // The vetting record is optional as a whole: none of its fields, or all that it needs (a note
    // alone asks for the rest).
    const isVettingFilled = VETTING_FIELDS.some((field) => values[field].trim() !== "");
    let vettingRecord: TVettingRecordInput | null = null;
    if (isVettingFilled) {
      const record = ZVettingRecordForm.safeParse(values);
      if (record.success) vettingRecord = toVettingRecord(record.data);
      else Object.assign(errors, fieldErrors(record.error));
    }
    if (!details.success || Object.keys(errors).length > 0) {
      return renderNewCase(ctx, { values, errors }, 422);
    }
    const isInvitationSent = values.isInvitationSent === "yes";
    const { caseId } = await openCaseOnBehalf(deps.db, {
      agent: staff,
      details: details.data,
      vettingRecord,
      isInvitationSent,
      audit: auditActorFor(ctx, staff),
    });
    ctx.status = 303;
    ctx.redirect(urls.staffCaseWithNotice(caseId, isInvitationSent ? "opened_invited" : "opened"));
  });

  router.get("/cases/:id", async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canViewCases(staff));
    const caseId = uuidParam(ctx);
    await renderCasePage(ctx, deps, staff, caseId, {
      notice: noticeFrom(ctx, CASE_NOTICES),
      navigation: await findCaseNavigation(deps, staff, caseId, ctx.query.from),
    });
  });

  router.post("/cases/:id/assign", async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canViewCases(staff));
    const caseId = uuidParam(ctx);
    const form = readForm(ctx, ZAssignForm, ["assigneeId"]);
    if (!form.isValid) {
      return renderCasePage(ctx, deps, staff, caseId, { error: form.errors.assigneeId, status: 422 });
    }
    await actOnCase(ctx, deps, staff, caseId, async () => {
      const { isChanged, isReviewStarted } = await assignCase(deps.db, {
        caseId,
        assigneeId: form.data.assigneeId || null,
        actor: staff,
        audit: auditActorFor(ctx, staff),
      });
      if (!isChanged) return "assignment_unchanged";
      return isReviewStarted ? "assigned_review_started" : "assigned";
    });
  });

  router.post("/cases/:id/start-review", async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canViewCases(staff));
    const caseId = uuidParam(ctx);
    await actOnCase(ctx, deps, staff, caseId, async () => {
      await startCaseReview(deps.sqlPool, { caseId, actor: staff, audit: auditActorFor(ctx, staff) });
      return "review_started";
    });
  });

  router.post("/cases/:id/vetting-records", async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canViewCases(staff));
    const caseId = uuidParam(ctx);
    const form = readForm(ctx, ZVettingRecordForm, VETTING_FIELDS);
    if (!form.isValid) {
      return renderCasePage(ctx, deps, staff, caseId, { vettingForm: form, status: 422 });
    }
    await actOnCase(ctx, deps, staff, caseId, async () => {
      const { isReviewStarted } = await recordVettingRecord(deps.db, {
        caseId,
        agent: staff,
        record: toVettingRecord(form.data),
        audit: auditActorFor(ctx, staff),
      });
      return isReviewStarted ? "vetting_recorded_review_started" : "vetting_recorded";
    });
  });

  router.post("/cases/:id/comments", async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canViewCases(staff));
    const caseId = uuidParam(ctx);
    const form = readForm(ctx, ZCommentForm, ["body", "visibility", "confirmed"]);
    if (!form.isValid) {
      return renderCasePage(ctx, deps, staff, caseId, { commentForm: form, status: 422 });
    }
    const isVisibleToApplicant = form.data.visibility === "applicant";
    if (isVisibleToApplicant && form.values.confirmed !== "yes") {
      // "Go back" from the confirmation: the case page with the comment still in the form, nothing saved.
      if (form.values.confirmed === "no") {
        return renderCasePage(ctx, deps, staff, caseId, { commentForm: { values: form.values, errors: {} } });
      }
      return renderCommentConfirmation(ctx, deps, staff, caseId, form.data.body);
    }
    await actOnCase(ctx, deps, staff, caseId, async () => {
      await addCaseComment(deps.db, {
        caseId,
        author: staff,
        body: form.data.body,
        isVisibleToApplicant,
        audit: auditActorFor(ctx, staff),
      });
      return isVisibleToApplicant ? "comment_shared" : "comment_added";
    });
  });

  router.post("/cases/:id/conflicts", async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canViewCases(staff));
    const caseId = uuidParam(ctx);
    const form = readForm(ctx, ZConflictForm, ["conflictReason", "conflictStaffUserId"]);
    if (!form.isValid) {
      return renderCasePage(ctx, deps, staff, caseId, { conflictForm: form, status: 422 });
    }
    const staffUserId = form.data.conflictStaffUserId || staff.id;
    await actOnCase(ctx, deps, staff, caseId, async () => {
      const { isUnassigned } = await declareConflictOfInterest(deps.db, {
        caseId,
        staffUserId,
        reason: form.data.conflictReason,
        declarer: staff,
        audit: auditActorFor(ctx, staff),
      });
      if (staffUserId === staff.id) return "conflict_declared";
      return isUnassigned ? "conflict_recorded_unassigned" : "conflict_recorded";
    });
  });

  router.post("/cases/:id/conflicts/:conflictId/withdraw", async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canViewCases(staff));
    const caseId = uuidParam(ctx);
    const conflictId = uuidParam(ctx, "conflictId");
    await actOnCase(ctx, deps, staff, caseId, async () => {
      await withdrawConflictOfInterest(deps.db, {
        caseId,
        conflictId,
        actor: staff,
        audit: auditActorFor(ctx, staff),
      });
      return "conflict_withdrawn";
    });
  });

  router.post("/cases/:id/invite", async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canViewCases(staff));
    const caseId = uuidParam(ctx);
    await actOnCase(ctx, deps, staff, caseId, async () => {
      await inviteApplicantToCase(deps.db, { caseId, agent: staff, audit: auditActorFor(ctx, staff) });
      return "invited";
    });
  });

  return router;
}

// ---------------------------------------------------------------------------------------------------

async function renderQueue(
  ctx: Context,
  deps: AppDependencies,
  staff: SignedInStaff,
  view: CaseQueueView,
  status = 200,
): Promise<void> {
  const people = await findStaffForAssigneeFilter(deps.sqlPool);
  ctx.status = status;
  await ctx.render("staff/cases/index.njk", queuePageModel(staff, view, people, ctx.state.translator));
  ctx.status = status;
}

/** A queue view's query string is short; anything longer was not made by the queue. */
const MAX_FROM_LENGTH = 1000;

/**
 * "Previous" and "next" for a case opened from a queue view (`from`, that view's query string, checked
 * by the queue's own schema), or null when the case was not opened from the queue.
 */
async function findCaseNavigation(
  deps: AppDependencies,
  staff: SignedInStaff,
  caseId: string,
  from: string | string[] | undefined,
): Promise<CaseNavigationModel | null> {
  if (from === undefined) return null;
  if (typeof from !== "string" || from.length > MAX_FROM_LENGTH) return DAMAGED_CASE_NAVIGATION;
  const params = new URLSearchParams(from);
  const values: Record<string, string> = {};
  for (const param of CASE_QUEUE_PARAMS) values[param] = params.get(param) ?? "";
  const view = parseCaseQueueView(values);
  if (!view) return DAMAGED_CASE_NAVIGATION;
  const neighbours = await findCaseQueueNeighbours(deps.sqlPool, {
    tab: view.tab,
    filter: view.filter,
    sort: view.sort,
    viewerId: staff.id,
    caseId,
  });
  if (!neighbours) return null;
  // The links carry the view as the queue writes it (defaults left out), whatever was typed.
  return presentCaseNavigation(caseQueueQuery(view.query), neighbours);
}

async function renderNewCase(
  ctx: Context,
  form: { values: Record<string, string>; errors: Record<string, string> },
  status = 200,
): Promise<void> {
  ctx.status = status;
  await ctx.render("staff/cases/new.njk", newCasePageModel(form, ctx.state.translator));
  ctx.status = status;
}

/** "The applicant will see this": the comment is saved only when the author confirms. */
async function renderCommentConfirmation(
  ctx: Context,
  deps: AppDependencies,
  staff: SignedInStaff,
  caseId: string,
  body: string,
): Promise<void> {
  const row = await findCaseForCommand(deps.db, caseId);
  if (!row) throw notFound();
  if (!canComment(staff, row.facts)) {
    return renderCasePage(ctx, deps, staff, caseId, { error: ERASED_CASE_MESSAGE, status: 409 });
  }
  await ctx.render("staff/cases/comment-confirm.njk", commentConfirmationModel(row, body));
}
