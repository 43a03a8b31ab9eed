// Reads of vetting cases for the staff pages: the queue's vocabulary (tabs, sorts, filters, keyset
// cursors; its statements are SQL, in sql/caseQueue.ts), the case page (the case with its records,
// comments, decisions and timeline) and the staff lists the forms offer. Explicit selects only.
//
// The queue pages by keyset on the chosen order plus the id as a tiebreaker: a page is "the rows after
// the last one shown", so cases added or moved meanwhile never shift a page, and page 40 costs what
// page 1 does (no OFFSET).
import type { AuditAction } from "../audit.js";
import type { Database, Transaction } from "../db.js";
import type { CaseState } from "../domain/caseStates.js";
import { conflict, notFound } from "../errors.js";
import type { Prisma, Recommendation } from "../generated/prisma/client.js";
import type { CaseFacts } from "../policies/cases.js";
import { encodeTupleCursor, parseTupleCursor } from "./keyset.js";

export const CASE_QUEUE_TABS = [
  "all",
  "submitted",
  "in_review",
  "more_information",
  "decided",
  "assigned",
] as const;
export type TCaseQueueTab = (typeof CASE_QUEUE_TABS)[number];

export const CASE_QUEUE_SORTS = ["waiting", "newest", "name"] as const;
export type TCaseQueueSort = (typeof CASE_QUEUE_SORTS)[number];

export interface TCaseQueueFilter {
  /** Name, email or Matrix ID (case-insensitive substring), or a case number. */
  q?: string;
  state?: CaseState;
  /** A staff member's id, or "unassigned". */
  assignee?: string;
  /** Cases with at least one vetting record recommending this. */
  recommendation?: Recommendation;
  /** Cases with at least one vetting record of this score. */
  score?: number;
  /** First submission, inclusive lower bound. */
  submittedFrom?: Date;
  /** First submission, exclusive upper bound. */
  submittedUntil?: Date;
  isPossibleDuplicate?: boolean;
  /** Only these cases (a bulk action's selection), in the view's order. */
  caseIds?: readonly string[];
  /** Cases whose current Matrix ID the applicant proved (the bot's direct message). */
  isMatrixIdVerified?: boolean;
}

