// An export of the audit log is itself recorded, with the filter it used, before any row leaves.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Database } from "../../db.js";
import type { Prisma } from "../../generated/prisma/client.js";

export async function recordAuditLogExport(
  db: Database,
  options: { actor: AuditActor; filter: Prisma.InputJsonObject },
): Promise<void> {
  await db.$transaction(async (tx) => {
    await recordAudit(tx, options.actor, "audit.exported", null, { filter: options.filter });
  });
}
