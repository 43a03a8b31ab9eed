// The requester withdraws their standalone token request while it still waits for a second admin. The
// request is closed (CANCELLED, with the time, so the retention purge counts from it), the approvers'
// emails not yet sent are cancelled, and nobody else is told. Conditional on PENDING, so a withdrawal
// racing an approval is one or the other, never both.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Database } from "../../db.js";
import { conflict, notFound } from "../../errors.js";
import { canCancelTokenRequest } from "../../policies/registrationTokens.js";
import { type Actor, authorize } from "../../policies/staff.js";
import { ALREADY_DECIDED_MESSAGE, cancelApprovalEmails } from "./decideRegistrationTokenRequest.js";
import { TOKEN_REQUEST_SUBJECT } from "./requestStandaloneRegistrationToken.js";

export async function cancelRegistrationTokenRequest(
  db: Database,
  options: { requestId: string; actor: Actor; audit: AuditActor; now?: Date },
): Promise<void> {
  const now = options.now ?? new Date();
  await db.$transaction(async (tx) => {
    const request = await tx.registrationTokenRequest.findUnique({
      where: { id: options.requestId },
      select: { id: true, status: true, requestedById: true },
    });
    if (!request) throw notFound("There is no such request.");
    if (request.status !== "PENDING") throw conflict(ALREADY_DECIDED_MESSAGE);
    authorize(
      canCancelTokenRequest(options.actor, request),
      "Only the admin who asked for it may withdraw a request.",
    );
    const { count } = await tx.registrationTokenRequest.updateMany({
      where: { id: request.id, status: "PENDING", requestedById: options.actor.id },
      data: { status: "CANCELLED", decidedById: options.actor.id, decidedAt: now },
    });
    if (count !== 1) throw conflict(ALREADY_DECIDED_MESSAGE);
    await cancelApprovalEmails(tx, request.id);
    await recordAudit(tx, options.audit, "matrix_token.request_cancelled", {
      type: TOKEN_REQUEST_SUBJECT,
      id: request.id,
    });
  });
}
