// What waits for the signed-in staff member, as the navigation shows it on every staff page they are
// shown: their open assigned cases, the cases in review they may decide, and the four-eyes approvals
// (role changes, invitations, registration-token requests) waiting for them. One statement, read only
// when a page is rendered (app.ts render), never for a POST, a download or a redirect.
//
// Who may decide what is the policies' answer (policies/staff.ts, policies/registrationTokens.ts,
// policies/cases.ts); this module turns it into parameters and mirrors the four-eyes exclusions in SQL.
import type pg from "pg";
import { CASE_MOVES, type CaseState, OPEN_STATES } from "../../domain/caseStates.js";
import { canDecideCases } from "../../policies/cases.js";
import { canDecideTokenRequest } from "../../policies/registrationTokens.js";
import { type Actor, canInvite, STAFF_ROLES } from "../../policies/staff.js";
import { column, rowShape } from "./rowCheck.js";

const sqlStates = (states: readonly CaseState[]) => `(${states.map((state) => `'${state}'`).join(", ")})`;

/** The states a case is decided from (approve and reject), from the state machine. */
const DECIDABLE_STATES = [...new Set<CaseState>([...CASE_MOVES.approve.from, ...CASE_MOVES.reject.from])];

/**
 * Counting stops here: the navigation says "99+" beyond, and a count that stops early stays cheap
 * however many cases are open (with 20 000 cases in review, counting them all took 160 ms per page).
 */
export const COUNT_CAP = 100;

export interface StaffNavCounts {
  /** Each case count at most COUNT_CAP. */
  assignedOpenCases: number;
  casesAwaitingDecision: number;
  /** Role changes and invitations (the invitations page). */
  staffApprovalsAwaiting: number;
  /** Registration-token requests (the registration tokens page). */
  tokenRequestsAwaiting: number;
}

const staffNavCountsRow = rowShape<StaffNavCounts>("sql/staffNavCounts.forViewer", {
  assignedOpenCases: column.integer,
  casesAwaitingDecision: column.integer,
  staffApprovalsAwaiting: column.integer,
  tokenRequestsAwaiting: column.integer,
});

// The uncorrelated subqueries are init plans: Postgres runs one only when its CASE branch is taken, so
// an agent's page pays for the first count alone. The decision count leaves out what four eyes bars
// (policies/cases.ts reasonsTooCloseToDecide): a conflict of interest, having opened or vetted the case,
// having uploaded its evidence, sharing the applicant's email, phone or Matrix ID.
const STAFF_NAV_COUNTS_SQL = `
  SELECT
    (SELECT count(*)::int FROM (SELECT FROM vetting_cases AS vetting_case
      WHERE vetting_case."assignedToId" = $1 AND vetting_case.state IN ${sqlStates(OPEN_STATES)}
        AND vetting_case."erasedAt" IS NULL LIMIT ${COUNT_CAP}) AS counted) AS "assignedOpenCases",
    CASE WHEN $2::boolean THEN (SELECT count(*)::int FROM (
      SELECT FROM vetting_cases AS vetting_case
      CROSS JOIN (SELECT email, phone, "matrixId" FROM staff_users WHERE id = $1) AS viewer
      WHERE vetting_case.state IN ${sqlStates(DECIDABLE_STATES)} AND vetting_case."erasedAt" IS NULL
        AND vetting_case."createdById" IS DISTINCT FROM $1
        AND lower(vetting_case.email) IS DISTINCT FROM viewer.email
        AND (vetting_case.phone IS NULL OR vetting_case.phone IS DISTINCT FROM viewer.phone)
        AND (vetting_case."matrixId" IS NULL OR vetting_case."matrixId" IS DISTINCT FROM viewer."matrixId")
        AND NOT EXISTS (SELECT 1 FROM case_conflicts AS conflict WHERE conflict."caseId" = vetting_case.id
          AND conflict."staffUserId" = $1 AND conflict."withdrawnAt" IS NULL)
        AND NOT EXISTS (SELECT 1 FROM vetting_records AS record WHERE record."caseId" = vetting_case.id
          AND record."agentId" = $1)
        AND NOT EXISTS (SELECT 1 FROM evidence_files AS evidence WHERE evidence."caseId" = vetting_case.id
          AND evidence."uploadedById" = $1)
      LIMIT ${COUNT_CAP}) AS counted
    ) ELSE 0 END AS "casesAwaitingDecision",
    CASE WHEN cardinality($3::"StaffRole"[]) > 0 THEN (
      SELECT count(*)::int FROM staff_role_changes AS change
      WHERE change.status = 'PENDING' AND change."toRole" = ANY($3::"StaffRole"[])
        AND change."requestedById" <> $1 AND change."staffUserId" <> $1
    ) + (
      SELECT count(*)::int FROM staff_invitations AS invitation
      JOIN staff_users AS invitee ON invitee.id = invitation."inviteeId"
      WHERE invitation.status = 'PENDING_APPROVAL' AND invitee.role = ANY($3::"StaffRole"[])
        AND invitation."invitedById" <> $1
    ) ELSE 0 END AS "staffApprovalsAwaiting",
    CASE WHEN $4::boolean THEN (
      SELECT count(*)::int FROM registration_token_requests AS request
      WHERE request.status = 'PENDING' AND request."requestedById" <> $1
    ) ELSE 0 END AS "tokenRequestsAwaiting"`;

/** The counts for this staff member, each within what their role lets them do. */
export async function findStaffNavCounts(sqlPool: pg.Pool, viewer: Actor): Promise<StaffNavCounts> {
  // canDecideRoleChange and canDecideInvitation: a role the viewer could grant, by someone else.
  const approvableRoles = STAFF_ROLES.filter((role) => canInvite(viewer, role));
  const decidesTokenRequests = canDecideTokenRequest(viewer, { requestedById: "", status: "PENDING" });
  const { rows } = await sqlPool.query({
    name: "staff-nav-counts",
    text: STAFF_NAV_COUNTS_SQL,
    values: [viewer.id, canDecideCases(viewer), approvableRoles, decidesTokenRequests],
  });
  const [counts] = staffNavCountsRow.checkRows(rows);
  if (!counts) throw new Error("sql/staffNavCounts.forViewer returned no row");
  return counts;
}
