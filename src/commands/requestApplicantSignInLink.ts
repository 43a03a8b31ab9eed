// "Email me a link": an applicant without a session asks for a way back to their application. The
// most recent case made with the address (erased ones aside) gets a sign-in link, single-use for 15
// minutes (the token is minted when the mail leaves). The caller answers the same whether or not a
// case was found, so the form reveals nothing about who applied. Nothing is audited here: the request
// proves nothing; using the link is audited (case.applicant_signed_in).
import type { Database } from "../db.js";
import { enqueueEmail } from "../mail/outbox.js";

export async function requestApplicantSignInLink(
  db: Database,
  options: { email: string },
): Promise<{ isSent: boolean }> {
  const email = options.email.trim().toLowerCase();
  const vettingCase = await db.vettingCase.findFirst({
    where: { email, erasedAt: null },
    orderBy: [{ createdAt: "desc" }, { number: "desc" }],
    select: { id: true, fullName: true, email: true },
  });
  if (!vettingCase) return { isSent: false };
  await db.$transaction(async (tx) => {
    await enqueueEmail(tx, {
      kind: "sign_in_link",
      recipient: vettingCase.email,
      payload: { applicantName: vettingCase.fullName },
      linkSubject: { type: "vetting_case", id: vettingCase.id },
    });
  });
  return { isSent: true };
}
