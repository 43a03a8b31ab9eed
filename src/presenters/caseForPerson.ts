// The case page's panels for acting for the person and closing without a decision
// (views/staff/cases/_for-person-panel.njk): how the person consented when an agent submitted for them,
// the case's closings and reopenings, and the choices of the two forms.

import { formatCaseNumber } from "../domain/caseNumber.js";
import type { Translator } from "../i18n/translator.js";
import type { CasePageRow } from "../queries/cases.js";
import { urls } from "../urls.js";
import { CLOSURE_KINDS, CONSENT_KINDS, closureKindLabel, consentKindLabel } from "./cases.js";
import { formatDateTime } from "./staff.js";

export function presentForPersonPanel(row: CasePageRow, translator: Translator) {
  const isErased = Boolean(row.erasedAt);
  return {
    submittedOnBehalf:
      row.privacyConsentKind && row.submittedAt
        ? {
            agentName: row.submittedBy?.name ?? translator.t("staff.cases.formerStaffMember"),
            consentLabel: consentKindLabel(translator, row.privacyConsentKind),
            note: isErased ? null : row.privacyConsentNote,
            noticeVersion: row.privacyNoticeVersion,
            at: formatDateTime(row.submittedAt),
          }
        : null,
    hasStatement: row.statement.trim() !== "",
    pendingEmail: isErased ? null : row.pendingEmail,
    closures: row.closures.map((closure) => ({
      id: closure.id,
      kindLabel: closureKindLabel(translator, closure.kind),
      duplicateOf: closure.duplicateOf
        ? {
            number: formatCaseNumber(closure.duplicateOf.number),
            url: urls.staffCase(closure.duplicateOf.id),
          }
        : null,
      reason: isErased ? null : closure.reason,
      closedBy: closure.closedBy.name,
      closedAt: formatDateTime(closure.closedAt),
      reopenedBy: closure.reopenedBy?.name ?? null,
      reopenedAt: closure.reopenedAt ? formatDateTime(closure.reopenedAt) : null,
    })),
    consentKindOptions: CONSENT_KINDS.map((value) => ({ value, label: consentKindLabel(translator, value) })),
    closureKindOptions: CLOSURE_KINDS.map((value) => ({ value, label: closureKindLabel(translator, value) })),
  };
}

const CORRECTED_FIELDS = ["fullName", "email", "matrixId", "phone"] as const;

/**
 * The timeline's note for each staff correction: every changed field before and after, and the reason.
 * An erased case's corrections were blanked: nothing is said.
 */
export function correctionNotesOf(
  row: Pick<CasePageRow, "erasedAt" | "detailCorrections">,
  translator: Translator,
) {
  const notes = new Map<string, string>();
  if (row.erasedAt) return notes;
  for (const correction of row.detailCorrections) {
    const changes = correction.changes;
    if (!changes || typeof changes !== "object" || Array.isArray(changes)) continue;
    const parts = CORRECTED_FIELDS.flatMap((field) => {
      const change = (changes as Record<string, unknown>)[field];
      if (!change || typeof change !== "object") return [];
      const { before, after } = change as { before?: unknown; after?: unknown };
      const shown = (value: unknown) =>
        typeof value === "string" && value
          ? translator.t("staff.cases.correction.value", { value })
          : translator.t("staff.cases.correction.none");
      return [
        translator.t(`staff.cases.correction.change.${field}`, {
          before: shown(before),
          after: shown(after),
        }),
      ];
    });
    notes.set(
      correction.id,
      translator.t("staff.cases.correction.note", { changes: parts.join("; "), reason: correction.reason }),
    );
  }
  return notes;
}
