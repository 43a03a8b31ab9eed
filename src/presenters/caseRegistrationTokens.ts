// The case page's registration token panel: each token of the case (newest first) as one state in
// plain words: pending creation, created, revealed (how often, last when), used (the homeserver says the
// person registered with it), revoked, failed (with the homeserver's reason). A failure because the homeserver refused our credentials is an alert for the
// people who manage tokens: nothing retries it until the admin token (MATRIX_ADMIN_TOKEN) is fixed.

import type { Translator } from "../i18n/translator.js";
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

/**
 * `liveStatuses`: what the homeserver says of created tokens (by row id), when it was asked; without it
 * (homeserver unavailable, feature off) the panel says what the portal itself knows.
 */
export function presentCaseRegistrationTokens(
  rows: readonly CaseRegistrationTokenRow[],
  now = new Date(),
  liveStatuses: ReadonlyMap<string, LiveStatus>,
  translator: Translator,
): CaseTokenView[] {
  const t = translator.t;
  return rows.map((row) => {
    const stateKey = stateOf(row, now, liveStatuses.get(row.id));
    const facts = [
      t(row.replacesId ? "staff.cases.token.reissuedBy" : "staff.cases.token.requestedBy", {
        name: row.createdBy.name,
        at: formatDateTime(row.createdAt),
      }),
    ];
    if (stateKey === "pending") {
      facts.push(
        row.attempts === 0
          ? t("staff.cases.token.waiting")
          : t("staff.cases.token.notAcceptedYet", { attempts: row.attempts }),
      );
    }
    if (row.createdOnHomeserverAt) {
      facts.push(t("staff.cases.token.created", { at: formatDateTime(row.createdOnHomeserverAt) }));
    }
    if (stateKey === "used") facts.push(t("staff.cases.token.used"));
    if (row.revealCount > 0) {
      facts.push(
        t("staff.cases.token.revealed", { count: row.revealCount, at: formatDateTime(row.revealedAt) }),
      );
    } else if (stateKey === "created") {
      facts.push(t("staff.cases.token.notOpened"));
    }
    if (row.state !== "FAILED") {
      facts.push(
        t(row.expiresAt <= now ? "staff.cases.token.expired" : "staff.cases.token.expires", {
          at: formatDateTime(row.expiresAt),
        }),
      );
    }
    if (row.failedAt) facts.push(t("staff.cases.token.failed", { at: formatDateTime(row.failedAt) }));
    if (row.revokedAt) {
      facts.push(
        row.revokedBy
          ? t("staff.cases.token.revokedBy", { name: row.revokedBy.name, at: formatDateTime(row.revokedAt) })
          : t("staff.cases.token.revoked", { at: formatDateTime(row.revokedAt) }),
      );
    }
    return {
      id: row.id,
      stateKey,
      stateLabel: t(`staff.cases.token.state.${stateKey}`),
      statusClass: STATUS_CLASSES[stateKey],
      facts,
      lastError: stateKey === "failed" || stateKey === "pending" ? row.lastError : null,
      isCredentialsRefused: stateKey === "failed" && row.failureKind === "unauthorized",
    };
  });
}
