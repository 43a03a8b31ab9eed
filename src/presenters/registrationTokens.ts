// Registration token rows (with their live status) → what the tokens page shows.
import { formatCaseNumber } from "../domain/caseNumber.js";
import { canReissueRegistrationToken, canRevokeRegistrationToken } from "../policies/registrationTokens.js";
import type { Actor } from "../policies/staff.js";
import type { RegistrationTokenListRow } from "../queries/registrationTokenList.js";
import type { LiveStatus } from "../queries/registrationTokenStatus.js";
import { urls } from "../urls.js";
import { formatUtcTimestamp } from "./auditEvents.js";

export const LIVE_STATUS_LABELS: Record<LiveStatus, string> = {
  available: "Available",
  used: "Used",
  expired: "Expired",
  revoked: "Revoked",
  unknown: "Unknown: not on the homeserver",
  pending: "Pending creation",
  failed: "Failed",
  unavailable: "Status unavailable",
};

function timestamp(date: Date | null): { iso: string; label: string } | null {
  return date ? { iso: date.toISOString(), label: formatUtcTimestamp(date) } : null;
}

export function presentRegistrationTokenRow(row: RegistrationTokenListRow, status: LiveStatus, actor: Actor) {
  const isErased = row.personEmail === "";
  return {
    id: row.id,
    case:
      row.caseId && row.vettingCase
        ? { url: urls.staffCase(row.caseId), number: formatCaseNumber(row.vettingCase.number) }
        : null,
    personName: row.personName,
    personEmail: row.personEmail,
    isErased,
    createdBy: row.createdBy.name,
    createdAt: timestamp(row.createdAt),
    expiresAt: timestamp(row.expiresAt),
    status,
    statusLabel: LIVE_STATUS_LABELS[status],
    /** Why it failed, or what is retried: the homeserver's answer (never a token). */
    problem: row.state === "FAILED" || (row.state === "PENDING" && row.lastError) ? row.lastError : null,
    attempts: row.attempts,
    revealCount: row.revealCount,
    revealedAt: timestamp(row.revealedAt),
    revokedAt: timestamp(row.revokedAt),
    revokedBy: row.revokedBy?.name ?? null,
    isReplacement: row.replacesId !== null,
    isReplaced: row.replacedBy !== null,
    can: {
      revoke: canRevokeRegistrationToken(actor, row),
      reissue:
        !isErased &&
        canReissueRegistrationToken(actor, { state: row.state, isReplaced: row.replacedBy !== null }),
    },
    links: {
      revoke: urls.staffRegistrationTokenAction(row.id, "revoke"),
      reissue: urls.staffRegistrationTokenAction(row.id, "reissue"),
    },
  };
}

export type RegistrationTokenView = ReturnType<typeof presentRegistrationTokenRow>;
