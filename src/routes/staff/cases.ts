// Vetting cases for staff: the queue, the case page and the case work done from it. Mounted under /staff.
//   GET  /cases                          the queue: tabs with counts, search, filters, sort, keyset pages
//   GET  /cases/new                      open a case on someone's behalf (their details, an optional
//   POST /cases/new                        vetting record, the link to their workspace by email)
//   GET  /cases/:id                      the case page (renderCasePage, shared with the decision and
//                                          privacy routes, which show their messages on it)
//   POST /cases/:id/assign               assign or reassign (any active staff member), or unassign
//   POST /cases/:id/start-review         take a submitted case into review
//   POST /cases/:id/vetting-records      add a vetting record (takes a submitted case into review)
//   POST /cases/:id/comments             comment; one the applicant will see needs a confirmation step
//   POST /cases/:id/invite               email the person a link to their application (again)
//   POST /cases/:id/conflicts            declare a conflict of interest (admins: or record one for someone)
//   POST /cases/:id/conflicts/:conflictId/withdraw   withdraw a standing conflict of interest
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
import {
  fieldErrors,
  isOneLineText,
  ZApplicationDetails,
  ZStatement,
} from "../../domain/applicationFields.js";
import { ERASED_CASE_MESSAGE } from "../../domain/caseMessages.js";
import { formatCaseNumber } from "../../domain/caseNumber.js";
import { CASE_STATES, type CaseState } from "../../domain/caseStates.js";
import { badRequest, HttpError, notFound } from "../../errors.js";
import { homeserverFor } from "../../matrix/homeserver.js";
import { type LiveStatus, liveStatusOf } from "../../matrix/registrationTokenStatus.js";
import { signedInStaff } from "../../middleware/requireStaff.js";
import {
  assessDecision,
  canAssignCase,
  canBeAssignedCase,
  canComment,
  canDeclareConflict,
  canEraseCase,
  canExportCase,
  canInviteApplicant,
  canOpenCase,
  canRecordConflictForOthers,
  canRecordVetting,
  canStartReview,
  canViewCaseDetails,
  canViewCases,
  canWithdrawConflict,
} from "../../policies/cases.js";
import { canAddEvidence, canViewEvidence } from "../../policies/evidence.js";
import { canListRegistrationTokens } from "../../policies/registrationTokens.js";
import { authorize } from "../../policies/staff.js";
import { presentCaseRegistrationTokens } from "../../presenters/caseRegistrationTokens.js";
import {
  ERASED_NAME,
  presentCase,
  presentComments,
  presentConflictedCase,
  presentConflicts,
  presentDecisions,
  presentQueueRow,
  presentTimeline,
  presentVettingRecords,
  RECOMMENDATION_LABELS,
  SCORE_LABELS,
  staffIdsInTimeline,
  stateOptions,
  VERIFICATION_METHOD_LABELS,
} from "../../presenters/cases.js";
import { presentEvidenceFiles, presentEvidenceUsage } from "../../presenters/evidence.js";
import {
  type CaseRegistrationTokenRow,
  findCaseRegistrationTokens,
} from "../../queries/caseRegistrationTokens.js";
import {
  CASE_QUEUE_SORTS,
  CASE_QUEUE_TABS,
  caseFactsOf,
  countCaseQueueTabs,
  findAssignableStaff,
  findCaseForCommand,
  findCaseForPage,
  findCaseQueuePage,
  findCaseTimeline,
  findStaffForAssigneeFilter,
  findStaffMatchingApplicant,
  findStaffNames,
  parseCaseQueueCursor,
  type TCaseQueueFilter,
  type TCaseQueueSort,
  type TCaseQueueTab,
} from "../../queries/cases.js";
import { findEvidenceFiles, findEvidenceUsage } from "../../queries/evidence.js";
import type { SignedInStaff } from "../../sessions.js";
import { urls } from "../../urls.js";

export const CASE_QUEUE_PAGE_SIZE = 50;
const DAY_MS = 24 * 60 * 60 * 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isIsoDate = (value: string) => z.iso.date().safeParse(value).success;

// ---------------------------------------------------------------------------------------------------
// The queue's query string. Every filter lives in the URL, so a view can be bookmarked and shared.