/** Where the next page starts: the sort it belongs to, the last row's sort value and id. */
export interface TCaseQueueCursor {
  sort: TCaseQueueSort;
  /** ISO timestamp (waiting, newest), a name (name), or null (waiting: not yet submitted). */
  key: string | null;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function encodeCaseQueueCursor(cursor: TCaseQueueCursor): string {
  return encodeTupleCursor([cursor.sort, cursor.key, cursor.id]);
}

/** The cursor, or null when the text is not a cursor of this sort order (edited, or from another sort). */
export function parseCaseQueueCursor(text: string, sort: TCaseQueueSort): TCaseQueueCursor | null {
  const values = parseTupleCursor(text, 3);
  if (!values) return null;
  const [cursorSort, key = null, id] = values;
  if (cursorSort !== sort || !id || !UUID.test(id)) return null;
  if (sort === "name" && key === null) return null;
  if (sort === "newest" && (key === null || !ISO_TIMESTAMP.test(key))) return null;
  if (sort === "waiting" && key !== null && !ISO_TIMESTAMP.test(key)) return null;
  return { sort, key, id };
}

/** Who a case may be assigned to: active staff, by name. */
export function findAssignableStaff(db: Database): Promise<{ id: string; name: string }[]> {
  return db.staffUser.findMany({
    where: { status: "ACTIVE" },
    orderBy: [{ name: "asc" }, { email: "asc" }],
    select: { id: true, name: true },
  });
}

/** The answered references that vouch for the person (an approval condition with APPROVAL_REQUIRES_REFERENCE). */
const vouchingReferencesSelect = { where: { status: "VOUCHED" }, select: { id: true } } as const;

export const casePageSelect = {
  id: true,
  number: true,
  state: true,
  origin: true,
  fullName: true,
  email: true,
  matrixId: true,
  phone: true,
  statement: true,
  privacyNoticeVersion: true,
  privacyNoticeLanguage: true,
  privacyConsentAt: true,
  emailConfirmedAt: true,
  createdById: true,
  createdBy: { select: { name: true } },
  submittedById: true,
  submittedBy: { select: { name: true } },
  privacyConsentKind: true,
  privacyConsentNote: true,
  closedAt: true,
  assignedToId: true,
  assignedTo: { select: { name: true } },
  isPossibleDuplicate: true,
  duplicateMatches: true,
  createdAt: true,
  submittedAt: true,
  lastSubmittedAt: true,
  decidedAt: true,
  withdrawnAt: true,
  erasedAt: true,
  vettingRecords: {
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    select: {
      id: true,
      agentId: true,
      agent: { select: { name: true } },
      identityVerified: true,
      method: true,
      verifiedOn: true,
      place: true,
      notes: true,
      score: true,
      recommendation: true,
      createdAt: true,
    },
  },
  comments: {
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    select: {
      id: true,
      author: { select: { name: true } },
      body: true,
      isVisibleToApplicant: true,
      createdAt: true,
    },
  },
  evidenceFiles: { where: { uploaderKind: "STAFF" }, select: { uploadedById: true } },
  conflicts: {
    orderBy: [{ declaredAt: "asc" }, { id: "asc" }],
    select: {
      id: true,
      staffUserId: true,
      staffUser: { select: { name: true } },
      reason: true,
      declaredById: true,
      declaredBy: { select: { name: true } },
      declaredAt: true,
      withdrawnAt: true,
    },
  },
  decisions: {
    orderBy: [{ decidedAt: "asc" }, { id: "asc" }],
    select: {
      id: true,
      kind: true,
      decidedBy: { select: { name: true } },
      reason: true,
      isReasonSharedWithApplicant: true,
      decidedAt: true,
    },
  },
  closures: {
    orderBy: [{ closedAt: "asc" }, { id: "asc" }],
    select: {
      id: true,
      kind: true,
      reason: true,
      duplicateOf: { select: { id: true, number: true } },
      closedBy: { select: { name: true } },
      closedAt: true,
      reopenedBy: { select: { name: true } },
      reopenedAt: true,
    },
  },
  replies: {
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    select: { id: true, body: true, answersDecisionId: true, createdAt: true },
  },
  pendingEmail: true,
  references: vouchingReferencesSelect,
  detailCorrections: {
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    select: { id: true, reason: true, changes: true },
  },
} satisfies Prisma.VettingCaseSelect;

export type CasePageRow = Prisma.VettingCaseGetPayload<{ select: typeof casePageSelect }>;

export function findCaseForPage(db: Database, caseId: string): Promise<CasePageRow | null> {
  return db.vettingCase.findUnique({ where: { id: caseId }, select: casePageSelect });
}

/** The rows a case's facts are read from (casePageSelect and caseFactsSelect both hold them). */
export interface CaseFactsSource {
  state: CaseState;
  createdById: string | null;
  submittedById: string | null;
  erasedAt: Date | null;
  vettingRecords: readonly { agentId: string; identityVerified: boolean }[];
  evidenceFiles: readonly { uploadedById: string | null }[];
  conflicts: readonly { staffUserId: string; withdrawnAt: Date | null }[];
  references: readonly { id: string }[];
}

/**
 * What the policies need to know about a case. `applicantMatches` comes from findStaffMatchingApplicant
 * (a second read: it compares the case with staff accounts, which no select of the case reaches).
 */
export function caseFactsOf(
  row: CaseFactsSource,
  applicantMatches: CaseFacts["applicantMatches"],
): CaseFacts {
  return {
    state: row.state,
    createdById: row.createdById,
    submittedById: row.submittedById,
    vettingRecords: row.vettingRecords.map(({ agentId, identityVerified }) => ({
      agentId,
      identityVerified,
    })),
    staffUploaderIds: [
      ...new Set(row.evidenceFiles.flatMap((file) => (file.uploadedById ? [file.uploadedById] : []))),
    ],
    conflictedStaffIds: row.conflicts
      .filter((standing) => standing.withdrawnAt === null)
      .map((standing) => standing.staffUserId),
    applicantMatches,
    vouchingReferenceIds: row.references.map((reference) => reference.id),
    erasedAt: row.erasedAt,
  };
}

/**
 * Staff whose own email, phone or Matrix ID is the applicant's, compared as the duplicate check compares
 * cases (commands/flagPossibleDuplicates.ts: email lower-cased, phone in E.164, Matrix ID as stored), in
 * SQL: the applicant's three values are SQL expressions (parameters here, the case's own columns in
 * queries/sql/caseFacts.ts), each null when blank. One row per staff member, with a flag per identifier;
 * applicantMatchOf turns it into the facts' shape.
 */
export function staffMatchingApplicantSql(email: string, phone: string, matrixId: string): string {
  return `
    SELECT person.id::text AS "staffUserId", person.email = ${email} AS "isEmail",
           person.phone = ${phone} AS "isPhone", person."matrixId" = ${matrixId} AS "isMatrixId"
    FROM staff_users AS person
    WHERE person.email = ${email} OR person.phone = ${phone} OR person."matrixId" = ${matrixId}`;
}

/** The applicant's identifiers as staffMatchingApplicantSql compares them: null when blank. */
export function applicantIdentifiersSql(vettingCase: string): [string, string, string] {
  return [
    `nullif(lower(trim(${vettingCase}.email)), '')`,
    `nullif(trim(${vettingCase}.phone), '')`,
    `nullif(trim(${vettingCase}."matrixId"), '')`,
  ];
}

export interface StaffMatchRow {
  staffUserId: string;
  isEmail: boolean | null;
  isPhone: boolean | null;
  isMatrixId: boolean | null;
}

export function applicantMatchOf(row: StaffMatchRow): CaseFacts["applicantMatches"][number] {
  return {
    staffUserId: row.staffUserId,
    matchedOn: [
      ...(row.isEmail ? (["email"] as const) : []),
      ...(row.isPhone ? (["phone"] as const) : []),
      ...(row.isMatrixId ? (["matrixId"] as const) : []),
    ],
  };
}

const STAFF_MATCHING_APPLICANT_SQL = staffMatchingApplicantSql("$1::text", "$2::text", "$3::text");

/** Staff matching the applicant (staffMatchingApplicantSql). An erased case has nothing left to compare. */
export async function findStaffMatchingApplicant(
  db: Database | Transaction,
  applicant: { email: string; phone: string | null; matrixId: string | null; erasedAt: Date | null },
): Promise<CaseFacts["applicantMatches"]> {
  if (applicant.erasedAt) return [];
  const email = applicant.email.trim().toLowerCase() || null;
  const phone = applicant.phone?.trim() || null;
  const matrixId = applicant.matrixId?.trim() || null;
  if (!email && !phone && !matrixId) return [];
  const rows = await db.$queryRawUnsafe<StaffMatchRow[]>(
    STAFF_MATCHING_APPLICANT_SQL,
    email,
    phone,
    matrixId,
  );
  return rows.map(applicantMatchOf);
}

export const caseTimelineSelect = {
  id: true,
  occurredAt: true,
  actorId: true,
  actorLabel: true,
  actor: { select: { name: true } },
  action: true,
  details: true,
} satisfies Prisma.AuditEventSelect;

export type CaseTimelineRow = Prisma.AuditEventGetPayload<{ select: typeof caseTimelineSelect }>;

/**
 * Reads of a case's evidence are audited too, but they are not events in the case's life: the audit
 * log has them, the timeline leaves them out.
 */
const NOT_IN_TIMELINE: AuditAction[] = ["evidence.viewed", "evidence.downloaded"];

/** The case's audit events, oldest first: its timeline. */
export function findCaseTimeline(db: Database, caseId: string): Promise<CaseTimelineRow[]> {
  return db.auditEvent.findMany({
    where: { subjectType: "vetting_case", subjectId: caseId, action: { notIn: NOT_IN_TIMELINE } },
    orderBy: [{ occurredAt: "asc" }, { id: "asc" }],
    select: caseTimelineSelect,
  });
}

/** Names of the staff members a timeline mentions by id (assignees). */
export async function findStaffNames(db: Database, ids: readonly string[]): Promise<Map<string, string>> {
  const valid = [...new Set(ids)].filter((id) => UUID.test(id));
  if (valid.length === 0) return new Map();
  const rows = await db.staffUser.findMany({
    where: { id: { in: valid } },
    select: { id: true, name: true },
  });
  return new Map(rows.map((row) => [row.id, row.name]));
}

/**
 * Locks the case's row until the transaction ends, so a command's checks (state, four eyes) and its
 * writes see one version of the case: a decision being written meanwhile waits, or is waited for.
 */
export async function lockCase(tx: Transaction, caseId: string): Promise<void> {
  await tx.$queryRaw`SELECT id FROM vetting_cases WHERE id = ${caseId}::uuid FOR UPDATE`;
}

export const caseFactsSelect = {
  id: true,
  number: true,
  state: true,
  fullName: true,
  email: true,
  // The language every email to the person is written in (and to others about them: referees).
  language: true,
  phone: true,
  matrixId: true,
  createdById: true,
  submittedById: true,
  assignedToId: true,
  erasedAt: true,
  vettingRecords: { select: { agentId: true, identityVerified: true } },
  references: vouchingReferencesSelect,
  evidenceFiles: { where: { uploaderKind: "STAFF" }, select: { uploadedById: true } },
  conflicts: { where: { withdrawnAt: null }, select: { staffUserId: true, withdrawnAt: true } },
} satisfies Prisma.VettingCaseSelect;

/**
 * The case as a command needs it: the person's name and address, and its facts for the policies
 * (`facts`), or null when there is no such case.
 */
export async function findCaseForCommand(db: Database | Transaction, caseId: string) {
  const vettingCase = await db.vettingCase.findUnique({ where: { id: caseId }, select: caseFactsSelect });
  if (!vettingCase) return null;
  const facts = caseFactsOf(vettingCase, await findStaffMatchingApplicant(db, vettingCase));
  return { ...vettingCase, facts };
}

/**
 * The case a command changes, locked until its transaction ends (lockCase), with its facts for the
 * policies: 404 when there is no such case, a conflict saying `erasedMessage` when it was erased.
 */
export async function lockCaseForCommand(tx: Transaction, caseId: string, erasedMessage: string) {
  await lockCase(tx, caseId);
  const vettingCase = await findCaseForCommand(tx, caseId);
  if (!vettingCase) throw notFound();
  if (vettingCase.erasedAt) throw conflict(erasedMessage);
  return { vettingCase, facts: vettingCase.facts };
}
