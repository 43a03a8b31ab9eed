// The case page's registration token panel: each token of the case (newest first) as one state in
// plain words: pending creation, created, revealed (how often, last when), used (the homeserver says the
// person registered with it), revoked, failed (with the homeserver's reason). A failure because the homeserver refused our credentials is an alert for the
// people who manage tokens: nothing retries it until the admin token (MATRIX_ADMIN_TOKEN) is fixed.

import type { LiveStatus } from "../matrix/registrationTokenStatus.js";
import type { CaseRegistrationTokenRow } from "../queries/caseRegistrationTokens.js";
import { formatDateTime } from "./staff.js";

export type CaseTokenStateKey =
  | "pending"
  | "created"
  | "revealed"
  | "used"
  | "revoked"
  | "failed"
  | "expired";

export const CASE_TOKEN_STATE_LABELS: Record<CaseTokenStateKey, string> = {
  pending: "Pending creation",
  created: "Created, not revealed yet",
  revealed: "Revealed",
  used: "Used",
  revoked: "Revoked",
  failed: "Failed",
  expired: "Expired",
};

/** The stylesheet's existing status colours (static/css/app.css .status--*). */
const STATUS_CLASSES: Record<CaseTokenStateKey, string> = {
  pending: "",
  created: "status--sent",
  revealed: "status--sent",
  used: "status--sent",
  revoked: "status--cancelled",
  failed: "status--failed",
  expired: "status--cancelled",
};

export interface CaseTokenView {
  id: string;
  stateKey: CaseTokenStateKey;
  stateLabel: string;
  statusClass: string;
  /** One sentence each, in order. */
  facts: string[];
  /** The homeserver's message for a failed or retrying creation (never holds a token). */
  lastError: string | null;
  isCredentialsRefused: boolean;
}

function stateOf(row: CaseRegistrationTokenRow, now: Date, live: LiveStatus | undefined): CaseTokenStateKey {
  if (row.state === "REVOKED" || row.revokedAt) return "revoked";
  if (row.state === "FAILED") return "failed";
  if (row.state === "PENDING") return "pending";
  if (live === "used") return "used";
  if (row.expiresAt <= now) return "expired";
  return row.revealCount > 0 ? "revealed" : "created";
}

function times(count: number): string {
  return count === 1 ? "once" : count === 2 ? "twice" : `${count} times`;
}

/**
 * `liveStatuses`: what the homeserver says of created tokens (by row id), when it was asked; without it
 * (homeserver unavailable, feature off) the panel says what the portal itself knows.
 */
export function presentCaseRegistrationTokens(
  rows: readonly CaseRegistrationTokenRow[],
  now = new Date(),
  liveStatuses: ReadonlyMap<string, LiveStatus> = new Map(),
): CaseTokenView[] {
  return rows.map((row) => {
    const stateKey = stateOf(row, now, liveStatuses.get(row.id));
    const facts = [
      `${row.replacesId ? "Re-issued" : "Requested"} by ${row.createdBy.name}, ${formatDateTime(row.createdAt)}.`,
    ];
    if (stateKey === "pending") {
      facts.push(
        row.attempts === 0
          ? "Waiting for the homeserver to create it."
          : `The homeserver has not accepted it yet after ${row.attempts} ${row.attempts === 1 ? "attempt" : "attempts"}; it is retried automatically.`,
      );
    }
    if (row.createdOnHomeserverAt) {
      facts.push(`Created on the homeserver ${formatDateTime(row.createdOnHomeserverAt)}.`);
    }
    if (stateKey === "used") facts.push("The homeserver says the person has registered with it.");
    if (row.revealCount > 0) {
      facts.push(`Revealed to the person ${times(row.revealCount)}, last ${formatDateTime(row.revealedAt)}.`);
    } else if (stateKey === "created") {
      facts.push("The person has not opened their link yet.");
    }
    if (row.state !== "FAILED") {
      facts.push(`${row.expiresAt <= now ? "Expired" : "Expires"} ${formatDateTime(row.expiresAt)}.`);
    }
    if (row.failedAt) facts.push(`Failed ${formatDateTime(row.failedAt)}; it is not retried.`);
    if (row.revokedAt) {
      facts.push(
        `Revoked${row.revokedBy ? ` by ${row.revokedBy.name}` : ""}, ${formatDateTime(row.revokedAt)}.`,
      );
    }
    return {
      id: row.id,
      stateKey,
      stateLabel: CASE_TOKEN_STATE_LABELS[stateKey],
      statusClass: STATUS_CLASSES[stateKey],
      facts,
      lastError: stateKey === "failed" || stateKey === "pending" ? row.lastError : null,
      isCredentialsRefused: stateKey === "failed" && row.failureKind === "unauthorized",
    };
  });
}
