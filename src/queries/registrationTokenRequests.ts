// The tokens page's standalone token requests: those waiting for a second admin (oldest first: the
// longest wait on top), and those rejected or withdrawn lately, so the requester sees the outcome and
// the note (approved ones appear as tokens, with who asked).
import type { Database } from "../db.js";
import type { Prisma } from "../generated/prisma/client.js";

/** More than a page of waiting requests would be a problem in itself; the page says how many there are. */
export const PENDING_REQUESTS_SHOWN = 100;
export const CLOSED_REQUESTS_SHOWN = 20;
export const CLOSED_REQUESTS_DAYS = 30;

export const tokenRequestSelect = {
  id: true,
  status: true,
  personName: true,
  personEmail: true,
  note: true,
  requestedById: true,
  requestedAt: true,
  decidedAt: true,
  decisionNote: true,
  purgedAt: true,
  requestedBy: { select: { name: true } },
  decidedBy: { select: { name: true } },
} satisfies Prisma.RegistrationTokenRequestSelect;

export type TokenRequestRow = Prisma.RegistrationTokenRequestGetPayload<{
  select: typeof tokenRequestSelect;
}>;

export async function findPendingTokenRequests(
  db: Database,
): Promise<{ rows: TokenRequestRow[]; total: number }> {
  const rows = await db.registrationTokenRequest.findMany({
    where: { status: "PENDING" },
    orderBy: [{ requestedAt: "asc" }, { id: "asc" }],
    take: PENDING_REQUESTS_SHOWN,
    select: tokenRequestSelect,
  });
  // Counted only when the page is full: almost always, what is shown is all there is.
  const total =
    rows.length < PENDING_REQUESTS_SHOWN
      ? rows.length
      : await db.registrationTokenRequest.count({ where: { status: "PENDING" } });
  return { rows, total };
}

export function findRecentlyClosedTokenRequests(db: Database, now = new Date()): Promise<TokenRequestRow[]> {
  return db.registrationTokenRequest.findMany({
    where: {
      status: { in: ["REJECTED", "CANCELLED"] },
      decidedAt: { gte: new Date(now.getTime() - CLOSED_REQUESTS_DAYS * 86_400_000) },
    },
    orderBy: [{ decidedAt: "desc" }, { id: "desc" }],
    take: CLOSED_REQUESTS_SHOWN,
    select: tokenRequestSelect,
  });
}
