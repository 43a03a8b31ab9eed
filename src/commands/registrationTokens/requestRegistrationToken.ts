// A new registration token for a person: the row (PENDING, with the string we generated, sealed) and the
// job that creates it on the homeserver, in the caller's transaction, with its audit row. Used on a
// case's approval (decideCase), by the approval of a standalone token request
// (decideRegistrationTokenRequest), and by re-issue. The homeserver is never called from a request: the
// job does it, after the commit: a token created before a transaction that then rolls back would admit
// someone the portal has no record of.

import { type AuditActor, recordAudit } from "../../audit.js";
import type { Config } from "../../config.js";
import type { Transaction } from "../../db.js";
import { enqueueJob } from "../../jobs/queue.js";
import { enqueueEmail } from "../../mail/outbox.js";
import {
  generateRegistrationToken,
  registrationTokenLookup,
  sealRegistrationToken,
} from "../../matrix/tokenSecrets.js";

export interface TRequestRegistrationToken {
  /** The approved case, or null for an approved standalone token request. */
  caseId: string | null;
  personName: string;
  personEmail: string;
  note?: string | null;
  createdById: string;
  /** The token this one replaces (re-issue). */
  replacesId?: string | null;
  audit: AuditActor;
  now?: Date;
}

export async function requestRegistrationToken(
  tx: Transaction,
  config: Pick<Config, "matrix"> & { staff: Pick<Config["staff"], "totpKey" | "totpKeyPrevious"> },
  options: TRequestRegistrationToken,
): Promise<{ registrationTokenId: string; expiresAt: Date }> {
  if (!config.matrix) throw new Error("Matrix registration tokens are off (no homeserver configured)");
  const token = generateRegistrationToken();
  const now = options.now ?? new Date();
  const row = await tx.registrationToken.create({
    data: {
      caseId: options.caseId,
      personName: options.personName,
      personEmail: options.personEmail.toLowerCase(),
      note: options.note ?? null,
      tokenSealed: sealRegistrationToken(config.staff.totpKey, token),
      tokenLookup: registrationTokenLookup(config.staff.totpKey, token),
      expiresAt: new Date(now.getTime() + config.matrix.tokenLifetimeMs),
      createdById: options.createdById,
      replacesId: options.replacesId ?? null,
    },
    select: { id: true, expiresAt: true },
  });
  await recordAudit(
    tx,
    options.audit,
    "matrix_token.requested",
    { type: "registration_token", id: row.id },
    { caseId: options.caseId, replacesId: options.replacesId ?? null },
  );
  // One job per token (job_key): adding it again never runs it twice.
  await enqueueJob(
    tx,
    "issue_registration_token",
    { registrationTokenId: row.id },
    { jobKey: `issue_registration_token:${row.id}` },
  );
  return { registrationTokenId: row.id, expiresAt: row.expiresAt };
}

/**
 * The email with a one-time link that reveals the token (registration_token_ready), in the caller's
 * transaction: on a standalone request's approval, a re-issue, or the person asking for a new link. The
 * link is minted at delivery; the email never holds the token.
 */
export async function enqueueRevealLinkEmail(
  tx: Transaction,
  token: { id: string; personName: string; personEmail: string; expiresAt: Date },
): Promise<void> {
  // A token for a case's applicant is written in the language they applied in; a standalone one (no
  // case, so no language known) in the first offered.
  const { vettingCase } = await tx.registrationToken.findUniqueOrThrow({
    where: { id: token.id },
    select: { vettingCase: { select: { language: true } } },
  });
  await enqueueEmail(tx, {
    kind: "registration_token_ready",
    recipient: token.personEmail,
    payload: { personName: token.personName, registrationTokenExpiresAt: token.expiresAt.toISOString() },
    linkSubject: { type: "registration_token", id: token.id },
    language: vettingCase?.language ?? null,
  });
}