const TAB_LABELS: Record<TCaseQueueTab, string> = {
  all: "All cases",
  submitted: "Submitted",
  in_review: "In review",
  more_information: "More information requested",
  decided: "Decided",
  assigned: "Assigned to me",
};

const SORT_LABELS: Record<TCaseQueueSort, string> = {
  waiting: "Waiting longest",
  newest: "Newest",
  name: "Name (A to Z)",
};

const RECOMMENDATIONS = Object.keys(RECOMMENDATION_LABELS) as (keyof typeof RECOMMENDATION_LABELS)[];
const METHODS = Object.keys(VERIFICATION_METHOD_LABELS) as (keyof typeof VERIFICATION_METHOD_LABELS)[];

/** Empty means "not filtered"; anything else must be one of the listed values. */
const oneOfOrEmpty = (values: readonly string[], message: string) =>
  z
    .string()
    .trim()
    .refine((value) => value === "" || values.includes(value), message);

export const ZCaseQueueQuery = z
  .object({
    tab: oneOfOrEmpty(
      CASE_QUEUE_TABS,
      "Tab: the address names a tab the queue does not have. Choose one of the tabs.",
    ),
    q: z.string().trim().max(200, "Search: use at most 200 characters."),
    state: oneOfOrEmpty(CASE_STATES, "State: choose a state from the list."),
    assignee: z
      .string()
      .trim()
      .refine(
        (value) => value === "" || value === "unassigned" || UUID.test(value),
        "Assigned to: choose someone from the list.",
      ),
    recommendation: oneOfOrEmpty(RECOMMENDATIONS, "Recommendation: choose one from the list."),
    score: oneOfOrEmpty(["1", "2", "3", "4", "5"], "Score: choose a score from 1 to 5."),
    from: z
      .string()
      .trim()
      .refine((value) => value === "" || isIsoDate(value), "Submitted from: enter a day like 2026-03-31."),
    to: z
      .string()
      .trim()
      .refine((value) => value === "" || isIsoDate(value), "Submitted until: enter a day like 2026-03-31."),
    duplicate: oneOfOrEmpty(["yes"], "Only possible duplicates: tick the box or leave it empty."),
    sort: oneOfOrEmpty(CASE_QUEUE_SORTS, "Order: choose an order from the list."),
  })
  .superRefine((query, context) => {
    if (query.from && query.to && isIsoDate(query.from) && isIsoDate(query.to) && query.to < query.from)
      context.addIssue({
        code: "custom",
        path: ["to"],
        message: "Submitted until: the day must be the same as or after “Submitted from”.",
      });
  });
export type TCaseQueueQuery = z.infer<typeof ZCaseQueueQuery>;

const QUEUE_PARAMS = [
  "tab",
  "q",
  "state",
  "assignee",
  "recommendation",
  "score",
  "from",
  "to",
  "duplicate",
  "sort",
] as const;
type QueueParam = (typeof QUEUE_PARAMS)[number];

/** What the address says, one string per parameter (a repeated parameter counts as its first value). */
function typedQueueQuery(ctx: Context): Record<QueueParam, string> {
  const typed = {} as Record<QueueParam, string>;
  for (const param of QUEUE_PARAMS) {
    const value = ctx.query[param];
    typed[param] = (Array.isArray(value) ? value[0] : value) ?? "";
  }
  return typed;
}

/** The query string of a queue view; defaults are left out so shared links stay short. */
export function caseQueueQuery(values: Partial<Record<QueueParam | "after", string>>): string {
  const query = new URLSearchParams();
  for (const param of [...QUEUE_PARAMS, "after"] as const) {
    const value = values[param];
    if (!value) continue;
    if (param === "tab" && value === "all") continue;
    if (param === "sort" && value === "waiting") continue;
    query.set(param, value);
  }
  return query.toString();
}

