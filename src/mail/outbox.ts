// The outbox: every email is a row, written in the transaction of the change it reports, and
// delivered by the worker.
//
// Lifecycle of a row:
//   enqueueEmail()   QUEUED, plus a deliver_email job, both in the caller's transaction
//   deliverEmail()   claim QUEUED → SENDING atomically (one worker wins, however many run),
//                    mint the link token if the kind has one (only its hash is stored),
//                    render, hand to the relay, then write SENT with the relay that accepted it.
//                    A failure writes QUEUED with the next attempt time (exponential backoff),
//                    or FAILED when retrying cannot help or the retry horizon has passed.
//   recoverInterruptedEmails()  a row left SENDING by a worker that died between the relay's
//                    acceptance and our write goes back to QUEUED: that one message may be sent
//                    twice, with the same Message-ID; no other message is affected.
import { randomUUID } from "node:crypto";
import type nunjucks from "nunjucks";
import type pg from "pg";
import { RateLimiterPostgres, RateLimiterRes } from "rate-limiter-flexible";
import type { Config } from "../config.js";
import type { Database, Transaction } from "../db.js";
import type { Prisma } from "../generated/prisma/client.js";
import { enqueueJob } from "../jobs/queue.js";
import type { Logger } from "../logger.js";
import { type IssuedLinkToken, issueLinkToken, type LinkPurpose, type LinkSubject } from "../tokens.js";
import { absoluteUrl } from "../urls.js";
import { ZRecipientAddress } from "./messages/address.js";
import { EmailRenderError, findMessageKind, renderContextFor, renderEmail } from "./messages/index.js";
import { linkLifetimeMs } from "./messages/kind.js";
import { MailDeliveryError, type MailRelay } from "./relay.js";

const MAX_RETRY_DELAY_MS = 60 * 60 * 1000;

export class InvalidEmailError extends Error {
  override readonly name = "InvalidEmailError";
}

export interface TEmailToSend {
  /** A message kind from src/mail/messages. */
  kind: string;
  recipient: string;
  /** Display data the kind's templates need, validated by the kind's schema now and at delivery. */
  payload?: Prisma.InputJsonObject;
  /** What the kind's link acts on (kinds with a link only). */
  linkSubject?: LinkSubject;
  /** The row's id, when the caller must recognise its own row on a second run (a job run twice). */
  id?: string;
  /**
   * The recipient's language for an applicant's email: their case's `language`. Fixed on the row now, so
   * the worker writes in the language the person chose, however long the message waits.
   */
  language?: string | null;
}

/** An outbox row's values, checked: the kind exists, the address can be delivered to, the payload fits. */
export interface PreparedEmail {
  id: string;
  kind: string;
  recipient: string;
  payload: Prisma.InputJsonObject;
  linkSubjectType: string | null;
  linkSubjectId: string | null;
  language: string | null;
}

/** Checks an email before it is queued: a mistake here is the caller's bug, thrown before anything is written. */
export function prepareEmail(email: TEmailToSend): PreparedEmail {
  const messageKind = findMessageKind(email.kind);
  if (!messageKind) throw new InvalidEmailError(`Unknown message kind "${email.kind}"`);
  const recipient = ZRecipientAddress.safeParse(email.recipient);
  if (!recipient.success)
    throw new InvalidEmailError(`Not a deliverable address: ${JSON.stringify(email.recipient)}`);
  const payload = messageKind.payloadSchema.safeParse(email.payload ?? {});
  if (!payload.success)
    throw new InvalidEmailError(`Invalid payload for ${email.kind}: ${payload.error.message}`);
  return {
    id: email.id ?? randomUUID(),
    kind: email.kind,
    recipient: recipient.data,
    payload: payload.data as Prisma.InputJsonObject,
    linkSubjectType: email.linkSubject?.type ?? null,
    linkSubjectId: email.linkSubject?.id ?? null,
    language: email.language ?? null,
  };
}

/** Call inside the transaction of the state change the email reports. */
export async function enqueueEmail(
  tx: Transaction,
  email: TEmailToSend,
): Promise<{ outboxMessageId: string }> {
  const prepared = prepareEmail(email);
  await tx.outboxMessage.create({ data: prepared });
  await scheduleDelivery(tx, prepared.id, null);
  return { outboxMessageId: prepared.id };
}

/**
 * The delivery job of an outbox row, as scheduleDelivery adds it: one job per row (its key), ten
 * attempts. Commands that queue their email inside one SQL statement (startApplication) add it with
 * DELIVERY_JOB_SQL, the same call.
 */
