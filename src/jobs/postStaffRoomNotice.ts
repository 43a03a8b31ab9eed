// Posts one event of a case (its first submission, or a decision) to the staff's Matrix room, when
// MATRIX_STAFF_ROOM_ID is set. Enqueued in the transaction of the event (enqueueStaffRoomNotice), so a
// rolled-back change posts nothing; the job reloads the case and says what is true when it runs.
//
// Exactly one message per event: the job's key and the Matrix transaction ID are both derived from the
// event's id, so adding the job twice keeps one job, and a retry (graphile-worker's backoff after a
// timeout or a 5xx) re-sends the same transaction, which the homeserver answers with the event it made.
// A refusal (401/403: a wrong token, a bot not in the room) will not improve with retries: it is logged
// for the operator and the job ends.
//
// What a message says: the case number, its state and the link to the case page. Never the applicant's
// name, email, Matrix ID or statement: a room's history is kept by every member's client and by every
// homeserver in the room, outside the portal's erasure and retention, and anyone who joins the room
// later may read it. Staff who need more follow the link and sign in.
import { z } from "zod";
import type { Transaction } from "../db.js";
import { formatCaseNumber } from "../domain/caseNumber.js";
import { CASE_STATE_LABELS } from "../domain/caseStates.js";
import type { Logger } from "../logger.js";
import { postStaffRoomNotice, StaffRoomError } from "../matrix/staffRoom.js";
import { absoluteUrl, urls } from "../urls.js";
import type { JobDependencies } from "./dependencies.js";
import { enqueueJob } from "./queue.js";

export const ZStaffRoomNoticePayload = z.strictObject({
  event: z.enum(["case_submitted", "case_decided"]),
  caseId: z.uuid(),
  /** The event's own id: the case's for its first submission, the decision's for a decision. */
  eventId: z.uuid(),
});
export type TStaffRoomNoticePayload = z.output<typeof ZStaffRoomNoticePayload>;

/** In the caller's transaction; nothing when the staff room is not configured. */
export async function enqueueStaffRoomNotice(
  tx: Transaction,
  config: { matrixStaffRoom?: unknown },
  notice: TStaffRoomNoticePayload,
): Promise<void> {
  if (!config.matrixStaffRoom) return;
  await enqueueJob(tx, "post_staff_room_notice", notice, {
    jobKey: `staff_room:${notice.event}:${notice.eventId}`,
    maxAttempts: 20,
  });
}

export type StaffRoomOutcome = "posted" | "refused" | "feature_off" | "nothing_to_post";

export async function postStaffRoomNoticeJob(
  deps: Pick<JobDependencies, "config" | "db" | "logger">,
  payload: TStaffRoomNoticePayload,
): Promise<StaffRoomOutcome> {
  const settings = deps.config.matrixStaffRoom;
  const jobLogger: Logger = deps.logger.child({
    category: "matrix",
    event: payload.event,
    caseId: payload.caseId,
  });
  if (!settings) return "feature_off";
  const vettingCase = await deps.db.vettingCase.findUnique({
    where: { id: payload.caseId },
    select: { number: true, state: true },
  });
  if (!vettingCase) return "nothing_to_post";
  const decision =
    payload.event === "case_decided"
      ? await deps.db.caseDecision.findUnique({ where: { id: payload.eventId }, select: { kind: true } })
      : null;
  if (payload.event === "case_decided" && !decision) return "nothing_to_post";
  const caseNumber = formatCaseNumber(vettingCase.number);
  const link = absoluteUrl(deps.config.http.publicUrl, urls.staffCase(payload.caseId));
  const what =
    payload.event === "case_submitted"
      ? "was submitted and waits in the queue"
      : decision?.kind === "APPROVE"
        ? "was approved"
        : decision?.kind === "REJECT"
          ? "was rejected"
          : "was sent back for more information";
  const body = `Case ${caseNumber} ${what}. Now: ${CASE_STATE_LABELS[vettingCase.state]}. ${link}`;
  try {
    const { eventId } = await postStaffRoomNotice(settings, {
      txnId: `vetting-portal.${payload.event}.${payload.eventId}`,
      body,
    });
    jobLogger.info({ matrixEventId: eventId }, "posted to the staff room");
    return "posted";
  } catch (error) {
    if (error instanceof StaffRoomError && error.kind === "refused") {
      jobLogger.error({ status: error.status, reason: error.message }, "the staff room refused the notice");
      return "refused";
    }
    // graphile-worker retries with its exponential backoff, the same transaction ID each time.
    throw error;
  }
}
