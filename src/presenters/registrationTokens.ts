// Registration token rows (with their live status) and standalone token requests → what the tokens
// page shows of each (the page itself: registrationTokensPage.ts).
import { formatCaseNumber } from "../domain/caseNumber.js";
import type { ApprovalStatus } from "../generated/prisma/client.js";
import type { LiveStatus } from "../matrix/registrationTokenStatus.js";
import {
  canCancelTokenRequest,
  canDecideTokenRequest,
  canReissueRegistrationToken,
  canRevokeRegistrationToken,
} from "../policies/registrationTokens.js";
import type { Actor } from "../policies/staff.js";
import type { RegistrationTokenListRow } from "../queries/registrationTokenList.js";
import type { TokenRequestRow } from "../queries/registrationTokenRequests.js";
import { urls } from "../urls.js";
import { formatUtcTimestamp } from "./auditEvents.js";

/** Catalog ids, as are the other labels here: the pages translate them. */
export const LIVE_STATUS_LABELS: Record<LiveStatus, string> = {
  available: "staff.tokens.liveStatus.available",
  used: "staff.tokens.liveStatus.used",
  expired: "staff.tokens.liveStatus.expired",
  revoked: "staff.tokens.liveStatus.revoked",
  unknown: "staff.tokens.liveStatus.unknown",
  pending: "staff.tokens.liveStatus.pending",
  failed: "staff.tokens.liveStatus.failed",
  unavailable: "staff.tokens.liveStatus.unavailable",
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
    /** For a token minted on a request's approval: who asked for it (createdBy approved it). */
    requestedBy: row.request?.requestedBy.name ?? null,
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

export const TOKEN_REQUEST_STATUS_LABELS: Record<ApprovalStatus, string> = {
  PENDING: "staff.tokens.requestStatus.PENDING",
  APPROVED: "staff.tokens.requestStatus.APPROVED",
  REJECTED: "staff.tokens.requestStatus.REJECTED",
  CANCELLED: "staff.tokens.requestStatus.CANCELLED",
};

/**
 * A request waiting for a second admin. `approvalRefusal` says why nothing can be approved here now
 * (the form switched off, no homeserver): approving is then not offered; rejecting and withdrawing are.
 */
export function presentPendingTokenRequest(
  row: TokenRequestRow,
  actor: Actor,
  approvalRefusal: string | null,
) {
  const canDecide = canDecideTokenRequest(actor, row);
  return {
    id: row.id,
    anchor: `request-${row.id}`,
    personName: row.personName,
    personEmail: row.personEmail,
    note: row.note,
    requestedBy: row.requestedBy.name,
    requestedAt: timestamp(row.requestedAt),
    isOwn: row.requestedById === actor.id,
    can: {
      approve: canDecide && approvalRefusal === null,
      reject: canDecide,
      cancel: canCancelTokenRequest(actor, row),
    },
    links: {
      decision: urls.staffRegistrationTokenRequestDecision(row.id),
      cancel: urls.staffRegistrationTokenRequestCancel(row.id),
    },
  };
}

/** A request rejected or withdrawn lately: the outcome, by whom, and the note (erased after retention). */
export function presentClosedTokenRequest(row: TokenRequestRow) {
  return {
    id: row.id,
    personName: row.personName,
    isErased: row.purgedAt !== null,
    statusLabel: TOKEN_REQUEST_STATUS_LABELS[row.status],
    requestedBy: row.requestedBy.name,
    requestedAt: timestamp(row.requestedAt),
    decidedBy: row.decidedBy?.name ?? null,
    decidedAt: timestamp(row.decidedAt),
    decisionNote: row.decisionNote,
  };
}

export type PendingTokenRequestView = ReturnType<typeof presentPendingTokenRequest>;
