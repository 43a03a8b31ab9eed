// recordAudit() is called inside the transaction of every command, so a state change and its audit
// row commit or roll back together.

import type { Transaction } from "./db.js";
import type { Prisma } from "./generated/prisma/client.js";

export type AuditAction = "staff.superadmin_created" | "setup.link_issued";

export interface AuditActor {
  /** The staff account acting, when there is one. */
  staffUserId?: string;
  /** Who acted when there is no account: "setup link", "terminal", "system". */
  label: string;
  requestId?: string;
  ipAddress?: string;
  userAgent?: string;
}

export async function recordAudit(
  tx: Transaction,
  actor: AuditActor,
  action: AuditAction,
  subject: { type: string; id: string } | null,
  details: Prisma.InputJsonObject = {},
): Promise<void> {
  await tx.auditEvent.create({
    data: {
      actorId: actor.staffUserId ?? null,
      actorLabel: actor.label,
      action,
      subjectType: subject?.type ?? null,
      subjectId: subject?.id ?? null,
      details,
      requestId: actor.requestId ?? null,
      ipAddress: actor.ipAddress ?? null,
      userAgent: actor.userAgent?.slice(0, 512) ?? null,
    },
  });
}
