// Re-issuing a registration token: the old one revoked (homeserver first, as revokeRegistrationToken
// does), then, in one transaction, the old row REVOKED, a new token requested for the same person and
// case (row, job, audit), "matrix_token.reissued", and the email with a new one-time reveal link. The
// person gets that one email: the new link says all they need, the old token simply stops working.
// Each token is replaced at most once (registration_tokens.replacesId is unique), so two admins
// pressing the button at once make one new token.
import type { AuditActor } from "../../audit.js";
import { recordAudit } from "../../audit.js";
import { conflict } from "../../errors.js";
import { Prisma } from "../../generated/prisma/client.js";
import type { Actor } from "../../policies/staff.js";
import { enqueueRevealLinkEmail, requestRegistrationToken } from "./requestRegistrationToken.js";
import { REGISTRATION_TOKEN_SUBJECT } from "./revealRegistrationToken.js";
import {
  deleteOnHomeserver,
  FEATURE_OFF_MESSAGE,
  loadTokenToRevoke,
  markRevoked,
  type RegistrationTokenCommandDependencies,
} from "./revokeRegistrationToken.js";

export interface TReissueRegistrationToken {
  registrationTokenId: string;
  issuer: Actor;
  audit: AuditActor;
  now?: Date;
}

/** A catalog id, like every refusal here: the page translates it. */
export const ALREADY_REPLACED_MESSAGE = "staff.refusal.tokenAlreadyReplaced";

export async function reissueRegistrationToken(
  deps: RegistrationTokenCommandDependencies,
  options: TReissueRegistrationToken,
): Promise<{ registrationTokenId: string }> {
  const matrix = deps.config.matrix;
  if (!matrix) throw conflict(FEATURE_OFF_MESSAGE);
  const old = await loadTokenToRevoke(deps.db, options.registrationTokenId);
  if (old.replacedBy) throw conflict(ALREADY_REPLACED_MESSAGE);
  if (!old.personEmail) {
    throw conflict("staff.refusal.tokenPersonErased");
  }
  // A token already revoked was deleted then; anything else is deleted now, before a new one exists.
  const homeserverAnswer = old.state === "REVOKED" ? null : await deleteOnHomeserver(deps, old);
  const now = options.now ?? new Date();
  try {
    return await deps.db.$transaction(async (tx) => {
      if (homeserverAnswer) {
        await markRevoked(tx, old, {
          revokedBy: options.issuer,
          audit: options.audit,
          now,
          homeserverAnswer,
          forReissue: true,
        });
      }
      const { registrationTokenId, expiresAt } = await requestRegistrationToken(tx, deps.config, {
        caseId: old.caseId,
        personName: old.personName,
        personEmail: old.personEmail,
        note: old.note,
        createdById: options.issuer.id,
        replacesId: old.id,
        audit: options.audit,
        now,
      });
      await recordAudit(
        tx,
        options.audit,
        "matrix_token.reissued",
        { type: REGISTRATION_TOKEN_SUBJECT, id: registrationTokenId },
        { caseId: old.caseId, replacesId: old.id },
      );
      await enqueueRevealLinkEmail(tx, { ...old, id: registrationTokenId, expiresAt });
      return { registrationTokenId };
    });
  } catch (error) {
    // Another admin's re-issue of the same token committed first (replacesId is unique).
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
      throw conflict(ALREADY_REPLACED_MESSAGE);
    }
    throw error;
  }
}
