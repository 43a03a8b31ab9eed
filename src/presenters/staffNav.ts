// The staff navigation's own links (views/layout.njk): the work waiting for the signed-in person, with
// its count, and the pages their role opens. Built for every staff page the portal renders (app.ts).
import type { Translator } from "../i18n/translator.js";
import { canDecideCases, canViewStatistics } from "../policies/cases.js";
import { canListRegistrationTokens } from "../policies/registrationTokens.js";
import { type Actor, canViewInvitations } from "../policies/staff.js";
import { COUNT_CAP, type StaffNavCounts } from "../queries/sql/staffNavCounts.js";
import { urls } from "../urls.js";

export interface StaffNavLink {
  href: string;
  label: string;
  /** Null when the count could not be read: the link stays, without a number. */
  count: number | null;
  /** As shown: "3", or "99+" when counting stopped at the cap. */
  countText: string;
  isCounted: boolean;
  /** Said after the number to screen readers: "My cases, 3 open". */
  countLabel: string;
}

/**
 * The links to what waits: "My cases" and (for those who decide) "To decide" always, so the navigation
 * stays where people learned it; the approvals only while one waits, since they come seldom.
 */
export function presentStaffNav(viewer: Actor, counts: StaffNavCounts | null, translator: Translator) {
  const work: Omit<StaffNavLink, "isCounted" | "countText">[] = [
    {
      href: urls.staffCases("tab=assigned"),
      label: translator.t("staff.nav.myCases"),
      count: counts?.assignedOpenCases ?? null,
      countLabel: translator.t("staff.nav.myCasesCount"),
    },
  ];
  if (canDecideCases(viewer))
    work.push({
      href: urls.staffCases("tab=in_review"),
      label: translator.t("staff.nav.toDecide"),
      count: counts?.casesAwaitingDecision ?? null,
      countLabel: translator.t("staff.nav.toDecideCount"),
    });
  if (canViewInvitations(viewer) && (counts?.staffApprovalsAwaiting ?? 0) > 0)
    work.push({
      href: urls.staffInvitations(),
      label: translator.t("staff.nav.approvals"),
      count: counts?.staffApprovalsAwaiting ?? null,
      countLabel: translator.t("staff.nav.waitingForApproval"),
    });
  if (canListRegistrationTokens(viewer) && (counts?.tokenRequestsAwaiting ?? 0) > 0)
    work.push({
      href: urls.staffRegistrationTokens(),
      label: translator.t("staff.nav.tokenRequests"),
      count: counts?.tokenRequestsAwaiting ?? null,
      countLabel: translator.t("staff.nav.waitingForApproval"),
    });
  return {
    work: work.map(
      (link): StaffNavLink => ({
        ...link,
        isCounted: link.count !== null,
        countText: link.count !== null && link.count >= COUNT_CAP ? `${COUNT_CAP - 1}+` : String(link.count),
      }),
    ),
    statistics: canViewStatistics(viewer) ? urls.staffStatistics() : null,
  };
}
