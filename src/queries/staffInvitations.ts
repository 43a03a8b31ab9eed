// Reads for the invitations pages: the latest invitations, and one invitation with who acted on it.
import type { Database } from "../db.js";

/** The 200 newest invitations, newest first. */
export function findRecentInvitations(db: Database) {
  return db.staffInvitation.findMany({
    orderBy: { createdAt: "desc" },
    take: 200,
    select: {
      id: true,
      status: true,
      createdAt: true,
      invitee: { select: { name: true, email: true, role: true } },
      invitedBy: { select: { name: true } },
    },
  });
}
export type InvitationListRow = Awaited<ReturnType<typeof findRecentInvitations>>[number];

/** One invitation, with its invitee's account and who invited and decided, or null. */
export function findInvitation(db: Database, invitationId: string) {
  return db.staffInvitation.findUnique({
    where: { id: invitationId },
    select: {
      id: true,
      status: true,
      invitedById: true,
      decisionNote: true,
      createdAt: true,
      decidedAt: true,
      sentAt: true,
      acceptedAt: true,
      invitee: { select: { id: true, name: true, email: true, role: true, status: true } },
      invitedBy: { select: { name: true } },
      decidedBy: { select: { name: true } },
    },
  });
}
export type InvitationDetailRow = NonNullable<Awaited<ReturnType<typeof findInvitation>>>;
