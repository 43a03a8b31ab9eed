// Closing many cases from the queue as spam (admins): one transaction, each case closed exactly as on
// its own page (closeLockedCase: its closure row with the reason, the move and its audit row; nobody is
// emailed), the cases that cannot be closed skipped.
import type { AuditActor } from "../../audit.js";
import type { Database } from "../../db.js";
import { badRequest } from "../../errors.js";
import { type Actor, authorize, hasRole } from "../../policies/staff.js";
import {
  actOnLockedCases,
  BULK_CASE_LIMIT,
  BULK_LIMIT_MESSAGE,
  type BulkOutcome,
  bulkSkipReason,
} from "./bulkCases.js";
import { closeLockedCase, ONLY_ADMINS_CLOSE_MESSAGE } from "./closeCase.js";

export async function bulkCloseCasesAsSpam(
  db: Database,
  options: {
    caseIds: readonly string[];
    reason: string;
    actor: Actor;
    audit: AuditActor;
    now?: Date;
  },
): Promise<BulkOutcome> {
  authorize(hasRole(options.actor, "INVITING_ADMIN"), ONLY_ADMINS_CLOSE_MESSAGE);
  if (options.caseIds.length > BULK_CASE_LIMIT) throw badRequest(BULK_LIMIT_MESSAGE);
  const now = options.now ?? new Date();
  return db.$transaction(
    (tx) =>
      actOnLockedCases(tx, {
        caseIds: options.caseIds,
        skipReason: (vettingCase) => bulkSkipReason("close", options.actor, vettingCase),
        act: async (vettingCase) => {
          await closeLockedCase(tx, {
            caseId: vettingCase.id,
            actor: options.actor,
            kind: "SPAM",
            duplicateOfNumber: null,
            reason: options.reason,
            audit: options.audit,
            facts: vettingCase.facts,
            now,
          });
        },
      }),
    { timeout: 60_000 },
  );
}
