// "Email me a link": an applicant without a session asks for a way back to their application. The
// most recent case made with the address (erased ones aside) gets a sign-in link, single-use for 15
// minutes (the token is minted when the mail leaves). The caller answers the same whether or not a
// case was found, and this command does the same work for every address, so that neither the page nor
// its timing tells who applied: it enqueues one send_requested_link job carrying the address, and the
// job looks for the case (src/jobs/sendRequestedLink.ts). Nothing is audited: the request proves
// nothing; using the link is audited (case.applicant_signed_in).
import { randomUUID } from "node:crypto";
import type { Database } from "../../db.js";
import { enqueueJob } from "../../jobs/queue.js";

export async function requestApplicantSignInLink(db: Database, options: { email: string }): Promise<void> {
  await db.$transaction(async (tx) => {
    await enqueueJob(tx, "send_requested_link", {
      purpose: "sign_in",
      email: options.email.trim().toLowerCase(),
      outboxMessageId: randomUUID(),
    });
  });
}
