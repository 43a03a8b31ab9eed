// The registration tokens of one case, for the case page's token panel: newest first (a re-issue adds
// one), with who issued them and, for failed ones, why the homeserver refused (from the audit row the
// job wrote: the row keeps the message, the audit row keeps the kind of failure). Never the token.
import type { Database } from "../db.js";
import type { Prisma } from "../generated/prisma/client.js";

/** What happened to a token (never the token): the case page's panel, and the tokens page with more. */
export const registrationTokenHistorySelect = {
  id: true,
  state: true,
  /** The keyed hash that finds it in the homeserver's list (its live status); not the token. */
  tokenLookup: true,
  createdAt: true,
  expiresAt: true,
  createdOnHomeserverAt: true,
  attempts: true,
  lastError: true,
  failedAt: true,
  revealedAt: true,
  revealCount: true,
  revokedAt: true,
  replacesId: true,
  createdBy: { select: { name: true } },
  revokedBy: { select: { name: true } },
} satisfies Prisma.RegistrationTokenSelect;

export type CaseRegistrationTokenRow = Prisma.RegistrationTokenGetPayload<{
  select: typeof registrationTokenHistorySelect;
}> & {
  /** The failure's kind from its audit row ("unauthorized", "rejected", "retry_horizon"), when FAILED. */
  failureKind: string | null;
};

export async function findCaseRegistrationTokens(
  db: Database,
  caseId: string,
): Promise<CaseRegistrationTokenRow[]> {
  const rows = await db.registrationToken.findMany({
    where: { caseId },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    select: registrationTokenHistorySelect,
  });
  const failedIds = rows.filter((row) => row.state === "FAILED").map((row) => row.id);
  const failures =
    failedIds.length === 0
      ? []
      : await db.auditEvent.findMany({
          where: {
            action: "matrix_token.failed",
            subjectType: "registration_token",
            subjectId: { in: failedIds },
          },
          orderBy: { id: "desc" },
          select: { subjectId: true, details: true },
        });
  const failureKinds = new Map<string, string>();
  for (const failure of failures) {
    const reason = (failure.details as { reason?: unknown } | null)?.reason;
    if (failure.subjectId && typeof reason === "string" && !failureKinds.has(failure.subjectId)) {
      failureKinds.set(failure.subjectId, reason);
    }
  }
  return rows.map((row) => ({ ...row, failureKind: failureKinds.get(row.id) ?? null }));
}