export const DELIVERY_JOB = { name: "deliver_email", maxAttempts: 10, keyPrefix: "email:" } as const;

export function deliveryJobKey(outboxMessageId: string): string {
  return `${DELIVERY_JOB.keyPrefix}${outboxMessageId}`;
}

/** graphile-worker's add_job for the outbox row whose id is the SQL expression `idExpression`, due now. */
export function deliveryJobSql(idExpression: string): string {
  return `graphile_worker.add_job('${DELIVERY_JOB.name}', json_build_object('outboxMessageId', ${idExpression}),
    run_at => now(), job_key => '${DELIVERY_JOB.keyPrefix}' || ${idExpression}, max_attempts => ${DELIVERY_JOB.maxAttempts})`;
}

/**
 * An operator's retry of a message that stopped (FAILED, or CANCELLED by an operator): back to QUEUED,
 * due now, with its delivery job, in the caller's transaction. Conditional, so a row in any other state
 * is left alone; returns whether the row moved.
 */
export async function requeueStoppedEmail(tx: Transaction, outboxMessageId: string): Promise<boolean> {
  // The database's clock, as the worker's claim compares nextAttemptAt with its now().
  const moved = await tx.$executeRaw`
    UPDATE outbox_messages SET status = 'QUEUED', "nextAttemptAt" = now(), "updatedAt" = now()
     WHERE id = ${outboxMessageId}::uuid AND status IN ('FAILED', 'CANCELLED')`;
  if (moved === 0) return false;
  await scheduleDelivery(tx, outboxMessageId, null);
  return true;
}

/** (Re)schedules the row's delivery job; one job per row, whatever happened before. */
function scheduleDelivery(tx: Transaction, outboxMessageId: string, runAt: Date | null): Promise<void> {
  return enqueueJob(
    tx,
    DELIVERY_JOB.name,
    { outboxMessageId },
    { jobKey: deliveryJobKey(outboxMessageId), runAt, maxAttempts: DELIVERY_JOB.maxAttempts },
  );
}

export interface MailDeliveryDependencies {
  config: Config;
  db: Database;
  views: nunjucks.Environment;
  relay: MailRelay;
  logger: Logger;
  /** Present when MAIL_MAX_PER_MINUTE caps throughput (shared by every worker through Postgres). */
  throttle: MailThrottle | null;
}

export type DeliveryOutcome = "sent" | "retry_scheduled" | "failed" | "throttled" | "not_claimable";

interface ClaimedRow {
  id: string;
  kind: string;
  recipient: string;
  payload: unknown;
  linkSubjectType: string | null;
  linkSubjectId: string | null;
  language: string | null;
  attempts: number;
  messageId: string;
  createdAt: Date;
}

export async function deliverEmail(
  deps: MailDeliveryDependencies,
  outboxMessageId: string,
  now: () => Date = () => new Date(),
): Promise<DeliveryOutcome> {
  const messageIdDomain = deps.config.mail.from.address.split("@")[1] ?? "localhost";

  // One statement: of several workers holding a job for this row, exactly one gets it back.
  // The Message-ID is fixed at the first claim and never changes afterwards.
  const [row] = await deps.db.$queryRaw<ClaimedRow[]>`
    UPDATE outbox_messages
       SET status = 'SENDING', attempts = attempts + 1, "sendingStartedAt" = now(), "updatedAt" = now(),
           "messageId" = coalesce("messageId", ${`<${outboxMessageId}@${messageIdDomain}>`})
     WHERE id = ${outboxMessageId}::uuid AND status = 'QUEUED' AND "nextAttemptAt" <= now()
 RETURNING id, kind, recipient, payload, "linkSubjectType", "linkSubjectId", language, attempts, "messageId",
           "createdAt"`;
  if (!row) return "not_claimable";
  const attempt = await sendClaimed(deps, row, now);
  if (attempt.outcome !== "accepted") return attempt.outcome;
  await markSent(deps, [{ row, acceptedBy: attempt.acceptedBy, sentAt: now() }]);
  return "sent";
}

/** At most this many rows per claim of deliverDueEmails. */
export const DELIVERY_BATCH_SIZE = 25;

