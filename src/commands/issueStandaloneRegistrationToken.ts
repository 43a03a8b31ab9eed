// The standalone form (the original system's, for inviting admins and up): a registration token for a
// person without a case. One transaction: the PENDING row with its job and audit row
// (requestRegistrationToken) and the email to the person with the one-time link to the page that
// reveals it (minted when the mail leaves; the token itself never enters the email). The caller has
// authorized the admin and counted the token against their limits.
import type { AuditActor } from "../audit.js";
import type { Config } from "../config.js";
import type { Database } from "../db.js";
import type { Actor } from "../policies/staff.js";
import { enqueueRevealLinkEmail, requestRegistrationToken } from "./requestRegistrationToken.js";

export interface TIssueStandaloneRegistrationToken {
  personName: string;
  personEmail: string;
  note: string | null;
  issuer: Actor;
  audit: AuditActor;
  now?: Date;
}

export async function issueStandaloneRegistrationToken(
  db: Database,
  config: Pick<Config, "matrix"> & { staff: Pick<Config["staff"], "totpKey"> },
  options: TIssueStandaloneRegistrationToken,
): Promise<{ registrationTokenId: string }> {
  const matrix = config.matrix;
  if (!matrix) throw new Error("Matrix registration tokens are off (no homeserver configured)");
  const now = options.now ?? new Date();
  return db.$transaction(async (tx) => {
    const { registrationTokenId, expiresAt } = await requestRegistrationToken(tx, config, {
      caseId: null,
      personName: options.personName,
      personEmail: options.personEmail,
      note: options.note,
      createdById: options.issuer.id,
      audit: options.audit,
      now,
    });
    await enqueueRevealLinkEmail(tx, {
      id: registrationTokenId,
      personName: options.personName,
      personEmail: options.personEmail,
      expiresAt,
    });
    return { registrationTokenId };
  });
}