function toQueueFilter(query: TCaseQueueQuery): TCaseQueueFilter {
  return {
    q: query.q || undefined,
    state: (query.state || undefined) as CaseState | undefined,
    assignee: query.assignee || undefined,
    recommendation: (query.recommendation || undefined) as TCaseQueueFilter["recommendation"],
    score: query.score ? Number(query.score) : undefined,
    submittedFrom: query.from ? new Date(`${query.from}T00:00:00.000Z`) : undefined,
    // The last day is a whole day: up to the start of the next one.
    submittedUntil: query.to ? new Date(new Date(`${query.to}T00:00:00.000Z`).getTime() + DAY_MS) : undefined,
    isPossibleDuplicate: query.duplicate === "yes" || undefined,
  };
}

// ---------------------------------------------------------------------------------------------------
// Forms.

/**
 * The latest day that is not in the future anywhere: an agent in UTC+14 may record "today" before UTC
 * has reached it.
 */
function latestAllowedDay(now = new Date()): string {
  return new Date(now.getTime() + 14 * 60 * 60 * 1000).toISOString().slice(0, 10);
}

export const ZVettingRecordForm = z.object({
  identityVerified: z.enum(["yes", "no"], { error: "Say whether you verified the person’s identity." }),
  method: z.enum(METHODS as [string, ...string[]], { error: "Choose how you verified the person." }),
  verifiedOn: z
    .string({ error: "Enter the day you verified the person, like 2026-03-31." })
    .trim()
    .min(1, "Enter the day you verified the person, like 2026-03-31.")
    .refine(isIsoDate, "Enter the day like 2026-03-31.")
    .refine((value) => !isIsoDate(value) || value <= latestAllowedDay(), "The day cannot be in the future."),
  place: z
    .string({ error: "Enter where you verified the person." })
    .trim()
    .min(1, "Enter where you verified the person.")
    .max(200, "Use at most 200 characters."),
  notes: z.string().trim().max(5000, "Use at most 5000 characters.").default(""),
  score: z.enum(["1", "2", "3", "4", "5"], { error: "Choose a score from 1 to 5." }),
  recommendation: z.enum(RECOMMENDATIONS as [string, ...string[]], { error: "Choose your recommendation." }),
});

const VETTING_FIELDS = [
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
    .string({ error: "Write the comment." })
    .trim()
    .min(1, "Write the comment.")
    .max(5000, "Use at most 5000 characters."),
  visibility: z.enum(["internal", "applicant"], { error: "Choose who may read the comment." }),
});

// The case page holds several forms: this one's fields carry their own names (and so their own ids).
export const ZConflictForm = z.object({
  conflictReason: z
    .string({ error: "Say briefly why, for example “a friend of mine”." })
    .trim()
    .min(1, "Say briefly why, for example “a friend of mine”.")
    .max(300, "Use at most 300 characters.")
    .refine(isOneLineText, "Write the reason on one line, as plain text."),
  conflictStaffUserId: z
    .string()
    .trim()
    .refine((value) => value === "" || UUID.test(value), "Choose a staff member from the list.")
    .default(""),
});

const ZAssignForm = z.object({
  assigneeId: z
    .string({ error: "Choose a staff member." })
    .trim()
    .refine((value) => value === "" || UUID.test(value), "Choose a staff member from the list."),
});

/** The body as strings, for re-rendering what was typed. */
function typedFields(ctx: Context, fields: readonly string[]): Record<string, string> {
  const body = (ctx.request.body ?? {}) as Record<string, unknown>;
  return Object.fromEntries(
    fields.map((field) => [field, typeof body[field] === "string" ? (body[field] as string) : ""]),
  );
}

// ---------------------------------------------------------------------------------------------------
// Notices after a redirect (?done=…), for this module's actions and the decision and privacy routes.