/**
 * What the deliver_email job runs: its own row and, in the same claim, up to DELIVERY_BATCH_SIZE − 1
 * other rows that are due, sent one after another by this job. Under a burst (an announcement's
 * applications, a digest) the per-message work is then the SMTP transaction and little else: one claim
 * and one "sent" write per batch instead of two statements and a job fetch and completion per message
 * (npm run bench:mail). The other rows' jobs are removed in the claim's wake; any row this job does not
 * finish gets its job back (a failure's retry, a batch given back) or is recovered after the lease.
 *
 * Exactly-once holds as with deliverEmail: the claim is one UPDATE of rows still QUEUED, skipping rows
 * another worker is claiming (FOR UPDATE SKIP LOCKED), so a row is claimed once; a row's own job that
 * was already taken runs and finds nothing to claim. The rows are marked SENT together after the batch,
 * so a worker that dies mid-batch leaves the messages the relay accepted in that batch SENDING, and
 * recovery sends those again (with their Message-IDs) — at most one batch, where deliverEmail risks one
 * message. A batch is also given back, unsent, once half the lease has passed since its claim, so a slow
 * relay never lets the lease run out on rows still waiting their turn.
 *
 * With MAIL_MAX_PER_MINUTE set, every message asks the throttle first: one row per job, as deliverEmail.
 */
export async function deliverDueEmails(
  deps: MailDeliveryDependencies,
  outboxMessageId: string,
  now: () => Date = () => new Date(),
): Promise<DeliveryOutcome[]> {
  if (deps.throttle) return [await deliverEmail(deps, outboxMessageId, now)];
  const messageIdDomain = deps.config.mail.from.address.split("@")[1] ?? "localhost";
  const claimedAt = performance.now();
  const rows = await deps.db.$queryRaw<ClaimedRow[]>`
    UPDATE outbox_messages AS message
       SET status = 'SENDING', attempts = attempts + 1, "sendingStartedAt" = now(), "updatedAt" = now(),
           "messageId" = coalesce("messageId", '<' || message.id || ${`@${messageIdDomain}>`})
     WHERE id IN (SELECT id FROM outbox_messages
                   WHERE status = 'QUEUED' AND "nextAttemptAt" <= now()
                   ORDER BY id = ${outboxMessageId}::uuid DESC, "nextAttemptAt"
                   LIMIT ${DELIVERY_BATCH_SIZE} FOR UPDATE SKIP LOCKED)
 RETURNING id, kind, recipient, payload, "linkSubjectType", "linkSubjectId", language, attempts, "messageId",
           "createdAt"`;
  if (rows.length === 0) return ["not_claimable"];
  const othersJobKeys = rows.filter((row) => row.id !== outboxMessageId).map((row) => deliveryJobKey(row.id));
  if (othersJobKeys.length > 0) {
    await deps.db
      .$queryRaw`SELECT graphile_worker.remove_job(key) FROM unnest(${othersJobKeys}::text[]) AS key`;
  }

  const outcomes: DeliveryOutcome[] = [];
  const accepted: SentRow[] = [];
  const giveBackAfterMs = sendingLeaseMs(deps.config) / 2;
  try {
    for (const [index, row] of rows.entries()) {
      if (performance.now() - claimedAt > giveBackAfterMs) {
        await giveBack(deps, rows.slice(index));
        break;
      }
      const attempt = await sendClaimed(deps, row, now);
      if (attempt.outcome === "accepted")
        accepted.push({ row, acceptedBy: attempt.acceptedBy, sentAt: now() });
      outcomes.push(attempt.outcome === "accepted" ? "sent" : attempt.outcome);
    }
  } finally {
    if (accepted.length > 0) await markSent(deps, accepted);
  }
  return outcomes;
}

interface SentRow {
  row: ClaimedRow;
  acceptedBy: string;
  sentAt: Date;
}

/** Rows the relay accepted: SENT, with the port that took each; one statement for a batch. */
async function markSent(deps: MailDeliveryDependencies, sent: SentRow[]): Promise<void> {
  await deps.db.$executeRaw`
    UPDATE outbox_messages AS message
       SET status = 'SENT', "sentAt" = sent."sentAt", "acceptedBy" = sent."acceptedBy", "lastError" = NULL,
           "updatedAt" = now()
      FROM unnest(${sent.map(({ row }) => row.id)}::uuid[], ${sent.map(({ acceptedBy }) => acceptedBy)}::text[],
                  ${sent.map(({ sentAt }) => sentAt)}::timestamptz[]) AS sent(id, "acceptedBy", "sentAt")
     WHERE message.id = sent.id`;
  for (const { row, acceptedBy } of sent) {
    deps.logger
      .child({ category: "mail", outboxMessageId: row.id })
      .info({ kind: row.kind, acceptedBy, attempts: row.attempts }, "email sent");
  }
}

