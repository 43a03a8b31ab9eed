// Assigning many cases from the queue at once (or unassigning them): one transaction, each case assigned
// exactly as on its own page (assignLockedCase: its audit row, a submitted case taken into review, the
// assignee told as they chose, at once or in their digest), the cases that cannot take it skipped.
import type { AuditActor } from "../../audit.js";
import type { Database } from "../../db.js";
import { badRequest, conflict } from "../../errors.js";
import { canViewCases } from "../../policies/cases.js";
import { type Actor, authorize } from "../../policies/staff.js";
import { ASSIGNEE_NOT_ACTIVE_MESSAGE, assignLockedCase } from "./assignCase.js";
import {
  actOnLockedCases,
  BULK_CASE_LIMIT,
  BULK_LIMIT_MESSAGE,
  type BulkOutcome,
  bulkSkipReason,
} from "./bulkCases.js";

export async function bulkAssignCases(
  db: Database,
  options: {
    caseIds: readonly string[];
    assigneeId: string | null;
    actor: Actor & { name: string };
    audit: AuditActor;
  },
): Promise<BulkOutcome> {
  authorize(canViewCases(options.actor));
  if (options.caseIds.length > BULK_CASE_LIMIT) throw badRequest(BULK_LIMIT_MESSAGE);
  return db.$transaction(
    async (tx) => {
      if (options.assigneeId) {
        const assignee = await tx.staffUser.findUnique({
          where: { id: options.assigneeId },
          select: { status: true },
        });
        if (assignee?.status !== "ACTIVE") throw conflict(ASSIGNEE_NOT_ACTIVE_MESSAGE);
      }
      return actOnLockedCases(tx, {
        caseIds: options.caseIds,
        skipReason: (vettingCase) => bulkSkipReason("assign", options.actor, vettingCase, options.assigneeId),
        act: async (vettingCase) => {
          await assignLockedCase(tx, {
            caseId: vettingCase.id,
            assigneeId: options.assigneeId,
            actor: options.actor,
            audit: options.audit,
            vettingCase,
            facts: vettingCase.facts,
          });
        },
      });
    },
    // Hundreds of cases, each a few statements: longer than Prisma's 5 s default may be needed.
    { timeout: 60_000 },
  );
}
