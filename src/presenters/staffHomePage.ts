// The staff home page (staff/home.njk), from the dashboard's rows (dashboard.ts).
import type { CaseState } from "../domain/caseStates.js";
import type { Translator } from "../i18n/translator.js";
import { canViewCaseOverview } from "../policies/cases.js";
import { canListRegistrationTokens } from "../policies/registrationTokens.js";
import {
  type Actor,
  canManageOutbox,
  canViewAuditLog,
  canViewCspViolations,
  canViewInvitations,
  canViewStaffList,
} from "../policies/staff.js";
import type { CaseActivityRow, CaseSummaryRow, RecentDecisionRow } from "../queries/dashboard.js";
import { urls } from "../urls.js";
import {
  presentCaseActivity,
  presentRecentDecision,
  presentStateCounts,
  presentWaitingCase,
} from "./dashboard.js";

/**
 * The staff home page (staff/home.njk): where the viewer's role lets them go, the open cases assigned
 * to them and recent activity on those, and (for those who see the queue as a whole, `overview`) the
 * counts by state, the cases waiting longest for a decision and the latest decisions.
 */
export function presentStaffHomePage(
  viewer: Actor,
  rows: {
    assigned: CaseSummaryRow[];
    activity: CaseActivityRow[];
    overview: {
      stateCounts: Record<CaseState, number>;
      waitingLongest: (CaseSummaryRow & { assignedTo?: { name: string } | null })[];
      recentDecisions: RecentDecisionRow[];
    } | null;
  },
  now: Date,
  translator: Translator,
) {
  const { overview } = rows;
  return {
    roleLabel: translator.t(`staff.role.${viewer.role}`),
    can: {
      viewStaffList: canViewStaffList(viewer),
      invite: canViewInvitations(viewer),
      viewAuditLog: canViewAuditLog(viewer),
      manageOutbox: canManageOutbox(viewer),
      viewCspViolations: canViewCspViolations(viewer),
      listRegistrationTokens: canListRegistrationTokens(viewer),
      viewCaseOverview: canViewCaseOverview(viewer),
    },
    links: { queue: urls.staffCases(), cspViolations: urls.staffCspViolations() },
    assignedCases: rows.assigned.map((row) => presentWaitingCase(row, now, translator)),
    recentActivity: rows.activity.map((row) => presentCaseActivity(row, translator)),
    overview: overview && {
      stateCounts: presentStateCounts(overview.stateCounts, translator),
      waitingLongest: overview.waitingLongest.map((row) => presentWaitingCase(row, now, translator)),
      recentDecisions: overview.recentDecisions.map((row) => presentRecentDecision(row, translator)),
    },
  };
}
