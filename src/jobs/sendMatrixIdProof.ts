// Sends the direct message that proves an applicant's Matrix ID (requested by
// commands/matrixIdentity/requestMatrixIdProof.ts). Reloads the request by id and is safe to run twice:
//
//   1. Nothing to do when the request is no longer waiting, or the case no longer holds its Matrix ID.
//   2. The room: the one stored on the request (a retry), else the latest direct room the bot made with
//      the same Matrix ID for this case while the person is still invited to or in it, else a new one
//      (createRoom, is_direct, the person invited). Stored at once, so a retry never makes a second.
//   3. The link: minted now (its 30 minutes start at delivery), derived from the request's id with a
//      key only the portal holds, so a retry mints the same token and re-sends the very same message:
//   4. PUT …/send/m.room.message/vetting-portal.matrix-id-proof.<request id>: the homeserver answers a
//      repeated transaction ID with the event it already made, so a lost answer never sends twice.
//   5. SENT, with its audit row.
// The homeserver refusing (404 M_NOT_FOUND: no such user; 403: the invite refused; another 4xx) will
// not improve with retries: the request is FAILED with the reason the workspace shows, the unused link
// deleted, an audit row written. A homeserver that does not answer (timeouts, 5xx, 429: a federation
// failure among them) is retried with graphile-worker's backoff, and after MATRIX_ID_PROOF_ATTEMPTS runs
// recorded as "unreachable". The applicant may ask again later either way.
//
// What the message says: that the person asked, the community's name, the link and its lifetime, in
// the case's language. Never the case number or anything else from the application.
import { z } from "zod";
import { recordAudit } from "../audit.js";
import { MATRIX_ID_PROOF_ATTEMPTS } from "../commands/matrixIdentity/requestMatrixIdProof.js";
import type { Transaction } from "../db.js";
import { loadTranslators } from "../i18n/translator.js";
import type { Logger } from "../logger.js";
import {
  type BotAccess,
  ClientServerError,
  createDirectRoom,
  type DirectMessageFailure,
  directMessageFailureOf,
  membershipIn,
  sendRoomMessage,
} from "../matrix/clientServer.js";
import { derivedLinkToken, hashLinkToken, issueLinkToken } from "../tokens.js";
import { absoluteUrl, urls } from "../urls.js";
import type { JobDependencies } from "./dependencies.js";

export const ZSendMatrixIdProofPayload = z.strictObject({ proofRequestId: z.uuid() });
export type TSendMatrixIdProofPayload = z.output<typeof ZSendMatrixIdProofPayload>;

/** How long the link in the message works. */
export const MATRIX_ID_PROOF_LINK_MINUTES = 30;

export type MatrixIdProofFailure = DirectMessageFailure;

export type SendMatrixIdProofOutcome = "sent" | "failed" | "nothing_to_send" | "feature_off";

const AUDIT_ACTOR = { label: "system" };