const NOTICES: Record<string, string> = {
  opened: "The case was opened and assigned to you.",
  opened_invited:
    "The case was opened and assigned to you. The person was emailed a link to their application.",
  assigned: "The assignment was changed.",
  assigned_review_started: "The case was assigned and is now in review.",
  assignment_unchanged: "The case was already assigned that way; nothing changed.",
  review_started: "The case is now in review.",
  vetting_recorded: "Your vetting record was added.",
  vetting_recorded_review_started: "Your vetting record was added and the case is now in review.",
  comment_added: "Your internal comment was added.",
  comment_shared: "Your comment was added. The applicant can see it.",
  invited:
    "The person was emailed a link to their application. Links sent earlier keep working until they expire.",
  // The decision route's keys (routes/staff/caseDecisions.ts DECISION_NOTICES, same words; not imported,
  // as that module imports renderCasePage from this one).
  approved: "The case was approved. The applicant will get an email.",
  rejected: "The case was rejected. The applicant will get an email.",
  more_information_requested:
    "The applicant was asked for more information and can edit their application again. They will get an email with your reason.",
  erased: "The personal data of this case was erased.",
  conflict_declared:
    "Your conflict of interest is recorded. You no longer see this case’s details, and you cannot be assigned it, vet it or decide it.",
  conflict_recorded:
    "The conflict of interest is recorded. That person no longer sees this case’s details, and cannot be assigned it, vet it or decide it.",
  conflict_recorded_unassigned:
    "The conflict of interest is recorded, and the case is no longer assigned to that person. They no longer see its details.",
  conflict_withdrawn: "The conflict of interest was withdrawn.",
  // routes/staff/caseEvidence.ts (EVIDENCE_NOTICES).
  evidence_added: "The evidence was added.",
  evidence_deleted: "The evidence file was deleted.",
};

function noticeFrom(ctx: Context): string | undefined {
  const done = typeof ctx.query.done === "string" ? ctx.query.done : "";
  return NOTICES[done];
}

// ---------------------------------------------------------------------------------------------------
// The case page.

export interface TCasePageExtra {
  notice?: string;
  error?: string;
  status?: number;
  decisionForm?: { values: Record<string, string>; errors: Record<string, string> };
  /** This module's forms on the page, when re-rendered with what was typed. */
  vettingForm?: { values: Record<string, string>; errors: Record<string, string> };
  commentForm?: { values: Record<string, string>; errors: Record<string, string> };
  conflictForm?: { values: Record<string, string>; errors: Record<string, string> };
}

/**
 * The case page, for GET and for any POST that shows a message or a form error on it (the decision and
 * privacy routes too). Loads the case (404 when the id is not a case), builds the view model, renders
 * staff/cases/detail.njk with `status` (default 200).
 */
/**
 * Whether the homeserver says a created token was used: asked only when the case has one, through the
 * app's shared status cache (one list call per CACHE_TTL_MS for every page together).
 */
async function liveStatusesOf(
  deps: AppDependencies,
  rows: readonly CaseRegistrationTokenRow[],
): Promise<Map<string, LiveStatus>> {
  const homeserver = homeserverFor(deps.config, deps.logger);
  if (!homeserver || !rows.some((row) => row.state === "CREATED")) return new Map();
  const snapshot = await homeserver.status.snapshot();
  return new Map(rows.map((row) => [row.id, liveStatusOf(row, snapshot)]));
}

