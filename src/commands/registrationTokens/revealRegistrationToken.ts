// Showing a person their Matrix registration token, through the one-time link emailed to them (the
// approval email, the email sent when a standalone token request was approved, or a new link they asked
// for).
//
//   inspectRegistrationTokenLink()  GET: what the link leads to, read-only (mail scanners that prefetch
//                                   links consume nothing)
//   revealRegistrationToken()       POST: consumes the link (of two racing requests exactly one wins),
//                                   opens the sealed token, counts the reveal, audits it. A token the
//                                   homeserver has not accepted yet (PENDING) leaves the link unused, so
//                                   the same link works once it is ready; a failed, revoked or expired
//                                   token is explained and never shown.
// The link token is not the registration token: it only names the registration_tokens row (its
// subject). The registration token leaves this module only in the revealed outcome, for the page.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Config } from "../../config.js";
import type { Database, Transaction } from "../../db.js";
import type { RegistrationTokenState } from "../../generated/prisma/client.js";
import { openRegistrationToken } from "../../matrix/tokenSecrets.js";
import { totpKeyring } from "../../secrets.js";
import { consumeLinkToken, inspectLinkToken } from "../../tokens.js";

export const REVEAL_LINK_PURPOSE = "registration_token_reveal" as const;
export const REGISTRATION_TOKEN_SUBJECT = "registration_token";

/** Why a link opens nothing: unknown (or its token's person erased), expired, or already used. */
export type RevealLinkProblem = "unknown" | "expired" | "used";

/** Why a token cannot be shown now: still being created, refused by the homeserver, revoked, expired. */
export type TokenProblem = "pending" | "failed" | "revoked" | "expired";

export type RevealLinkState =
  | { status: "link_unusable"; problem: RevealLinkProblem }
  | { status: "token_unusable"; problem: TokenProblem; expiresAt: Date }
  | { status: "ready"; expiresAt: Date };

export type RevealOutcome =
  | Exclude<RevealLinkState, { status: "ready" }>
  | { status: "revealed"; token: string; expiresAt: Date };

interface TokenRow {
  id: string;
  caseId: string | null;
  state: RegistrationTokenState;
  expiresAt: Date;
  revokedAt: Date | null;
  tokenSealed: string;
}

/** The token's own reason not to be shown, or null when it may be. Pending comes first: it will pass. */
export function tokenProblem(
  row: Pick<TokenRow, "state" | "expiresAt" | "revokedAt">,
  now: Date,
): TokenProblem | null {
  if (row.state === "PENDING") return "pending";
  if (row.state === "REVOKED" || row.revokedAt) return "revoked";
  if (row.state === "FAILED") return "failed";
  if (row.expiresAt <= now) return "expired";
  return null;
}

/** The link's registration token row, or the link's problem. Read-only; works inside a transaction. */
async function tokenOfLink(
  db: Database | Transaction,
  linkToken: string,
  now: Date,
): Promise<{ problem: RevealLinkProblem } | { row: TokenRow }> {
  const link = await inspectLinkToken(db, REVEAL_LINK_PURPOSE, linkToken, now);
  if (link.status !== "valid") return { problem: link.status };
  if (link.subject?.type !== REGISTRATION_TOKEN_SUBJECT) return { problem: "unknown" };
  const row = await db.registrationToken.findUnique({
    where: { id: link.subject.id },
    select: { id: true, caseId: true, state: true, expiresAt: true, revokedAt: true, tokenSealed: true },
  });
  return row ? { row } : { problem: "unknown" };
}

/** GET: what the page behind the link should say. Changes nothing. */
export async function inspectRegistrationTokenLink(
  db: Database,
  linkToken: string,
  now = new Date(),
): Promise<RevealLinkState> {
  const found = await tokenOfLink(db, linkToken, now);
  if ("problem" in found) return { status: "link_unusable", problem: found.problem };
  const problem = tokenProblem(found.row, now);
  if (problem) return { status: "token_unusable", problem, expiresAt: found.row.expiresAt };
  return { status: "ready", expiresAt: found.row.expiresAt };
}

/** POST: reveals the token once per link. */
export async function revealRegistrationToken(
  db: Database,
  options: {
    config: { staff: Pick<Config["staff"], "totpKey" | "totpKeyPrevious"> };
    linkToken: string;
    audit: AuditActor;
    now?: Date;
  },
): Promise<RevealOutcome> {
  const now = options.now ?? new Date();
  return db.$transaction(async (tx) => {
    const found = await tokenOfLink(tx, options.linkToken, now);
    if ("problem" in found) return { status: "link_unusable", problem: found.problem };
    const { row } = found;
    const problem = tokenProblem(row, now);
    // Nothing is consumed: a pending token's link works again once the token is ready.
    if (problem) return { status: "token_unusable", problem, expiresAt: row.expiresAt };

    const consumed = await consumeLinkToken(tx, REVEAL_LINK_PURPOSE, options.linkToken, now);
    if (consumed.status !== "valid") return { status: "link_unusable", problem: consumed.status };
    const revealed = await tx.registrationToken.update({
      where: { id: row.id },
      data: { revealCount: { increment: 1 }, revealedAt: now },
      select: { revealCount: true },
    });
    await recordAudit(
      tx,
      options.audit,
      "matrix_token.revealed",
      { type: REGISTRATION_TOKEN_SUBJECT, id: row.id },
      { caseId: row.caseId, revealCount: revealed.revealCount },
    );
    return {
      status: "revealed",
      token: openRegistrationToken(totpKeyring(options.config.staff), row.tokenSealed),
      expiresAt: row.expiresAt,
    };
  });
}
