// Revoking a registration token: the homeserver first, then our row. The DELETE is made outside any
// transaction (a database transaction must not wait on another server); only when the homeserver has
// confirmed it (deleted, or 404: already gone) do we write REVOKED, the audit row and the email to the
// person, in one transaction. A homeserver that fails changes nothing here, and the admin is told why.
//
// The issue job and a revoke may cross: the job writes CREATED only over PENDING and deletes the token
// again when it finds the row revoked (jobs/issueRegistrationToken.ts).
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Config } from "../../config.js";
import type { Database, Transaction } from "../../db.js";
import { conflict, notFound } from "../../errors.js";
import type { RegistrationTokenState } from "../../generated/prisma/client.js";
import { enqueueEmail } from "../../mail/outbox.js";
import { type SynapseAdmin, SynapseAdminError } from "../../matrix/synapseAdmin.js";
import { openRegistrationToken } from "../../matrix/tokenSecrets.js";
import type { Actor } from "../../policies/staff.js";
import { totpKeyring } from "../../secrets.js";
import { REGISTRATION_TOKEN_SUBJECT } from "./revealRegistrationToken.js";

export interface RegistrationTokenCommandDependencies {
  db: Database;
  config: Pick<Config, "matrix"> & { staff: Pick<Config["staff"], "totpKey" | "totpKeyPrevious"> };
  /** null: no homeserver configured; revoking is then refused. */
  synapse: SynapseAdmin | null;
}

export interface TRevokeRegistrationToken {
  registrationTokenId: string;
  revokedBy: Actor;
  audit: AuditActor;
  now?: Date;
}

/** The homeserver did not confirm the deletion: nothing was changed. Its message is safe to show. */
export class HomeserverRefusedError extends Error {
  override readonly name = "HomeserverRefusedError";
}

/** A catalog id, like every refusal here: the page translates it. */
export const FEATURE_OFF_MESSAGE = "staff.refusal.tokensOff";

export interface TokenToRevoke {
  id: string;
  state: RegistrationTokenState;
  tokenSealed: string;
  caseId: string | null;
  personName: string;
  personEmail: string;
  note: string | null;
  replacedBy: { id: string } | null;
}

export async function loadTokenToRevoke(db: Database, registrationTokenId: string): Promise<TokenToRevoke> {
  const row = await db.registrationToken.findUnique({
    where: { id: registrationTokenId },
    select: {
      id: true,
      state: true,
      tokenSealed: true,
      caseId: true,
      personName: true,
      personEmail: true,
      note: true,
      replacedBy: { select: { id: true } },
    },
  });
  if (!row) throw notFound("There is no such registration token.");
  return row;
}

/**
 * The DELETE on the homeserver, outside any transaction. Every state is asked, PENDING and FAILED too: a
 * create whose answer was lost may have made the token even though we never saw it succeed.
 */
export async function deleteOnHomeserver(
  deps: RegistrationTokenCommandDependencies,
  row: TokenToRevoke,
): Promise<"deleted" | "not_found"> {
  if (!deps.synapse || !deps.config.matrix) throw conflict(FEATURE_OFF_MESSAGE);
  const token = openRegistrationToken(totpKeyring(deps.config.staff), row.tokenSealed);
  try {
    return await deps.synapse.deleteRegistrationToken(token);
  } catch (error) {
    if (!(error instanceof SynapseAdminError)) throw error;
    throw new HomeserverRefusedError(
      error.kind === "unauthorized"
        ? `The homeserver refused the portal's admin token, so the token was not revoked (${error.message}). Check MATRIX_ADMIN_TOKEN.`
        : `The homeserver did not confirm the revocation, so nothing was changed (${error.message}). Try again in a moment.`,
    );
  }
}

/** REVOKED over any other state, with its audit row; false when someone revoked it first. */
export async function markRevoked(
  tx: Transaction,
  row: TokenToRevoke,
  options: {
    revokedBy: Actor;
    audit: AuditActor;
    now: Date;
    homeserverAnswer: "deleted" | "not_found";
    forReissue: boolean;
  },
): Promise<boolean> {
  const { count } = await tx.registrationToken.updateMany({
    where: { id: row.id, state: { not: "REVOKED" } },
    data: { state: "REVOKED", revokedAt: options.now, revokedById: options.revokedBy.id },
  });
  if (count === 0) return false;
  await recordAudit(
    tx,
    options.audit,
    "matrix_token.revoked",
    { type: REGISTRATION_TOKEN_SUBJECT, id: row.id },
    {
      caseId: row.caseId,
      previousState: row.state,
      homeserverAnswer: options.homeserverAnswer,
      forReissue: options.forReissue,
    },
  );
  return true;
}

export async function revokeRegistrationToken(
  deps: RegistrationTokenCommandDependencies,
  options: TRevokeRegistrationToken,
): Promise<{ homeserverAnswer: "deleted" | "not_found" }> {
  const row = await loadTokenToRevoke(deps.db, options.registrationTokenId);
  if (row.state === "REVOKED") throw conflict("staff.refusal.tokenAlreadyRevoked");
  const homeserverAnswer = await deleteOnHomeserver(deps, row);
  const now = options.now ?? new Date();
  await deps.db.$transaction(async (tx) => {
    const isRevokedNow = await markRevoked(tx, row, {
      revokedBy: options.revokedBy,
      audit: options.audit,
      now,
      homeserverAnswer,
      forReissue: false,
    });
    // Someone else's revoke came first and sent the email: nothing more to do.
    if (!isRevokedNow) return;
    // An erased person's row has no address left: nobody to tell.
    if (row.personEmail) {
      const vettingCase = row.caseId
        ? await tx.vettingCase.findUnique({ where: { id: row.caseId }, select: { language: true } })
        : null;
      await enqueueEmail(tx, {
        kind: "registration_token_revoked",
        recipient: row.personEmail,
        payload: { personName: row.personName },
        language: vettingCase?.language ?? null,
      });
    }
  });
  return { homeserverAnswer };
}