export async function renderCasePage(
  ctx: Context,
  deps: AppDependencies,
  staff: SignedInStaff,
  caseId: string,
  extra: TCasePageExtra = {},
): Promise<void> {
  if (!UUID.test(caseId)) throw notFound();
  const [row, timelineRows, assignableStaff, evidenceRows, evidenceUsage, registrationTokenRows] =
    await Promise.all([
      findCaseForPage(deps.db, caseId),
      findCaseTimeline(deps.db, caseId),
      findAssignableStaff(deps.db),
      findEvidenceFiles(deps.db, caseId),
      findEvidenceUsage(deps.db, caseId),
      findCaseRegistrationTokens(deps.db, caseId),
    ]);
  if (!row) throw notFound();
  const facts = caseFactsOf(row, await findStaffMatchingApplicant(deps.db, row));
  if (!canViewCaseDetails(staff, facts)) return renderConflictedCasePage(ctx, staff, row, extra);
  const decision = assessDecision(staff, facts, deps.config.cases);
  const staffNames = await findStaffNames(deps.db, staffIdsInTimeline(timelineRows));
  const tokenLiveStatuses = await liveStatusesOf(deps, registrationTokenRows);
  const caseView = presentCase(row);
  const status = extra.status ?? 200;
  const canRecordConflicts = canRecordConflictForOthers(staff, facts);
  ctx.status = status;
  await ctx.render("staff/cases/detail.njk", {
    caseView,
    vettingRecords: presentVettingRecords(row),
    comments: presentComments(row),
    decisions: presentDecisions(row),
    conflicts: presentConflicts(row, staff).map((standing) => ({
      ...standing,
      canWithdraw: canWithdrawConflict(staff, standing),
      withdrawUrl: urls.staffCaseConflictWithdrawal(row.id, standing.id),
    })),
    registrationTokens: presentCaseRegistrationTokens(registrationTokenRows, new Date(), tokenLiveStatuses),
    registrationTokenPanel: {
      isShown: row.state === "APPROVED" || registrationTokenRows.length > 0,
      isFeatureOn: deps.config.matrix !== null,
    },
    evidence: {
      files: canViewEvidence(staff, facts)
        ? presentEvidenceFiles(evidenceRows, { kind: "staff", actor: staff }, facts)
        : [],
      usage: presentEvidenceUsage(deps.config.evidence, evidenceUsage),
    },
    timeline: presentTimeline(timelineRows, {
      staff: staffNames,
      commentIds: new Set(row.comments.map((comment) => comment.id)),
      recordIds: new Set(row.vettingRecords.map((record) => record.id)),
      decisionIds: new Set(row.decisions.map((decision) => decision.id)),
      evidenceFileIds: new Set(evidenceRows.map((file) => file.id)),
    }),
    assigneeOptions: [
      // A disabled assignee stays visible as the current choice until someone changes it.
      ...(row.assignedToId && !assignableStaff.some((person) => person.id === row.assignedToId)
        ? [{ id: row.assignedToId, name: `${row.assignedTo?.name ?? "Unknown"} (account not active)` }]
        : []),
      // Nobody with a conflict of interest on the case is offered.
      ...assignableStaff.filter((person) => canBeAssignedCase(person, facts)),
    ].map((person) => ({
      value: person.id,
      label: person.id === staff.id ? `${person.name} (you)` : person.name,
      isSelected: person.id === row.assignedToId,
    })),
    // Admins may record a conflict for anyone active who has none on the case yet.
    conflictPersonOptions: canRecordConflicts
      ? assignableStaff
          .filter((person) => person.id !== staff.id && canBeAssignedCase(person, facts))
          .map((person) => ({ value: person.id, label: person.name }))
      : [],
    methodOptions: METHODS.map((value) => ({ value, label: VERIFICATION_METHOD_LABELS[value] })),
    scoreOptions: [1, 2, 3, 4, 5].map((score) => ({ value: String(score), label: SCORE_LABELS[score] })),
    recommendationOptions: RECOMMENDATIONS.map((value) => ({ value, label: RECOMMENDATION_LABELS[value] })),
    maxVerifiedOn: latestAllowedDay(),
    can: {
      decide: decision.barriers.length === 0,
      decisionBarriers: decision.barriers,
      approvalBlocker: decision.approvalBlocker,
      export: canExportCase(staff, facts),
      erase: canEraseCase(staff, facts),
      recordVetting: canRecordVetting(staff, facts),
      assign: canAssignCase(staff, facts),
      startReview: canStartReview(staff, facts),
      comment: canComment(staff, facts),
      invite: canInviteApplicant(staff, facts),
      addEvidence: canAddEvidence(staff, facts),
      seeTokenAlerts: canListRegistrationTokens(staff),
      declareConflict: canDeclareConflict(staff, facts),
      recordConflictForOthers: canRecordConflicts,
    },
    decisionForm: extra.decisionForm ?? { values: {}, errors: {} },
    vettingForm: extra.vettingForm ?? { values: {}, errors: {} },
    commentForm: extra.commentForm ?? { values: { visibility: "internal" }, errors: {} },
    conflictForm: extra.conflictForm ?? { values: {}, errors: {} },
    notice: extra.notice ?? null,
    error: extra.error ?? null,
    links: {
      queue: urls.staffCases(),
      self: urls.staffCase(row.id),
      assign: urls.staffCaseAction(row.id, "assign"),
      startReview: urls.staffCaseAction(row.id, "start-review"),
      vettingRecords: urls.staffCaseAction(row.id, "vetting-records"),
      comments: urls.staffCaseAction(row.id, "comments"),
      invite: urls.staffCaseAction(row.id, "invite"),
      decision: urls.staffCaseAction(row.id, "decision"),
      export: urls.staffCaseAction(row.id, "export"),
      erase: urls.staffCaseAction(row.id, "erase"),
      addEvidence: urls.staffCaseEvidence(row.id),
      conflicts: urls.staffCaseAction(row.id, "conflicts"),
    },
  });
  ctx.status = status;
}

