// The standalone form (for inviting admins and up): a registration token for a person without a case,
// for communities that admit some people without vetting them here (founders, people moved in). Four eyes: the form makes a request, and nothing reaches the homeserver or the
// person until a second admin approves it (decideRegistrationTokenRequest.ts). One transaction: the
// PENDING request, its audit row (ids only), and an approval_needed email to every admin who may approve
// it (each ACTIVE inviting admin and up but the requester). The caller has authorized the requester,
// checked the form is switched on, and counted the request against their limits.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Database } from "../../db.js";
import { canDecideTokenRequest } from "../../policies/registrationTokens.js";
import type { Actor } from "../../policies/staff.js";
import { notifyStaff } from "../notifications/notifyStaff.js";

/** The outbox rows about a request (the approvers' emails) carry it as their subject, for erasure. */
export const TOKEN_REQUEST_SUBJECT = "registration_token_request";

export interface TRequestStandaloneRegistrationToken {
  personName: string;
  /** Lower-cased by the form. */
  personEmail: string;
  note: string | null;
  requester: Actor & { name: string };
  audit: AuditActor;
  now?: Date;
}

export async function requestStandaloneRegistrationToken(
  db: Database,
  options: TRequestStandaloneRegistrationToken,
): Promise<{ requestId: string; approversNotified: number }> {
  const now = options.now ?? new Date();
  return db.$transaction(async (tx) => {
    const request = await tx.registrationTokenRequest.create({
      data: {
        personName: options.personName,
        personEmail: options.personEmail.toLowerCase(),
        note: options.note,
        requestedById: options.requester.id,
        requestedAt: now,
      },
      select: { id: true, requestedById: true, status: true },
    });
    await recordAudit(tx, options.audit, "matrix_token.request_submitted", {
      type: TOKEN_REQUEST_SUBJECT,
      id: request.id,
    });
    // Whoever the policy lets decide this request, among the accounts that can sign in now.
    const activeStaff = await tx.staffUser.findMany({
      where: { status: "ACTIVE" },
      select: { id: true, role: true, name: true, email: true },
      orderBy: { createdAt: "asc" },
    });
    const approvers = activeStaff.filter((member) => canDecideTokenRequest(member, request));
    await notifyStaff(tx, {
      notification: {
        kind: "approval_needed",
        recipients: approvers,
        email: {
          request: "registration_token",
          requesterName: options.requester.name,
          personName: options.personName,
        },
        // The purge finds the emails naming the person by this subject.
        linkSubject: { type: TOKEN_REQUEST_SUBJECT, id: request.id },
      },
    });
    return { requestId: request.id, approversNotified: approvers.length };
  });
}
