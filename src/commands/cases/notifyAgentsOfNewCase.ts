// Tells staff a case was submitted and waits in the queue, in the caller's transaction (called when a
// case first moves to SUBMITTED): the active vetting agents, or while there are none the admins, each at
// once, in their daily digest or not at all as they chose (commands/notifications/notifyStaff.ts). Without
// a choice of their own, NEW_CASE_NOTIFICATIONS decides, as it did for everyone before the choice was
// per person. Staff emails carry the case number and a link, never the applicant's personal data. With
// MATRIX_STAFF_ROOM_ID set, the case is also posted to the staff's room (jobs/postStaffRoomNotice.ts).
import type { Config } from "../../config.js";
import type { Transaction } from "../../db.js";
import { enqueueStaffRoomNotice } from "../../jobs/postStaffRoomNotice.js";
import { notifyStaff } from "../notifications/notifyStaff.js";

export async function notifyAgentsOfNewCase(
  tx: Transaction,
  options: { config: Config; caseId: string },
): Promise<void> {
  await notifyStaff(tx, {
    config: options.config,
    notification: { kind: "new_case", caseId: options.caseId },
  });
  await enqueueStaffRoomNotice(tx, options.config, {
    event: "case_submitted",
    caseId: options.caseId,
    eventId: options.caseId,
  });
}
