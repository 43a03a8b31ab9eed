// Exporting queue rows as CSV is recorded on each exported case ("case.exported", format "queue_csv"),
// in one transaction, before any row leaves: the case's timeline and the audit log then say who took
// its name and state out of the portal, and when, as they do for the case's full export.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Database } from "../../db.js";
import { badRequest } from "../../errors.js";
import { canViewCases } from "../../policies/cases.js";
import { type Actor, authorize } from "../../policies/staff.js";
import { BULK_CASE_LIMIT, BULK_LIMIT_MESSAGE } from "./bulkCases.js";

export async function recordQueueExport(
  db: Database,
  options: { caseIds: readonly string[]; actor: Actor; audit: AuditActor },
): Promise<void> {
  authorize(canViewCases(options.actor));
  if (options.caseIds.length > BULK_CASE_LIMIT) throw badRequest(BULK_LIMIT_MESSAGE);
  await db.$transaction(
    async (tx) => {
      for (const caseId of options.caseIds) {
        const subject = { type: "vetting_case", id: caseId };
        await recordAudit(tx, options.audit, "case.exported", subject, { format: "queue_csv" });
      }
    },
    // Up to 500 audit rows: longer than Prisma's 5 s default may be needed on a busy server.
    { timeout: 60_000 },
  );
}
