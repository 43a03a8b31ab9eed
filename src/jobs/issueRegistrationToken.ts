// The job that creates a registration token on the homeserver, after the approval (of a case, or of a
// standalone token request, or a re-issue) committed its PENDING row. Safe to run any number of times: the token string is
// ours and fixed, so a second create answers "already exists", which counts as success.
//
// Retries: a retryable failure (timeout, network, 5xx, 429) records the attempt on the row and schedules
// the same job again with exponential backoff, like the mail outbox does, rather than throwing for
// graphile-worker's own retry: the row then says how many attempts were made and why the last failed
// (admins see it on the case page), the horizon is ours and explicit, and the queue holds no "failed"
// jobs for what is an expected outage. Past the horizon, or on 401/403 (our admin token is wrong) or
// another 4xx, the token is FAILED for good, audited, and nothing retries it.

import { recordAudit } from "../audit.js";
import { notifyStaff } from "../commands/notifications/notifyStaff.js";
import type { Config } from "../config.js";
import type { Database } from "../db.js";
import type { Logger } from "../logger.js";
import { retryDelayMs } from "../mail/outbox.js";
import { type SynapseAdmin, SynapseAdminError } from "../matrix/synapseAdmin.js";
import { openRegistrationToken } from "../matrix/tokenSecrets.js";
import { totpKeyring } from "../secrets.js";
import { enqueueJob } from "./queue.js";

export interface IssueRegistrationTokenDependencies {
  config: Pick<Config, "matrix"> & { staff: Pick<Config["staff"], "totpKey" | "totpKeyPrevious"> };
  db: Database;
  logger: Logger;
  /** null: no homeserver configured (the feature is off). */
  synapse: SynapseAdmin | null;
}

/** The first retry after 30 s, then 1, 2, 4 … minutes, at most an hour apart (with jitter). */
export const ISSUE_RETRY_BASE_MS = 30_000;
/** A homeserver down for a day is an outage for people to fix, not for the queue to wait out. */
export const ISSUE_RETRY_HORIZON_MS = 24 * 60 * 60 * 1000;

export type IssueOutcome = "created" | "retry_scheduled" | "failed" | "nothing_to_do" | "feature_off";

const AUDIT_ACTOR = { label: "system" };

export async function issueRegistrationToken(
  deps: IssueRegistrationTokenDependencies,
  registrationTokenId: string,
  options: { now?: () => Date; retryBaseMs?: number; retryHorizonMs?: number } = {},
): Promise<IssueOutcome> {
  const now = options.now ?? (() => new Date());
  const jobLogger = deps.logger.child({ category: "matrix", registrationTokenId });
  if (!deps.synapse || !deps.config.matrix) {
    // Left PENDING: once a homeserver is configured, an admin can re-issue it.
    jobLogger.warn("registration token not created: no homeserver is configured (MATRIX_HOMESERVER_URL)");
    return "feature_off";
  }
  const row = await deps.db.registrationToken.findUnique({
    where: { id: registrationTokenId },
    select: { id: true, state: true, tokenSealed: true, expiresAt: true, attempts: true, createdAt: true },
  });
  if (row?.state !== "PENDING") return "nothing_to_do";

  const token = openRegistrationToken(totpKeyring(deps.config.staff), row.tokenSealed);
  const attempts = row.attempts + 1;
  let answer: "created" | "already_exists";
  try {
    answer = await deps.synapse.createRegistrationToken({ token, expiresAt: row.expiresAt });
  } catch (error) {
    if (!(error instanceof SynapseAdminError)) throw error;
    return recordFailure(deps, jobLogger, row, attempts, error, {
      now: now(),
      retryBaseMs: options.retryBaseMs ?? ISSUE_RETRY_BASE_MS,
      retryHorizonMs: options.retryHorizonMs ?? ISSUE_RETRY_HORIZON_MS,
    });
  }

  const updated = await deps.db.$transaction(async (tx) => {
    // Only from PENDING: an admin may have revoked it while the call was in flight.
    const { count } = await tx.registrationToken.updateMany({
      where: { id: row.id, state: "PENDING" },
      data: { state: "CREATED", createdOnHomeserverAt: now(), attempts, lastError: null },
    });
    if (count === 1) {
      await recordAudit(
        tx,
        AUDIT_ACTOR,
        "matrix_token.created",
        { type: "registration_token", id: row.id },
        { attempts, homeserverAnswer: answer },
      );
    }
    return count === 1;
  });
  if (!updated) {
    // Revoked while we were creating it: the revoke's delete may have come before our create, so the
    // token could be live on the homeserver. Delete it again (not_found is fine).
    await deps.synapse.deleteRegistrationToken(token).catch((error: unknown) => {
      jobLogger.error(
        { err: error instanceof SynapseAdminError ? error.message : "unknown error" },
        "a token revoked during its creation could not be deleted from the homeserver",
      );
    });
    return "nothing_to_do";
  }
  jobLogger.info({ attempts, homeserverAnswer: answer }, "registration token created on the homeserver");
  return "created";
}

async function recordFailure(
  deps: IssueRegistrationTokenDependencies,
  jobLogger: Logger,
  row: { id: string; createdAt: Date },
  attempts: number,
  error: SynapseAdminError,
  policy: { now: Date; retryBaseMs: number; retryHorizonMs: number },
): Promise<IssueOutcome> {
  // SynapseAdminError messages never hold a token (synapseAdmin.ts cuts them out), so they may be stored.
  const lastError = error.message.slice(0, 500);
  const nextAttemptAt = new Date(policy.now.getTime() + retryDelayMs(policy.retryBaseMs, attempts));
  const pastHorizon = nextAttemptAt.getTime() > row.createdAt.getTime() + policy.retryHorizonMs;
  const giveUp = error.kind !== "retryable" || pastHorizon;

  await deps.db.$transaction(async (tx) => {
    const data = giveUp
      ? { attempts, lastError, state: "FAILED" as const, failedAt: policy.now }
      : { attempts, lastError };
    const { count } = await tx.registrationToken.updateMany({
      where: { id: row.id, state: "PENDING" },
      data,
    });
    if (count === 0) return;
    if (giveUp) {
      await recordAudit(
        tx,
        AUDIT_ACTOR,
        "matrix_token.failed",
        { type: "registration_token", id: row.id },
        {
          reason: pastHorizon && error.kind === "retryable" ? "retry_horizon" : error.kind,
          status: error.status,
          lastError,
          attempts,
        },
      );
      await notifyStaff(tx, {
        notification: { kind: "registration_token_failed", registrationTokenId: row.id },
      });
    } else {
      await enqueueJob(
        tx,
        "issue_registration_token",
        { registrationTokenId: row.id },
        { jobKey: `issue_registration_token:${row.id}`, runAt: nextAttemptAt },
      );
    }
  });
  if (giveUp) {
    jobLogger.error({ attempts, kind: error.kind, lastError }, "registration token failed for good");
    return "failed";
  }
  jobLogger.warn(
    { attempts, nextAttemptAt, lastError },
    "registration token not created yet; retry scheduled",
  );
  return "retry_scheduled";
}
