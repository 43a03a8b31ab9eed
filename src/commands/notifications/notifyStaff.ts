// Tells staff that work landed on them, in the caller's transaction: each recipient gets the notice at
// once (an email in the outbox), in their daily digest (a row for jobs/sendStaffDigests.ts), or not at all,
// as they chose on their profile, else as their role's default (domain/staffNotifications.ts).
//
// Who hears of what is decided here, once:
//   new_case                   the active vetting agents, or while there are none, the active admins
//   case_assigned              the new assignee, unless they assigned it to themselves
//   applicant_reply            the active assignee, else the vetting agents, or the admins while there
//                              are none (or the recipients given)
//   new_evidence               the active assignee, unless they added the files themselves or the
//                              case is still a draft
//   decision_overdue           the active admins who decide cases
//   approval_needed            the approvers the caller's policy found (they differ by request)
//   registration_token_failed  the admin who asked for the token, else every active admin
//
// Notices carry case numbers and links, never the applicant's personal data (staffNotice.ts says why).
import type { Config } from "../../config.js";
import type { Database, Transaction } from "../../db.js";
import { formatCaseNumber } from "../../domain/caseNumber.js";
import { defaultDelivery } from "../../domain/staffNotifications.js";
import type {
  NotificationDelivery,
  Prisma,
  StaffNotificationKind,
  StaffRole,
} from "../../generated/prisma/client.js";
import type { MessagePayload } from "../../mail/messages/index.js";
import type { TStaffNotice } from "../../mail/messages/staffNotice.js";
import { enqueueEmail } from "../../mail/outbox.js";
import { canDecideCases } from "../../policies/cases.js";

export interface StaffRecipient {
  id: string;
  name: string;
  email: string;
  role: StaffRole;
}

/** The approval email's own payload (with the person's name, as it always had), less its greeting. */
export type TApprovalEmail =
  MessagePayload<"approval_needed"> extends infer Payload
    ? Payload extends unknown
      ? Omit<Payload, "approverName">
      : never
    : never;

export type TStaffNotification =
  | { kind: "new_case"; caseId: string }
  | {
      kind: "case_assigned";
      caseId: string;
      assigneeId: string;
      assignedBy: { id: string; name: string } | null;
    }
  | {
      kind: "applicant_reply";
      caseId: string;
      how: "replied" | "resubmitted";
      /** A reply that answers a request for more information (its email says so). */
      isAnswer?: boolean;
      /** Instead of the default (the assignee, else the agents), e.g. the admin who asked for more. */
      recipients?: readonly StaffRecipient[];
    }
  | { kind: "new_evidence"; caseId: string; fileCount: number; addedByStaffId: string | null }
  | { kind: "decision_overdue"; caseId: string; waitingDays: number }
  | {
      kind: "approval_needed";
      recipients: readonly StaffRecipient[];
      email: TApprovalEmail;
      /** What the request is, so that erasing it finds the emails that name its person. */
      linkSubject?: { type: string; id: string };
    }
  | { kind: "registration_token_failed"; registrationTokenId: string };

const KIND_OF: Record<TStaffNotification["kind"], StaffNotificationKind> = {
  new_case: "NEW_CASE",
  case_assigned: "CASE_ASSIGNED",
  applicant_reply: "APPLICANT_REPLY",
  new_evidence: "NEW_EVIDENCE",
  decision_overdue: "DECISION_OVERDUE",
  approval_needed: "APPROVAL_NEEDED",
  registration_token_failed: "REGISTRATION_TOKEN_FAILED",
};

const RECIPIENT_SELECT = { id: true, name: true, email: true, role: true } as const;
const ADMIN_ROLES: StaffRole[] = ["INVITING_ADMIN", "SERVER_ADMIN", "SUPERADMIN"];

/** Returns how each recipient was told, for callers that audit it. */
export async function notifyStaff(
  tx: Transaction,
  /** `config` for new cases, whose default is the operator's NEW_CASE_NOTIFICATIONS. */
  options: { config?: Pick<Config, "cases">; notification: TStaffNotification },
): Promise<Array<{ staffUserId: string; delivery: NotificationDelivery }>> {
  const { notification } = options;
  const kind = KIND_OF[notification.kind];
  const resolved = await resolve(tx, notification);
  if (!resolved) return [];
  const deliveries = await deliveriesOf(tx, resolved.recipients, kind, options.config);
  const outcomes: Array<{ staffUserId: string; delivery: NotificationDelivery }> = [];
  for (const recipient of resolved.recipients) {
    const delivery = deliveries.get(recipient.id) ?? "OFF";
    outcomes.push({ staffUserId: recipient.id, delivery });
    if (delivery === "OFF") continue;
    if (delivery === "DIGEST") {
      await tx.staffDigestItem.create({
        data: {
          staffUserId: recipient.id,
          kind,
          payload: resolved.notice as unknown as Prisma.InputJsonObject,
        },
      });
      continue;
    }
    await enqueueEmail(
      tx,
      immediateEmail(notification, resolved.notice, recipient, recipient.id === resolved.assigneeId),
    );
  }
  return outcomes;
}

/**
 * The email sent at once. New cases, resubmissions, replies and approvals have kinds of their own, with
 * what only the at-once email says (a reply that answers a request; why this person hears of it).
 */