/** Claimed rows this batch will not send: QUEUED again, due now, the attempt not counted, each with its job. */
async function giveBack(deps: MailDeliveryDependencies, rows: ClaimedRow[]): Promise<void> {
  await deps.db.$transaction(async (tx) => {
    await tx.$executeRaw`
      UPDATE outbox_messages SET status = 'QUEUED', attempts = attempts - 1, "nextAttemptAt" = now(),
             "updatedAt" = now()
       WHERE id = ANY(${rows.map((row) => row.id)}::uuid[]) AND status = 'SENDING'`;
    for (const row of rows) await scheduleDelivery(tx, row.id, null);
  });
}

type SendAttempt =
  | { outcome: "accepted"; acceptedBy: string }
  | { outcome: Exclude<DeliveryOutcome, "sent" | "not_claimable"> };

/** One claimed row: the throttle, its link, the render and the relay; a failure is recorded here. */
async function sendClaimed(
  deps: MailDeliveryDependencies,
  row: ClaimedRow,
  now: () => Date,
): Promise<SendAttempt> {
  const mailLogger = deps.logger.child({ category: "mail", outboxMessageId: row.id });
  if (deps.throttle) {
    const waitMs = await deps.throttle.reserve();
    if (waitMs > 0) {
      // Not this minute: give the claim back without counting an attempt.
      const runAt = new Date(now().getTime() + waitMs);
      await deps.db.$transaction(async (tx) => {
        await tx.outboxMessage.update({
          where: { id: row.id },
          data: { status: "QUEUED", attempts: { decrement: 1 }, nextAttemptAt: runAt },
        });
        await scheduleDelivery(tx, row.id, runAt);
      });
      return { outcome: "throttled" };
    }
  }
  const messageKind = findMessageKind(row.kind);
  // A kind whose link is optional carries one only when the message was enqueued with its subject.
  const hasLink = Boolean(messageKind?.link && (!messageKind.link.isOptional || row.linkSubjectType));
  const link =
    hasLink && messageKind?.link
      ? await mintLink(deps.db, row, messageKind.link, linkLifetimeMs(messageKind.link, deps.config), now())
      : null;

  try {
    const rendered = await renderEmail(
      deps.views,
      row.kind,
      {
        recipient: row.recipient,
        payload: row.payload,
        language: row.language,
        link:
          link && messageKind?.link
            ? {
                url: absoluteUrl(deps.config.http.publicUrl, messageKind.link.path(link.token)),
                expiresAt: link.expiresAt,
              }
            : undefined,
      },
      renderContextFor(deps.config),
    );
    const receipt = await deps.relay.send({
      from: deps.config.mail.from,
      replyTo: deps.config.mail.replyTo,
      to: row.recipient,
      subject: rendered.subject,
      text: rendered.text,
      html: rendered.html,
      messageId: row.messageId,
      language: rendered.language,
    });
    return { outcome: "accepted", acceptedBy: receipt.acceptedBy };
  } catch (error) {
    return { outcome: await recordFailure(deps, row, link?.id ?? null, error, now(), mailLogger) };
  }
}

/** The link token for this attempt; only its hash is stored, and the row points at it. */
async function mintLink(
  db: Database,
  row: ClaimedRow,
  link: { purpose: LinkPurpose },
  lifetimeMs: number,
  now: Date,
): Promise<IssuedLinkToken> {
  return db.$transaction(async (tx) => {
    const issued = await issueLinkToken(tx, {
      purpose: link.purpose,
      subject:
        row.linkSubjectType && row.linkSubjectId
          ? { type: row.linkSubjectType, id: row.linkSubjectId }
          : null,
      lifetimeMs,
      now,
    });
    await tx.outboxMessage.update({ where: { id: row.id }, data: { linkTokenId: issued.id } });
    return issued;
  });
}