/**
 * The case page for someone with a conflict of interest on it: the number, the person's name, the
 * state and their conflict (with the button to withdraw it when it is theirs to withdraw). Nothing else.
 */
async function renderConflictedCasePage(
  ctx: Context,
  staff: SignedInStaff,
  row: NonNullable<Awaited<ReturnType<typeof findCaseForPage>>>,
  extra: TCasePageExtra,
): Promise<void> {
  const status = extra.status ?? 200;
  const own = presentConflicts(row, staff).find((standing) => standing.isYours);
  ctx.status = status;
  await ctx.render("staff/cases/conflicted.njk", {
    caseView: presentConflictedCase(row),
    conflict: own
      ? {
          ...own,
          canWithdraw: canWithdrawConflict(staff, own),
          withdrawUrl: urls.staffCaseConflictWithdrawal(row.id, own.id),
        }
      : null,
    notice: extra.notice ?? null,
    error: extra.error ?? null,
    links: { queue: urls.staffCases() },
  });
  ctx.status = status;
}

/** A case id from the path, or a 404 (a malformed id is no case). */
function caseIdFrom(ctx: Context): string {
  const caseId = ctx.params.id ?? "";
  if (!UUID.test(caseId)) throw notFound();
  return caseId;
}

/**
 * Runs a case command and redirects to the case page with its notice; a refused move or a conflict
 * (409) shows the case page with the message instead. Never a 500 for what the state machine refuses.
 */
async function actOnCase(
  ctx: Context,
  deps: AppDependencies,
  staff: SignedInStaff,
  caseId: string,
  action: () => Promise<string>,
): Promise<void> {
  let notice: string;
  try {
    notice = await action();
  } catch (error) {
    if (error instanceof HttpError && error.status === 409) {
      return renderCasePage(ctx, deps, staff, caseId, { error: error.message, status: 409 });
    }
    throw error;
  }
  ctx.status = 303;
  ctx.redirect(urls.staffCaseWithNotice(caseId, notice));
}

// ---------------------------------------------------------------------------------------------------