function immediateEmail(
  notification: TStaffNotification,
  notice: TStaffNotice,
  recipient: StaffRecipient,
  isAssignee: boolean,
) {
  if (notice.kind === "new_case")
    return {
      kind: "new_case_waiting",
      recipient: recipient.email,
      payload: { agentName: recipient.name, caseNumber: notice.caseNumber, caseId: notice.caseId },
    };
  if (notice.kind === "applicant_reply" && notice.how === "resubmitted")
    return {
      kind: "resubmission_received",
      recipient: recipient.email,
      payload: { agentName: recipient.name, caseNumber: notice.caseNumber, caseId: notice.caseId },
    };
  if (notice.kind === "applicant_reply" && notification.kind === "applicant_reply")
    return {
      kind: "applicant_replied",
      recipient: recipient.email,
      payload: {
        staffName: recipient.name,
        caseNumber: notice.caseNumber,
        caseId: notice.caseId,
        isAnswer: notification.isAnswer ?? false,
        isAssignee,
      },
    };
  if (notification.kind === "approval_needed")
    return {
      kind: "approval_needed",
      recipient: recipient.email,
      payload: { ...notification.email, approverName: recipient.name },
      linkSubject: notification.linkSubject,
    };
  return {
    kind: "staff_notice",
    recipient: recipient.email,
    payload: { recipientName: recipient.name, notice } as unknown as Prisma.InputJsonObject,
  };
}

async function deliveriesOf(
  tx: Transaction,
  recipients: readonly StaffRecipient[],
  kind: StaffNotificationKind,
  config: Pick<Config, "cases"> | undefined,
): Promise<Map<string, NotificationDelivery>> {
  const chosen = await tx.staffNotificationPreference.findMany({
    where: { kind, staffUserId: { in: recipients.map((recipient) => recipient.id) } },
    select: { staffUserId: true, delivery: true },
  });
  const byPerson = new Map(chosen.map((row) => [row.staffUserId, row.delivery]));
  const fallback = defaultDelivery(kind, config?.cases.newCaseNotifications ?? "immediate");
  return new Map(recipients.map((recipient) => [recipient.id, byPerson.get(recipient.id) ?? fallback]));
}

async function resolve(
  tx: Transaction,
  notification: TStaffNotification,
): Promise<{
  notice: TStaffNotice;
  recipients: readonly StaffRecipient[];
  /** The case's active assignee, when the notice is about a case. */
  assigneeId?: string | null;
} | null> {
  switch (notification.kind) {
    case "approval_needed":
      return {
        notice: { kind: "approval_needed", request: notification.email.request },
        recipients: notification.recipients,
      };
    case "registration_token_failed": {
      const token = await tx.registrationToken.findUnique({
        where: { id: notification.registrationTokenId },
        select: {
          vettingCase: { select: { id: true, number: true } },
          createdBy: { select: { ...RECIPIENT_SELECT, status: true } },
        },
      });
      if (!token) return null;
      const recipients =
        token.createdBy.status === "ACTIVE" ? [token.createdBy] : await activeStaff(tx, ADMIN_ROLES);
      return {
        notice: {
          kind: "registration_token_failed",
          caseNumber: token.vettingCase ? formatCaseNumber(token.vettingCase.number) : null,
          caseId: token.vettingCase?.id ?? null,
        },
        recipients,
      };
    }
    default:
      break;
  }
  const vettingCase = await tx.vettingCase.findUniqueOrThrow({
    where: { id: notification.caseId },
    select: {
      id: true,
      number: true,
      state: true,
      assignedTo: { select: { ...RECIPIENT_SELECT, status: true } },
    },
  });
  const caseRef = { caseNumber: formatCaseNumber(vettingCase.number), caseId: vettingCase.id };
  const assignee = vettingCase.assignedTo?.status === "ACTIVE" ? vettingCase.assignedTo : null;
  switch (notification.kind) {
    case "new_case":
      return { notice: { kind: "new_case", ...caseRef }, recipients: await newCaseRecipients(tx) };
    case "case_assigned": {
      if (notification.assignedBy?.id === notification.assigneeId) return null;
      const recipients = assignee && assignee.id === notification.assigneeId ? [assignee] : [];
      return {
        notice: { kind: "case_assigned", ...caseRef, assignedByName: notification.assignedBy?.name ?? null },
        recipients,
      };
    }
    case "applicant_reply":
      return {
        notice: { kind: "applicant_reply", ...caseRef, how: notification.how },
        recipients: notification.recipients ?? (assignee ? [assignee] : await newCaseRecipients(tx)),
        assigneeId: assignee?.id ?? null,
      };
    case "new_evidence":
      return {
        notice: { kind: "new_evidence", ...caseRef, fileCount: notification.fileCount },
        // A draft's files are the applicant's own until they submit: the team does not look at drafts.
        recipients:
          assignee && assignee.id !== notification.addedByStaffId && vettingCase.state !== "DRAFT"
            ? [assignee]
            : [],
      };
    case "decision_overdue": {
      const admins = await activeStaff(tx, ADMIN_ROLES);
      return {
        notice: { kind: "decision_overdue", ...caseRef, waitingDays: notification.waitingDays },
        recipients: admins.filter((admin) => canDecideCases(admin)),
      };
    }
  }
}

function activeStaff(db: Database | Transaction, roles: StaffRole[]): Promise<StaffRecipient[]> {
  return db.staffUser.findMany({
    where: { status: "ACTIVE", role: { in: roles } },
    select: RECIPIENT_SELECT,
    orderBy: { email: "asc" },
  });
}

/** Who hears of new cases: the active vetting agents, or, when there are none, the active admins. */
export async function newCaseRecipients(db: Database | Transaction): Promise<StaffRecipient[]> {
  const agents = await activeStaff(db, ["VETTING_AGENT"]);
  return agents.length > 0 ? agents : activeStaff(db, ADMIN_ROLES);
}
