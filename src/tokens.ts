// Single-use link tokens for every emailed or printed link. 256 random bits, base64url, handed out
// once; only their SHA-256 is stored, so a database leak hands out no working links (a fast hash is
// enough for 256-bit secrets). Each token has one purpose, an expiry, and is consumed at most once.
//
// Lifecycle: issueLinkToken() inside the transaction that creates the reason for the link →
// GET shows a page after inspectLinkToken() (read-only: mail scanners that prefetch links consume
// nothing) → POST acts after consumeLinkToken() (atomic: of two racing requests exactly one wins).
import { createHash, randomBytes } from "node:crypto";
import type { Database, Transaction } from "./db.js";
import { keyedHash } from "./secrets.js";

export type LinkPurpose =
  | "superadmin_setup"
  | "email_confirmation"
  | "sign_in"
  | "staff_invitation"
  | "password_reset"
  | "case_invitation"
  | "case_submitted_for_you"
  | "case_email_change"
  | "registration_token_reveal"
  | "matrix_id_proof"
  | "reference_request";

export interface LinkSubject {
  type: string;
  id: string;
}

export interface IssuedLinkToken {
  id: string;
  token: string;
  expiresAt: Date;
}

export type LinkTokenState =
  | { status: "valid"; id: string; subject: LinkSubject | null; expiresAt: Date }
  | { status: "unknown" | "expired" | "used" };

export function hashLinkToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Shape check before any database lookup: 43 base64url characters. */
export function isWellFormedLinkToken(value: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(value);
}

/**
 * The token of a link a retried job must send again unchanged (a Matrix message is idempotent by its
 * transaction ID, so a retry repeats the very same text): derived from the row it is about under a key
 * only the portal holds, one purpose each. The row is made once; a retry finds it by the hash.
 */
export function derivedLinkToken(secret: string, purpose: string, id: string): string {
  return Buffer.from(keyedHash(Buffer.from(secret, "utf8"), purpose, id), "hex").toString("base64url");
}

export async function issueLinkToken(
  tx: Transaction,
  options: {
    purpose: LinkPurpose;
    subject?: LinkSubject | null;
    lifetimeMs: number;
    now?: Date;
    /**
     * A token the caller derived (32 bytes, base64url) instead of a random one: for a link a retried
     * job must send again unchanged (the Matrix ID proof's message is idempotent by transaction ID).
     */
    token?: string;
  },
): Promise<IssuedLinkToken> {
  const token = options.token ?? randomBytes(32).toString("base64url");
  if (!isWellFormedLinkToken(token)) throw new Error("a link token is 32 bytes in base64url");
  const expiresAt = new Date((options.now ?? new Date()).getTime() + options.lifetimeMs);
  const row = await tx.linkToken.create({
    data: {
      tokenHash: hashLinkToken(token),
      purpose: options.purpose,
      subjectType: options.subject?.type ?? null,
      subjectId: options.subject?.id ?? null,
      expiresAt,
    },
    select: { id: true },
  });
  return { id: row.id, token, expiresAt };
}

/** Read-only: what a GET may show. A token of another purpose is "unknown" here. */
export async function inspectLinkToken(
  db: Database | Transaction,
  purpose: LinkPurpose,
  token: string,
  now = new Date(),
): Promise<LinkTokenState> {
  if (!isWellFormedLinkToken(token)) return { status: "unknown" };
  const row = await db.linkToken.findUnique({
    where: { tokenHash: hashLinkToken(token) },
    select: { id: true, purpose: true, subjectType: true, subjectId: true, expiresAt: true, usedAt: true },
  });
  if (!row || row.purpose !== purpose) return { status: "unknown" };
  if (row.usedAt) return { status: "used" };
  if (row.expiresAt <= now) return { status: "expired" };
  return validState(row);
}

/** Marks the token used, in the caller's transaction; "valid" for exactly one caller. */
export async function consumeLinkToken(
  tx: Transaction,
  purpose: LinkPurpose,
  token: string,
  now = new Date(),
): Promise<LinkTokenState> {
  if (!isWellFormedLinkToken(token)) return { status: "unknown" };
  const consumed = await tx.linkToken.updateManyAndReturn({
    where: { tokenHash: hashLinkToken(token), purpose, usedAt: null, expiresAt: { gt: now } },
    data: { usedAt: now },
    select: { id: true, subjectType: true, subjectId: true, expiresAt: true },
  });
  const row = consumed[0];
  return row ? validState(row) : inspectLinkToken(tx, purpose, token, now);
}

function validState(row: {
  id: string;
  subjectType: string | null;
  subjectId: string | null;
  expiresAt: Date;
}): LinkTokenState {
  return {
    status: "valid",
    id: row.id,
    subject: row.subjectType && row.subjectId ? { type: row.subjectType, id: row.subjectId } : null,
    expiresAt: row.expiresAt,
  };
}
