// Sends a referee named by Matrix ID their request: the bot's direct message with the same single-use
// link an emailed referee gets (requested by commands/references/requestReference.ts). Reloads the
// reference by id and is safe to run twice, like the Matrix ID proof's job (jobs/sendMatrixIdProof.ts):
//
//   1. Nothing to do when the reference was answered, sent, failed or erased, or its case erased.
//   2. The room: the one stored on the reference (a retry), else a new direct room with the referee
//      invited, stored at once so a retry never makes a second.
//   3. The link: minted now (REFERENCE_LINK_DAYS from delivery), its token derived from the reference's
//      id with a key only the portal holds, so a retry sends the very same message.
//   4. PUT …/send/m.room.message/vetting-portal.reference-request.<reference id>: the homeserver answers a
//      repeated transaction ID with the event it already made, so a lost answer never sends twice.
//   5. Sent (matrixSentAt), with its audit row.
// The homeserver refusing (unknown user, invite refused, another 4xx) will not improve with retries: the
// reference records why (staff see it on the case page, the applicant that it could not be sent), the
// unused link is deleted, an audit row written. A homeserver that does not answer is retried with
// graphile-worker's backoff, and after REFERENCE_MESSAGE_ATTEMPTS runs recorded as "unreachable".
//
// What the message says: the applicant's name, the community's name, the link and until when it works,
// in the case's language. Never anything else about the application.
import { z } from "zod";
import { recordAudit } from "../audit.js";
import { REFERENCE_MESSAGE_ATTEMPTS } from "../commands/references/requestReference.js";
import { loadTranslators } from "../i18n/translator.js";
import type { Logger } from "../logger.js";
import {
  ClientServerError,
  createDirectRoom,
  type DirectMessageFailure,
  directMessageFailureOf,
  sendRoomMessage,
} from "../matrix/clientServer.js";
import { derivedLinkToken, hashLinkToken, issueLinkToken } from "../tokens.js";
import { absoluteUrl, urls } from "../urls.js";
import type { JobDependencies } from "./dependencies.js";

export const ZSendReferenceRequestMessagePayload = z.strictObject({ referenceId: z.uuid() });
export type TSendReferenceRequestMessagePayload = z.output<typeof ZSendReferenceRequestMessagePayload>;

export type SendReferenceRequestMessageOutcome = "sent" | "failed" | "nothing_to_send" | "feature_off";

const AUDIT_ACTOR = { label: "system" };
const LINK_PURPOSE_KEY = "reference-request-link";

export async function sendReferenceRequestMessage(
  deps: Pick<JobDependencies, "config" | "db" | "logger">,
  payload: TSendReferenceRequestMessagePayload,
): Promise<SendReferenceRequestMessageOutcome> {
  const bot = deps.config.matrixBot;
  const jobLogger: Logger = deps.logger.child({
    category: "matrix",
    job: "send_reference_request_message",
    referenceId: payload.referenceId,
  });
  if (!bot) {
    jobLogger.warn("MATRIX_BOT_ACCESS_TOKEN is not set: the referee's message was not sent");
    return "feature_off";
  }
  const reference = await deps.db.caseReference
    .update({
      where: {
        id: payload.referenceId,
        status: "REQUESTED",
        refereeMatrixId: { not: null },
        matrixSentAt: null,
        matrixFailure: null,
      },
      data: { matrixAttempts: { increment: 1 } },
      select: {
        id: true,
        caseId: true,
        refereeMatrixId: true,
        matrixRoomId: true,
        matrixAttempts: true,
        vettingCase: { select: { fullName: true, language: true, erasedAt: true } },
      },
    })
    .catch(() => null);
  if (!reference?.refereeMatrixId || reference.vettingCase.erasedAt) return "nothing_to_send";
  const refereeMatrixId = reference.refereeMatrixId;
  try {
    let roomId = reference.matrixRoomId;
    if (!roomId) {
      roomId = (await createDirectRoom(bot, refereeMatrixId)).roomId;
      await deps.db.caseReference.update({
        where: { id: reference.id },
        data: { matrixRoomId: roomId },
        select: { id: true },
      });
    }
    const { token, expiresAt } = await linkFor(deps, reference.id);
    const translator = (await loadTranslators(deps.config.languages)).for(reference.vettingCase.language);
    const body = translator.t("references.message.body", {
      applicantName: reference.vettingCase.fullName,
      communityName: deps.config.site.communityName,
      link: absoluteUrl(deps.config.http.publicUrl, urls.referenceLink(token)),
      expiresAt: translator.dateTime(expiresAt),
    });
    const { eventId } = await sendRoomMessage(bot, {
      roomId,
      txnId: `vetting-portal.reference-request.${reference.id}`,
      // m.text, not m.notice: the referee is asked to act on it.
      content: { msgtype: "m.text", body },
    });
    await deps.db.$transaction(async (tx) => {
      await tx.caseReference.update({
        where: { id: reference.id },
        data: { matrixSentAt: new Date() },
        select: { id: true },
      });
      await recordAudit(
        tx,
        AUDIT_ACTOR,
        "case.reference_request_sent",
        { type: "vetting_case", id: reference.caseId },
        { referenceId: reference.id, channel: "matrix" },
      );
    });
    jobLogger.info({ matrixEventId: eventId }, "sent the referee's request");
    return "sent";
  } catch (error) {
    if (!(error instanceof ClientServerError)) throw error;
    const isLastAttempt = reference.matrixAttempts >= REFERENCE_MESSAGE_ATTEMPTS;
    if (error.kind === "retryable" && !isLastAttempt) {
      jobLogger.warn(
        { reason: error.message, attempt: reference.matrixAttempts },
        "the homeserver did not answer; retrying",
      );
      throw error;
    }
    const failure: DirectMessageFailure = directMessageFailureOf(error);
    await deps.db.$transaction(async (tx) => {
      await tx.caseReference.update({
        where: { id: reference.id },
        data: { matrixFailure: failure },
        select: { id: true },
      });
      // The link that was never delivered must not work if it ever surfaces.
      await tx.linkToken.deleteMany({
        where: { subjectType: "case_reference", subjectId: reference.id, usedAt: null },
      });
      await recordAudit(
        tx,
        AUDIT_ACTOR,
        "case.reference_request_failed",
        { type: "vetting_case", id: reference.caseId },
        { referenceId: reference.id, channel: "matrix", failure },
      );
    });
    jobLogger.warn({ reason: error.message, failure }, "the referee's request could not be sent");
    return "failed";
  }
}

/** The link's token: derived, so a retry sends the same one; its row made on the first run only. */
async function linkFor(
  deps: Pick<JobDependencies, "config" | "db">,
  referenceId: string,
): Promise<{ token: string; expiresAt: Date }> {
  const token = derivedLinkToken(deps.config.sessionSecret, LINK_PURPOSE_KEY, referenceId);
  return deps.db.$transaction(async (tx) => {
    const existing = await tx.linkToken.findUnique({
      where: { tokenHash: hashLinkToken(token) },
      select: { expiresAt: true },
    });
    if (existing) return { token, expiresAt: existing.expiresAt };
    const issued = await issueLinkToken(tx, {
      purpose: "reference_request",
      subject: { type: "case_reference", id: referenceId },
      lifetimeMs: deps.config.references.linkLifetimeMs,
      token,
    });
    return { token, expiresAt: issued.expiresAt };
  });
}
