// To staff: work landed on them (an assignment, an applicant's answer, new evidence, a case waiting long
// for a decision, a request waiting for their approval, a registration token that failed), sent at once or
// gathered into the daily digest (staffDigest.ts) as the person chose (commands/notifications/notifyStaff.ts).
// A notice carries case numbers and links, never the applicant's or a token holder's personal data: the
// same notice waits in the digest table for up to a day, and mail clients keep what they receive.
import { z } from "zod";
import { defineMessageKind, ZCaseNumber, ZDisplayName } from "./kind.js";

const ZCaseRef = { caseNumber: ZCaseNumber, caseId: z.uuid() };

export const ZStaffNotice = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("new_case"), ...ZCaseRef }),
  z.strictObject({ kind: z.literal("case_assigned"), ...ZCaseRef, assignedByName: ZDisplayName.nullable() }),
  z.strictObject({
    kind: z.literal("applicant_reply"),
    ...ZCaseRef,
    /** A message in the case's conversation, or the application sent back after a request for more. */
    how: z.enum(["replied", "resubmitted"]),
  }),
  z.strictObject({ kind: z.literal("new_evidence"), ...ZCaseRef, fileCount: z.int().min(1).max(1000) }),
  z.strictObject({ kind: z.literal("decision_overdue"), ...ZCaseRef, waitingDays: z.int().min(0) }),
  z.strictObject({
    kind: z.literal("approval_needed"),
    request: z.enum(["role_change", "registration_token", "invitation"]),
  }),
  z.strictObject({
    kind: z.literal("registration_token_failed"),
    caseNumber: ZCaseNumber.nullable(),
    caseId: z.uuid().nullable(),
  }),
]);
export type TStaffNotice = z.output<typeof ZStaffNotice>;

const SUBJECTS: {
  [Kind in TStaffNotice["kind"]]: (notice: Extract<TStaffNotice, { kind: Kind }>) => string;
} = {
  new_case: (notice) => `New case waiting: ${notice.caseNumber}`,
  case_assigned: (notice) => `${notice.caseNumber} is assigned to you`,
  applicant_reply: (notice) =>
    notice.how === "replied"
      ? `The applicant of ${notice.caseNumber} replied`
      : `${notice.caseNumber} was resubmitted`,
  new_evidence: (notice) => `New evidence on ${notice.caseNumber}`,
  decision_overdue: (notice) => `${notice.caseNumber} waits for a decision`,
  approval_needed: () => "A request waits for your approval",
  registration_token_failed: (notice) =>
    notice.caseNumber
      ? `A registration token for ${notice.caseNumber} failed`
      : "A registration token failed",
};

export function staffNoticeSubject(notice: TStaffNotice): string {
  return (SUBJECTS[notice.kind] as (value: TStaffNotice) => string)(notice);
}

export const staffNotice = defineMessageKind({
  name: "staff_notice",
  audience: "staff",
  payloadSchema: z.strictObject({ recipientName: ZDisplayName, notice: ZStaffNotice }),
  subject: (payload, context) => `${staffNoticeSubject(payload.notice)} — ${context.siteName}`,
  template: "staff-notice",
});
