// The case page's panels for acting for the person and closing without a decision
// (views/staff/cases/_for-person-panel.njk): how the person consented when an agent submitted for them,
// the case's closings and reopenings, and the choices of the two forms.

import { formatCaseNumber } from "../domain/caseNumber.js";
import type { CasePageRow } from "../queries/cases.js";
import { urls } from "../urls.js";
import { CLOSURE_KIND_LABELS, CONSENT_KIND_LABELS } from "./cases.js";
import { formatDateTime } from "./staff.js";

export function presentForPersonPanel(row: CasePageRow) {
  const isErased = Boolean(row.erasedAt);
  return {
    submittedOnBehalf:
      row.privacyConsentKind && row.submittedAt
        ? {
            agentName: row.submittedBy?.name ?? "A former staff member",
            consentLabel: CONSENT_KIND_LABELS[row.privacyConsentKind],
            note: isErased ? null : row.privacyConsentNote,
            noticeVersion: row.privacyNoticeVersion,
            at: formatDateTime(row.submittedAt),
          }
        : null,
    hasStatement: row.statement.trim() !== "",
    pendingEmail: isErased ? null : row.pendingEmail,
    closures: row.closures.map((closure) => ({
      id: closure.id,
      kindLabel: CLOSURE_KIND_LABELS[closure.kind],
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
    consentKindOptions: Object.entries(CONSENT_KIND_LABELS).map(([value, label]) => ({ value, label })),
    closureKindOptions: Object.entries(CLOSURE_KIND_LABELS).map(([value, label]) => ({ value, label })),
  };
}

const CORRECTED_FIELD_LABELS = {
  fullName: "Full name",
  email: "Email address",
  matrixId: "Matrix ID",
  phone: "Phone number",
} as const;

/**
 * The timeline's note for each staff correction: every changed field before and after, and the reason.
 * An erased case's corrections were blanked: nothing is said.
 */
export function correctionNotesOf(row: Pick<CasePageRow, "erasedAt" | "detailCorrections">) {
  const notes = new Map<string, string>();
  if (row.erasedAt) return notes;
  for (const correction of row.detailCorrections) {
    const changes = correction.changes;
    if (!changes || typeof changes !== "object" || Array.isArray(changes)) continue;
    const parts = Object.entries(CORRECTED_FIELD_LABELS).flatMap(([field, label]) => {
      const change = (changes as Record<string, unknown>)[field];
      if (!change || typeof change !== "object") return [];
      const { before, after } = change as { before?: unknown; after?: unknown };
      const shown = (value: unknown) => (typeof value === "string" && value ? `“${value}”` : "none");
      const waiting = field === "email" ? " (used once the person confirms it)" : "";
      return [`${label}: ${shown(before)} → ${shown(after)}${waiting}`];
    });
    notes.set(correction.id, `${parts.join("; ")}. Reason: ${correction.reason}`);
  }
  return notes;
}
