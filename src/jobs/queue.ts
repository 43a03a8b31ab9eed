// Jobs are added with graphile-worker's SQL function inside the caller's transaction: if the
// transaction rolls back, the job never existed; if it commits, a worker will run it.
import type { Transaction } from "../db.js";
import type { TStaffRoomNoticePayload } from "./postStaffRoomNotice.js";
import type { TSendMatrixIdProofPayload } from "./sendMatrixIdProof.js";
import type { TSendReferenceRequestMessagePayload } from "./sendReferenceRequestMessage.js";
import type { TSendRequestedLinkPayload } from "./sendRequestedLink.js";

export interface JobPayloads {
  deliver_email: { outboxMessageId: string };
  issue_registration_token: { registrationTokenId: string };
  send_requested_link: TSendRequestedLinkPayload;
  post_staff_room_notice: TStaffRoomNoticePayload;
  send_matrix_id_proof: TSendMatrixIdProofPayload;
  send_reference_request_message: TSendReferenceRequestMessagePayload;
}

export async function enqueueJob<Name extends keyof JobPayloads>(
  tx: Transaction,
  name: Name,
  payload: JobPayloads[Name],
  options: { jobKey?: string; runAt?: Date | null; maxAttempts?: number } = {},
): Promise<void> {
  // A job_key makes this "the" job for that key: adding it again reschedules instead of duplicating.
  await tx.$executeRaw`SELECT graphile_worker.add_job(
    ${name}::text,
    ${JSON.stringify(payload)}::json,
    run_at => coalesce(${options.runAt ?? null}::timestamptz, now()),
    job_key => ${options.jobKey ?? null}::text,
    max_attempts => ${options.maxAttempts ?? 25}::int
  )`;
}
