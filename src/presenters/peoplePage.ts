// The staff list (staff/people/index.njk): everyone, with role, status, last sign-in and 2FA state.
import type { Translator } from "../i18n/translator.js";
import { type Actor, canViewInvitations } from "../policies/staff.js";
import type { StaffMemberListRow } from "../queries/staffMembers.js";
import { urls } from "../urls.js";
import { formatDateTime } from "./staff.js";

export function presentPeoplePage(viewer: Actor, rows: StaffMemberListRow[], translator: Translator) {
  return {
    can: { invite: canViewInvitations(viewer) },
    invitationsUrl: urls.staffInvitations(),
    people: rows.map((person) => ({
      url: urls.staffPerson(person.id),
      name: person.name,
      email: person.email,
      roleLabel: translator.t(`staff.role.${person.role}`),
      statusLabel: translator.t(`staff.status.${person.status}`),
      isActive: person.status === "ACTIVE",
      lastSignIn: formatDateTime(person.lastSignInAt, translator.t("staff.never")),
      secondFactorLabel: translator.t(
        person.totpEnabledAt ? "staff.secondFactor.on" : "staff.secondFactor.notSetUp",
      ),
      isYou: person.id === viewer.id,
    })),
  };
}