async function recordFailure(
  deps: MailDeliveryDependencies,
  row: ClaimedRow,
  linkTokenId: string | null,
  error: unknown,
  now: Date,
  mailLogger: Logger,
): Promise<"failed" | "retry_scheduled"> {
  const permanent =
    error instanceof EmailRenderError || (error instanceof MailDeliveryError && error.permanent);
  const lastError = describeFailure(error);
  const nextAttemptAt = new Date(now.getTime() + retryDelayMs(deps.config.mail.retryBaseMs, row.attempts));
  const pastHorizon = nextAttemptAt.getTime() > row.createdAt.getTime() + deps.config.mail.retryHorizonMs;
  const giveUp = permanent || pastHorizon;

  await deps.db.$transaction(async (tx) => {
    // The token minted for this attempt never reached anyone.
    if (linkTokenId) await tx.linkToken.deleteMany({ where: { id: linkTokenId } });
    await tx.outboxMessage.update({
      where: { id: row.id },
      data: giveUp
        ? { status: "FAILED", failedAt: now, lastError, linkTokenId: null }
        : { status: "QUEUED", nextAttemptAt, lastError, linkTokenId: null },
    });
    if (!giveUp) await scheduleDelivery(tx, row.id, nextAttemptAt);
  });
  if (giveUp) {
    mailLogger.error({ kind: row.kind, attempts: row.attempts, lastError }, "email failed for good");
    return "failed";
  }
  mailLogger.warn(
    { kind: row.kind, attempts: row.attempts, nextAttemptAt, lastError },
    "email delivery will be retried",
  );
  return "retry_scheduled";
}

/** Exponential backoff: base, 2×base, 4×base … capped at an hour, with ±20 % jitter. */
export function retryDelayMs(baseMs: number, attemptsSoFar: number): number {
  const exponential = Math.min(baseMs * 2 ** Math.max(0, attemptsSoFar - 1), MAX_RETRY_DELAY_MS);
  return Math.round(exponential * (0.8 + Math.random() * 0.4));
}

function describeFailure(error: unknown): string {
  const text =
    error instanceof MailDeliveryError
      ? `${error.code}: ${error.message}`
      : error instanceof Error
        ? `${error.name}: ${error.message}`
        : String(error);
  return text.slice(0, 2000);
}

/**
 * Rows left SENDING longer than a delivery can take belong to a worker that died mid-delivery.
 * Runs when a worker starts and every minute.
 */
export async function recoverInterruptedEmails(deps: {
  db: Database;
  config: Config;
  logger: Logger;
}): Promise<number> {
  const staleAfterSeconds = sendingLeaseMs(deps.config) / 1000;
  const recovered = await deps.db.$transaction(async (tx) => {
    const interrupted = await tx.$queryRaw<{ id: string }[]>`
      UPDATE outbox_messages
         SET status = 'QUEUED', "nextAttemptAt" = now(), "updatedAt" = now(),
             "lastError" = 'Interrupted during delivery: it may already have arrived; sent again with the same Message-ID'
       WHERE status = 'SENDING' AND "sendingStartedAt" < now() - make_interval(secs => ${staleAfterSeconds})
   RETURNING id`;
    // Due long ago but still queued: its job may be locked by a worker that died. Adding the job again
    // under the same key replaces it; a duplicate job is harmless, since only one claim can succeed.
    const overdue = await tx.$queryRaw<{ id: string }[]>`
      SELECT id FROM outbox_messages
       WHERE status = 'QUEUED' AND "nextAttemptAt" < now() - make_interval(secs => ${staleAfterSeconds})
       LIMIT 1000`;
    for (const row of [...interrupted, ...overdue]) await scheduleDelivery(tx, row.id, null);
    return interrupted.length;
  });
  if (recovered > 0)
    deps.logger.warn({ category: "mail", recovered }, "re-queued emails interrupted during delivery");
  return recovered;
}

/** Longer than one delivery can take: every port timing out, then a slow transfer. */
export function sendingLeaseMs(config: Config): number {
  const { connectionMs, greetingMs, socketMs } = config.mail.timeouts;
  const ports = config.mail.relay?.ports.length ?? 1;
  return ports * (connectionMs + greetingMs) + 2 * socketMs + 60_000;
}

/** A per-minute cap on messages handed to the relay, counted in Postgres across every worker. */
export interface MailThrottle {
  /** 0 when a message may go now, else how long to wait. */
  reserve(): Promise<number>;
}

export function createMailThrottle(pgPool: pg.Pool, perMinute: number): MailThrottle | null {
  if (perMinute <= 0) return null;
  const limiter = new RateLimiterPostgres({
    storeClient: pgPool,
    storeType: "pool",
    tableName: "rate_limits",
    tableCreated: true,
    // Its own timer would query on construction and every few minutes, unawaited; expired rows are
    // purged by the purge_expired_rate_limits job instead.
    clearExpiredByTimeout: false,
    keyPrefix: "mail",
    points: perMinute,
    duration: 60,
  });
  return {
    async reserve() {
      try {
        await limiter.consume("relay");
        return 0;
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) return Math.max(rejection.msBeforeNext, 50);
        throw rejection;
      }
    },
  };
}
