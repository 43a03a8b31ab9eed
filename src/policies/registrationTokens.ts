// Who may see and act on Matrix registration tokens: inviting admins and up, the people who admit
// others to the community, since a token is an admission.
import type { ApprovalStatus, RegistrationTokenState } from "../generated/prisma/client.js";
import { type Actor, hasRole } from "./staff.js";

/** The tokens page: every token the portal issued, with its live status. */
export function canListRegistrationTokens(actor: Actor): boolean {
  return hasRole(actor, "INVITING_ADMIN");
}

/**
 * Revoking (and so re-issuing) a token that may still be live on the homeserver: not one already revoked.
 * A PENDING token may be revoked too: the delete reaches the homeserver first, and the job then finds
 * the row REVOKED and does nothing.
 */
export function canRevokeRegistrationToken(actor: Actor, token?: { state: RegistrationTokenState }): boolean {
  if (!hasRole(actor, "INVITING_ADMIN")) return false;
  return token === undefined || token.state !== "REVOKED";
}

/** Re-issuing: a new token for the same person, replacing this one (each token is replaced at most once). */
export function canReissueRegistrationToken(
  actor: Actor,
  token?: { state: RegistrationTokenState; isReplaced: boolean },
): boolean {
  if (!hasRole(actor, "INVITING_ADMIN")) return false;
  return token === undefined || !token.isReplaced;
}

/**
 * The standalone form: asking for a token for a person without a case. It is a request until a second
 * admin approves it (canDecideTokenRequest); the form itself may be switched off (STANDALONE_TOKENS).
 */
export function canRequestStandaloneToken(actor: Actor): boolean {
  return hasRole(actor, "INVITING_ADMIN");
}

export interface TokenRequestForPolicy {
  requestedById: string;
  status: ApprovalStatus;
}

/** Four eyes: approving or rejecting a pending request is for another inviting admin and up, never its requester. */
export function canDecideTokenRequest(actor: Actor, request: TokenRequestForPolicy): boolean {
  if (!hasRole(actor, "INVITING_ADMIN")) return false;
  return request.status === "PENDING" && actor.id !== request.requestedById;
}

/** Withdrawing a pending request: its requester only. */
export function canCancelTokenRequest(actor: Actor, request: TokenRequestForPolicy): boolean {
  if (!hasRole(actor, "INVITING_ADMIN")) return false;
  return request.status === "PENDING" && actor.id === request.requestedById;
}
