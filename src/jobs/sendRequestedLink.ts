// The job behind the two forms that email a link to a typed address: "forgot your password?" (staff,
// purpose password_reset) and "email me a link" (applicants, purpose sign_in).
//
// Why a job: the form must take as long for an address with no account or case as for one with, or its
// timing tells who is here. So the request does the same work for every address (count the limits,
// enqueue this job with the address) and only this job looks the address up. When it matches, the job
// writes the outbox row (and, for staff, the audit row) in one transaction; when it does not, it does
// nothing. The page never says which.
//
// The payload holds the typed address (needed for the lookup) and nothing else personal: the id the
// outbox row will get, chosen by the request, makes the job safe to run twice (a second run finds its
// row and stops; two runs racing collide on the row's primary key and the loser's retry finds it), and
// the request id ties the audit row to the request's log line. The address never goes into a log line:
// neither this job nor graphile-worker logs payloads, and nothing thrown here carries it. A finished
// job is deleted by graphile-worker, so the address stays in the queue only until the job has run.
import { z } from "zod";
import { recordAudit } from "../audit.js";
import type { Database } from "../db.js";
import type { Logger } from "../logger.js";
import { enqueueEmail } from "../mail/outbox.js";

export const ZSendRequestedLinkPayload = z.strictObject({
  purpose: z.enum(["password_reset", "sign_in"]),
  /** As typed (trimmed and lower-cased here); only ever compared, never logged. */
  email: z.string().max(254),
  /** The id the outbox row gets when the address matches. */
  outboxMessageId: z.uuid(),
  requestId: z.string().max(128).optional(),
});
export type TSendRequestedLinkPayload = z.infer<typeof ZSendRequestedLinkPayload>;

export type SendRequestedLinkOutcome = "queued" | "no_match" | "already_queued";

export async function sendRequestedLink(
  deps: { db: Database; logger: Logger },
  payload: TSendRequestedLinkPayload,
): Promise<SendRequestedLinkOutcome> {
  const email = payload.email.trim().toLowerCase();
  const outcome = await deps.db.$transaction(async (tx): Promise<SendRequestedLinkOutcome> => {
    const existing = await tx.outboxMessage.findUnique({
      where: { id: payload.outboxMessageId },
      select: { id: true },
    });
    if (existing) return "already_queued";

    if (payload.purpose === "password_reset") {
      const staffUser = await tx.staffUser.findUnique({
        where: { email },
        select: { id: true, name: true, email: true, status: true, passwordHash: true },
      });
      // People still to accept their invitation have no password yet: their invitation link is the way in.
      if (staffUser?.status !== "ACTIVE" || !staffUser.passwordHash) return "no_match";
      await enqueueEmail(tx, {
        id: payload.outboxMessageId,
        kind: "password_reset",
        recipient: staffUser.email,
        payload: { staffName: staffUser.name },
        linkSubject: { type: "staff_user", id: staffUser.id },
      });
      await recordAudit(
        tx,
        { label: "password reset form", ...(payload.requestId ? { requestId: payload.requestId } : {}) },
        "staff.password_reset_requested",
        { type: "staff_user", id: staffUser.id },
      );
      return "queued";
    }

    // The most recent case made with the address (erased ones aside). Asking is not audited: the
    // request proves nothing; using the link is audited (case.applicant_signed_in).
    const vettingCase = await tx.vettingCase.findFirst({
      where: { email, erasedAt: null },
      orderBy: [{ createdAt: "desc" }, { number: "desc" }],
      select: { id: true, fullName: true, email: true, emailConfirmedAt: true, language: true },
    });
    if (!vettingCase) return "no_match";
    await enqueueEmail(tx, {
      id: payload.outboxMessageId,
      kind: "sign_in_link",
      recipient: vettingCase.email,
      // The name is the applicant's own words: said only to an address they proved is theirs. Anyone
      // can apply with anyone's address and then ask for this link.
      payload: vettingCase.emailConfirmedAt ? { applicantName: vettingCase.fullName } : {},
      linkSubject: { type: "vetting_case", id: vettingCase.id },
      language: vettingCase.language,
    });
    return "queued";
  });
  // The outcome says whether the address is known: debug only, and with no address.
  deps.logger.debug({ category: "jobs", purpose: payload.purpose, outcome }, "requested link");
  return outcome;
}
