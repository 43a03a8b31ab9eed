// An admin invites a person to the staff. The account (no password yet) and its invitation are created
// together with the audit row. A superadmin's invitation is emailed at once; a server admin's waits
// for a different admin's approval (four eyes) and is emailed by approveInvitation.
// A person whose earlier invitation was rejected or revoked, and who never became active, can be
// invited again: their disabled account and its invitation are reopened (the audit log keeps what
// happened before). An address that belongs to anyone else is refused.
import { type AuditActor, recordAudit } from "../../audit.js";
import type { Database } from "../../db.js";
import { conflict } from "../../errors.js";
import { Prisma, type StaffRole } from "../../generated/prisma/client.js";
import {
  type Actor,
  authorize,
  canDecideInvitation,
  canInvite,
  invitationNeedsApproval,
  ROLE_LABELS,
} from "../../policies/staff.js";
import { notifyStaff } from "../notifications/notifyStaff.js";
import { sendInvitationEmail } from "./invitationEmails.js";

export interface TNewInvitation {
  name: string;
  /** Already lower-cased by the form schema. */
  email: string;
  role: StaffRole;
}

/** A catalog id: the page translates it. */
export const EMAIL_TAKEN_MESSAGE = "staff.refusal.emailTaken";

export async function inviteStaffMember(
  db: Database,
  options: { inviter: Actor & { name: string }; invitee: TNewInvitation; audit: AuditActor; now?: Date },
): Promise<{ invitationId: string; staffUserId: string; isSent: boolean }> {
  const { inviter, invitee } = options;
  authorize(canInvite(inviter, invitee.role), "You may not invite someone with that role.");
  const now = options.now ?? new Date();
  const needsApproval = invitationNeedsApproval(inviter);
  try {
    return await db.$transaction(async (tx) => {
      const status = needsApproval ? "PENDING_APPROVAL" : "INVITED";
      const invitationFields = {
        invitedById: inviter.id,
        status: needsApproval ? ("PENDING_APPROVAL" as const) : ("SENT" as const),
        createdAt: now,
        sentAt: needsApproval ? null : now,
        decidedById: null,
        decisionNote: null,
        decidedAt: null,
        acceptedAt: null,
      };
      const closed = await tx.staffUser.findFirst({
        where: {
          email: invitee.email,
          status: "DISABLED",
          passwordHash: null,
          invitation: { status: { in: ["REJECTED", "REVOKED"] } },
        },
        select: { id: true, invitation: { select: { id: true } } },
      });
      const staffUser = closed
        ? await tx.staffUser.update({
            where: { id: closed.id },
            data: { name: invitee.name, role: invitee.role, status, disabledAt: null },
            select: { id: true },
          })
        : await tx.staffUser.create({
            data: { name: invitee.name, email: invitee.email, role: invitee.role, status },
            select: { id: true },
          });
      const invitation = closed?.invitation
        ? await tx.staffInvitation.update({
            where: { id: closed.invitation.id },
            data: invitationFields,
            select: { id: true },
          })
        : await tx.staffInvitation.create({
            data: { inviteeId: staffUser.id, ...invitationFields },
            select: { id: true },
          });
      await recordAudit(
        tx,
        options.audit,
        "staff.invited",
        { type: "staff_user", id: staffUser.id },
        {
          invitationId: invitation.id,
          role: invitee.role,
          needsApproval,
          ...(closed ? { reopened: true } : {}),
        },
      );
      if (!needsApproval) {
        await sendInvitationEmail(tx, { id: invitation.id, invitee: invitee, inviterName: inviter.name });
      } else {
        const candidates = await tx.staffUser.findMany({
          where: { status: "ACTIVE" },
          select: { id: true, name: true, email: true, role: true },
          orderBy: { email: "asc" },
        });
        const facts = { invitedById: inviter.id, role: invitee.role };
        await notifyStaff(tx, {
          notification: {
            kind: "approval_needed",
            recipients: candidates.filter((candidate) => canDecideInvitation(candidate, facts)),
            email: {
              request: "invitation",
              requesterName: inviter.name,
              personName: invitee.name,
              roleLabel: ROLE_LABELS[invitee.role].toLowerCase(),
            },
          },
        });
      }
      return { invitationId: invitation.id, staffUserId: staffUser.id, isSent: !needsApproval };
    });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
      throw conflict(EMAIL_TAKEN_MESSAGE);
    }
    throw error;
  }
}