export async function sendMatrixIdProof(
  deps: Pick<JobDependencies, "config" | "db" | "logger">,
  payload: TSendMatrixIdProofPayload,
): Promise<SendMatrixIdProofOutcome> {
  const bot = deps.config.matrixBot;
  const jobLogger: Logger = deps.logger.child({
    category: "matrix",
    job: "send_matrix_id_proof",
    proofRequestId: payload.proofRequestId,
  });
  if (!bot) {
    jobLogger.warn("MATRIX_BOT_ACCESS_TOKEN is not set: the Matrix ID proof was not sent");
    return "feature_off";
  }
  const request = await deps.db.matrixIdProofRequest
    .update({
      where: { id: payload.proofRequestId, status: "QUEUED" },
      data: { attempts: { increment: 1 } },
      select: {
        id: true,
        caseId: true,
        matrixId: true,
        roomId: true,
        attempts: true,
        case: { select: { matrixId: true, language: true, erasedAt: true } },
      },
    })
    .catch(() => null);
  if (!request || request.case.erasedAt || request.case.matrixId !== request.matrixId) {
    return "nothing_to_send";
  }
  try {
    const roomId = request.roomId ?? (await findOrMakeRoom(deps, bot, request));
    const { token, linkTokenId } = await linkFor(deps, request.id, request.caseId);
    const translator = (await loadTranslators(deps.config.languages)).for(request.case.language);
    const link = absoluteUrl(deps.config.http.publicUrl, urls.matrixIdProofLink(token));
    const body = translator.t("matrixId.message.body", {
      community: deps.config.site.communityName,
      link,
      minutes: MATRIX_ID_PROOF_LINK_MINUTES,
    });
    const { eventId } = await sendRoomMessage(bot, {
      roomId,
      txnId: `vetting-portal.matrix-id-proof.${request.id}`,
      // m.text, not m.notice: the person is asked to act on it.
      content: { msgtype: "m.text", body },
    });
    await deps.db.$transaction(async (tx) => {
      await tx.matrixIdProofRequest.update({
        where: { id: request.id },
        data: { status: "SENT", sentAt: new Date(), linkTokenId },
        select: { id: true },
      });
      await recordAudit(
        tx,
        AUDIT_ACTOR,
        "case.matrix_id_proof_sent",
        { type: "vetting_case", id: request.caseId },
        { proofRequestId: request.id },
      );
    });
    jobLogger.info({ matrixEventId: eventId }, "sent the Matrix ID proof");
    return "sent";
  } catch (error) {
    if (!(error instanceof ClientServerError)) throw error;
    const isLastAttempt = request.attempts >= MATRIX_ID_PROOF_ATTEMPTS;
    if (error.kind === "retryable" && !isLastAttempt) {
      jobLogger.warn(
        { reason: error.message, attempt: request.attempts },
        "the homeserver did not answer; retrying",
      );
      throw error;
    }
    const failure: MatrixIdProofFailure = directMessageFailureOf(error);
    await deps.db.$transaction(async (tx) => {
      await recordFailure(tx, request, failure);
    });
    jobLogger.warn({ reason: error.message, failure }, "the Matrix ID proof could not be sent");
    return "failed";
  }
}

async function recordFailure(
  tx: Transaction,
  request: { id: string; caseId: string },
  failure: MatrixIdProofFailure,
): Promise<void> {
  const { linkTokenId } = await tx.matrixIdProofRequest.update({
    where: { id: request.id },
    data: { status: "FAILED", failure, failedAt: new Date() },
    select: { linkTokenId: true },
  });
  // The link that was never delivered must not work if it ever surfaces.
  if (linkTokenId) await tx.linkToken.deleteMany({ where: { id: linkTokenId, usedAt: null } });
  await recordAudit(
    tx,
    AUDIT_ACTOR,
    "case.matrix_id_proof_failed",
    { type: "vetting_case", id: request.caseId },
    { proofRequestId: request.id, failure },
  );
}

/** The bot's direct room with the person: reused while they are in it or invited, else a new one. */
async function findOrMakeRoom(
  deps: Pick<JobDependencies, "db">,
  bot: BotAccess,
  request: { id: string; caseId: string; matrixId: string },
): Promise<string> {
  const earlier = await deps.db.matrixIdProofRequest.findFirst({
    where: {
      caseId: request.caseId,
      matrixId: request.matrixId,
      roomId: { not: null },
      id: { not: request.id },
    },
    orderBy: { requestedAt: "desc" },
    select: { roomId: true },
  });
  let roomId: string | null = null;
  if (earlier?.roomId) {
    const membership = await membershipIn(bot, earlier.roomId, request.matrixId);
    if (membership === "join" || membership === "invite") roomId = earlier.roomId;
  }
  roomId ??= (await createDirectRoom(bot, request.matrixId)).roomId;
  await deps.db.matrixIdProofRequest.update({
    where: { id: request.id },
    data: { roomId },
    select: { id: true },
  });
  return roomId;
}

/** The link's token: derived, so a retry sends the same one; its row made on the first run only. */
async function linkFor(
  deps: Pick<JobDependencies, "config" | "db">,
  requestId: string,
  caseId: string,
): Promise<{ token: string; linkTokenId: string }> {
  const token = derivedLinkToken(deps.config.sessionSecret, "matrix-id-proof-link", requestId);
  return deps.db.$transaction(async (tx) => {
    const existing = await tx.linkToken.findUnique({
      where: { tokenHash: hashLinkToken(token) },
      select: { id: true },
    });
    if (existing) return { token, linkTokenId: existing.id };
    const issued = await issueLinkToken(tx, {
      purpose: "matrix_id_proof",
      subject: { type: "vetting_case", id: caseId },
      lifetimeMs: MATRIX_ID_PROOF_LINK_MINUTES * 60 * 1000,
      token,
    });
    await tx.matrixIdProofRequest.update({
      where: { id: requestId },
      data: { linkTokenId: issued.id },
      select: { id: true },
    });
    return { token, linkTokenId: issued.id };
  });
}
