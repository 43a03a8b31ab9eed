// A second admin decides a standalone token request (four eyes). Approving mints the token exactly as
// the standalone form once did: the token row with its job and audit row (requestRegistrationToken) and
// the email to the person with a one-time link that reveals it, linked to the request. Rejecting records
// the note; the person is never emailed about a rejected request. Either way the approvers' emails not
// yet sent are cancelled.
//
// The decision is a conditional UPDATE … WHERE status = 'PENDING' in the same transaction as the mint:
// when two admins approve at once, the second UPDATE waits for the first to commit, then matches no row,
// so exactly one token is made and the other admin gets a conflict.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Config } from "../../config.js";
import type { Database, Transaction } from "../../db.js";
import { conflict, notFound } from "../../errors.js";
import { canDecideTokenRequest } from "../../policies/registrationTokens.js";
import { type Actor, authorize } from "../../policies/staff.js";
import { enqueueRevealLinkEmail, requestRegistrationToken } from "./requestRegistrationToken.js";
import { TOKEN_REQUEST_SUBJECT } from "./requestStandaloneRegistrationToken.js";

// Catalog ids: the page translates them.
export const ALREADY_DECIDED_MESSAGE = "staff.refusal.tokenRequestDecided";
export const STANDALONE_TOKENS_OFF_MESSAGE = "staff.refusal.standaloneTokensOff";
export const NO_HOMESERVER_MESSAGE = "staff.refusal.noHomeserverForRequests";

type TokenConfig = Pick<Config, "matrix" | "standaloneTokens"> & {
  staff: Pick<Config["staff"], "totpKey" | "totpKeyPrevious">;
};

/** Why no request can be approved here now (the form switched off, or no homeserver), or null. */
export function approvalRefusalFor(config: Pick<Config, "matrix" | "standaloneTokens">): string | null {
  if (config.standaloneTokens === "off") return STANDALONE_TOKENS_OFF_MESSAGE;
  if (!config.matrix) return NO_HOMESERVER_MESSAGE;
  return null;
}

export interface TDecideRegistrationTokenRequest {
  requestId: string;
  decision: "approve" | "reject";
  note: string | null;
  decider: Actor;
  audit: AuditActor;
  now?: Date;
}

export async function decideRegistrationTokenRequest(
  db: Database,
  config: TokenConfig,
  options: TDecideRegistrationTokenRequest,
): Promise<{ registrationTokenId: string | null }> {
  const now = options.now ?? new Date();
  return db.$transaction(async (tx) => {
    const request = await tx.registrationTokenRequest.findUnique({
      where: { id: options.requestId },
      select: {
        id: true,
        status: true,
        requestedById: true,
        personName: true,
        personEmail: true,
        note: true,
      },
    });
    if (!request) throw notFound("There is no such request.");
    // A decided request is a conflict for anyone (it may have been theirs to decide a moment ago).
    if (request.status !== "PENDING") throw conflict(ALREADY_DECIDED_MESSAGE);
    authorize(
      canDecideTokenRequest(options.decider, request),
      "You asked for this token, so a different inviting admin (or above) has to approve or reject it.",
    );
    const isApproved = options.decision === "approve";
    if (isApproved) {
      const refusal = approvalRefusalFor(config);
      if (refusal) throw conflict(refusal);
    }
    const { count } = await tx.registrationTokenRequest.updateMany({
      where: { id: request.id, status: "PENDING" },
      data: {
        status: isApproved ? "APPROVED" : "REJECTED",
        decidedById: options.decider.id,
        decidedAt: now,
        decisionNote: options.note,
      },
    });
    if (count !== 1) throw conflict(ALREADY_DECIDED_MESSAGE);
    await cancelApprovalEmails(tx, request.id);
    const subject = { type: TOKEN_REQUEST_SUBJECT, id: request.id };
    if (!isApproved) {
      await recordAudit(tx, options.audit, "matrix_token.request_rejected", subject, {
        requestedById: request.requestedById,
      });
      return { registrationTokenId: null };
    }
    const { registrationTokenId, expiresAt } = await requestRegistrationToken(tx, config, {
      caseId: null,
      personName: request.personName,
      personEmail: request.personEmail,
      note: request.note,
      createdById: options.decider.id,
      audit: options.audit,
      now,
    });
    await tx.registrationTokenRequest.update({ where: { id: request.id }, data: { registrationTokenId } });
    await enqueueRevealLinkEmail(tx, {
      id: registrationTokenId,
      personName: request.personName,
      personEmail: request.personEmail,
      expiresAt,
    });
    await recordAudit(tx, options.audit, "matrix_token.request_approved", subject, {
      requestedById: request.requestedById,
      registrationTokenId,
    });
    return { registrationTokenId };
  });
}

/** The approvers' emails still waiting to go out: moot once the request is closed. */
export async function cancelApprovalEmails(tx: Transaction, requestId: string): Promise<void> {
  await tx.outboxMessage.updateMany({
    where: { linkSubjectType: TOKEN_REQUEST_SUBJECT, linkSubjectId: requestId, status: "QUEUED" },
    data: { status: "CANCELLED" },
  });
}
