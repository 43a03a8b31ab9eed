// The tokens page's rows: every token the portal issued, newest first, in keyset pages.
import type { Database } from "../db.js";
import type { Prisma } from "../generated/prisma/client.js";
import { registrationTokenHistorySelect } from "./caseRegistrationTokens.js";
import { keysetPage, olderThan, type TKeysetCursor } from "./keyset.js";

export const registrationTokenListSelect = {
  ...registrationTokenHistorySelect,
  caseId: true,
  vettingCase: { select: { number: true } },
  personName: true,
  personEmail: true,
  replacedBy: { select: { id: true } },
  /** The standalone request it was minted for: who asked (the creator is who approved). */
  request: { select: { requestedBy: { select: { name: true } } } },
} satisfies Prisma.RegistrationTokenSelect;

export type RegistrationTokenListRow = Prisma.RegistrationTokenGetPayload<{
  select: typeof registrationTokenListSelect;
}>;

export async function findRegistrationTokenPage(
  db: Database,
  after: TKeysetCursor<string> | null,
  pageSize: number,
): Promise<{ rows: RegistrationTokenListRow[]; next: TKeysetCursor<string> | null }> {
  const rows = await db.registrationToken.findMany({
    where: olderThan("createdAt", after),
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: pageSize + 1,
    select: registrationTokenListSelect,
  });
  return keysetPage(rows, pageSize, (row) => ({ occurredAt: row.createdAt, id: row.id }));
}

export function findRegistrationTokenRow(db: Database, id: string): Promise<RegistrationTokenListRow | null> {
  return db.registrationToken.findUnique({ where: { id }, select: registrationTokenListSelect });
}