export function caseRoutes(deps: AppDependencies): Router {
  const router = new Router();

  router.get("/cases", async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canViewCases(staff));
    const typed = typedQueueQuery(ctx);
    const parsed = ZCaseQueueQuery.safeParse(typed);
    if (!parsed.success) {
      return renderQueue(ctx, deps, staff, { values: typed, errors: fieldErrors(parsed.error), status: 400 });
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
      findCaseQueuePage(deps.db, {
        tab,
        filter,
        sort,
        viewerId: staff.id,
        after,
        pageSize: CASE_QUEUE_PAGE_SIZE,
      }),
      countCaseQueueTabs(deps.db, filter, staff.id),
    ]);
    await renderQueue(ctx, deps, staff, {
      values: { ...query, tab, sort },
      errors: {},
      rows: page.rows.map(presentQueueRow),
      counts,
      links: {
        next: page.next ? urls.staffCases(caseQueueQuery({ ...query, tab, sort, after: page.next })) : null,
        first: after ? urls.staffCases(caseQueueQuery({ ...query, tab, sort })) : null,
      },
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
    // The vetting record is optional as a whole: all of its fields, or none (notes alone do not count).
    const isVettingFilled = VETTING_FIELDS.some((field) => (values[field] ?? "").trim() !== "");
    let vettingRecord: TVettingRecordInput | null = null;
    if (isVettingFilled) {
      const record = ZVettingRecordForm.safeParse(values);
      if (record.success) vettingRecord = toVettingRecord(record.data);
      else Object.assign(errors, fieldErrors(record.error));
    }
    if (!details.success || Object.keys(errors).length > 0) {
      return renderNewCase(ctx, { values, errors, status: 422 });
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
    await renderCasePage(ctx, deps, staff, caseIdFrom(ctx), { notice: noticeFrom(ctx) });
  });

  router.post("/cases/:id/assign", async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canViewCases(staff));
    const caseId = caseIdFrom(ctx);
    const parsed = ZAssignForm.safeParse(ctx.request.body ?? {});
    if (!parsed.success) {
      return renderCasePage(ctx, deps, staff, caseId, {
        error: fieldErrors(parsed.error).assigneeId,
        status: 422,
      });
    }
    await actOnCase(ctx, deps, staff, caseId, async () => {
      const { isChanged, isReviewStarted } = await assignCase(deps.db, {
        caseId,
        assigneeId: parsed.data.assigneeId || null,
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
    const caseId = caseIdFrom(ctx);
    await actOnCase(ctx, deps, staff, caseId, async () => {
      await startCaseReview(deps.db, { caseId, actor: staff, audit: auditActorFor(ctx, staff) });
      return "review_started";
    });
  });

  router.post("/cases/:id/vetting-records", async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canViewCases(staff));
    const caseId = caseIdFrom(ctx);
    const values = typedFields(ctx, VETTING_FIELDS);
    const parsed = ZVettingRecordForm.safeParse(values);
    if (!parsed.success) {
      return renderCasePage(ctx, deps, staff, caseId, {
        vettingForm: { values, errors: fieldErrors(parsed.error) },
        status: 422,
      });
    }
    await actOnCase(ctx, deps, staff, caseId, async () => {
      const { isReviewStarted } = await recordVettingRecord(deps.db, {
        caseId,
        agent: staff,
        record: toVettingRecord(parsed.data),
        audit: auditActorFor(ctx, staff),
      });
      return isReviewStarted ? "vetting_recorded_review_started" : "vetting_recorded";
    });
  });

  router.post("/cases/:id/comments", async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canViewCases(staff));
    const caseId = caseIdFrom(ctx);
    const values = typedFields(ctx, ["body", "visibility", "confirmed"]);
    const parsed = ZCommentForm.safeParse(values);
    if (!parsed.success) {
      return renderCasePage(ctx, deps, staff, caseId, {
        commentForm: { values, errors: fieldErrors(parsed.error) },
        status: 422,
      });
    }
    const isVisibleToApplicant = parsed.data.visibility === "applicant";
    if (isVisibleToApplicant && values.confirmed !== "yes") {
      // "Go back" from the confirmation: the case page with the comment still in the form, nothing saved.
      if (values.confirmed === "no") {
        return renderCasePage(ctx, deps, staff, caseId, { commentForm: { values, errors: {} } });
      }
      return renderCommentConfirmation(ctx, deps, staff, caseId, parsed.data.body);
    }
    await actOnCase(ctx, deps, staff, caseId, async () => {
      await addCaseComment(deps.db, {
        caseId,
        author: staff,
        body: parsed.data.body,
        isVisibleToApplicant,
        audit: auditActorFor(ctx, staff),
      });
      return isVisibleToApplicant ? "comment_shared" : "comment_added";
    });
  });

  router.post("/cases/:id/conflicts", async (ctx) => {
    const staff = signedInStaff(ctx);
    authorize(canViewCases(staff));
    const caseId = caseIdFrom(ctx);
    const values = typedFields(ctx, ["conflictReason", "conflictStaffUserId"]);
    const parsed = ZConflictForm.safeParse(values);
    if (!parsed.success) {
      return renderCasePage(ctx, deps, staff, caseId, {
        conflictForm: { values, errors: fieldErrors(parsed.error) },
        status: 422,
      });
    }
    const staffUserId = parsed.data.conflictStaffUserId || staff.id;
    await actOnCase(ctx, deps, staff, caseId, async () => {
      const { isUnassigned } = await declareConflictOfInterest(deps.db, {
        caseId,
        staffUserId,
        reason: parsed.data.conflictReason,
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
    const caseId = caseIdFrom(ctx);
    const conflictId = ctx.params.conflictId ?? "";
    if (!UUID.test(conflictId)) throw notFound();
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
    const caseId = caseIdFrom(ctx);
    await actOnCase(ctx, deps, staff, caseId, async () => {
      await inviteApplicantToCase(deps.db, { caseId, agent: staff, audit: auditActorFor(ctx, staff) });
      return "invited";
    });
  });

  return router;
}

// ---------------------------------------------------------------------------------------------------

export interface QueueView {
  values: Record<string, string>;
  errors: Record<string, string>;
  status?: number;
  rows?: ReturnType<typeof presentQueueRow>[];
  counts?: Record<TCaseQueueTab, number>;
  links?: { next: string | null; first: string | null };
}

async function renderQueue(
  ctx: Context,
  deps: AppDependencies,
  staff: SignedInStaff,
  view: QueueView,
): Promise<void> {
  const status = view.status ?? 200;
  const people = await findStaffForAssigneeFilter(deps.db);
  ctx.status = status;
  await ctx.render("staff/cases/index.njk", queuePageModel(staff, view, people));
  ctx.status = status;
}

/**
 * The queue page's template data. Exported for the benchmark's baseline (scripts/bench/bareRender.ts),
 * which renders the same page from the same data held in memory.
 */
export function queuePageModel(
  staff: SignedInStaff,
  view: QueueView,
  people: Awaited<ReturnType<typeof findStaffForAssigneeFilter>>,
) {
  const currentTab = CASE_QUEUE_TABS.includes(view.values.tab as TCaseQueueTab) ? view.values.tab : "all";
  // Links out of a page with mistakes leave the mistaken parameters behind.
  const validValues = Object.fromEntries(
    Object.entries(view.values).filter(([param]) => !(param in view.errors)),
  );
  return {
    values: view.values,
    errors: view.errors,
    hasErrors: Object.keys(view.errors).length > 0,
    tabs: CASE_QUEUE_TABS.map((tab) => ({
      key: tab,
      label: TAB_LABELS[tab],
      count: view.counts?.[tab] ?? null,
      // A tab keeps the search and filters, and starts at its first page.
      url: urls.staffCases(caseQueueQuery({ ...validValues, tab, after: "" })),
      isCurrent: tab === currentTab,
    })),
    stateOptions: stateOptions(CASE_STATES),
    assigneeOptions: people.map((person) => ({
      value: person.id,
      label: `${person.name}${person.id === staff.id ? " (you)" : ""}${person.status === "DISABLED" ? " (disabled)" : ""}`,
    })),
    recommendationOptions: RECOMMENDATIONS.map((value) => ({ value, label: RECOMMENDATION_LABELS[value] })),
    scoreOptions: ["1", "2", "3", "4", "5"],
    sortOptions: CASE_QUEUE_SORTS.map((value) => ({ value, label: SORT_LABELS[value] })),
    rows: view.rows ?? [],
    erasedName: ERASED_NAME,
    links: {
      page: urls.staffCases(),
      clear: urls.staffCases(caseQueueQuery({ tab: currentTab })),
      newCase: urls.staffCaseNew(),
      next: view.links?.next ?? null,
      first: view.links?.first ?? null,
    },
    can: { openCase: canOpenCase(staff) },
  };
}

async function renderNewCase(
  ctx: Context,
  view: { values: Record<string, string>; errors: Record<string, string>; status?: number },
): Promise<void> {
  const status = view.status ?? 200;
  ctx.status = status;
  await ctx.render("staff/cases/new.njk", {
    values: view.values,
    errors: view.errors,
    methodOptions: METHODS.map((value) => ({ value, label: VERIFICATION_METHOD_LABELS[value] })),
    scoreOptions: [1, 2, 3, 4, 5].map((score) => ({ value: String(score), label: SCORE_LABELS[score] })),
    recommendationOptions: RECOMMENDATIONS.map((value) => ({ value, label: RECOMMENDATION_LABELS[value] })),
    maxVerifiedOn: latestAllowedDay(),
    links: { queue: urls.staffCases(), form: urls.staffCaseNew() },
  });
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
    return renderCasePage(ctx, deps, staff, caseId, {
      error: ERASED_CASE_MESSAGE,
      status: 409,
    });
  }
  await ctx.render("staff/cases/comment-confirm.njk", {
    caseNumber: formatCaseNumber(row.number),
    body,
    links: { case: urls.staffCase(row.id), comments: urls.staffCaseAction(row.id, "comments") },
  });
}
