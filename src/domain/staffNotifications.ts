// What staff can be told of by email, who each kind is for, and how it is delivered when a person has not
// chosen: at once, in the daily digest, or not at all. Security emails (sign-in links, a changed
// credential, a blocked account, a password reset) are not among these kinds: nobody can turn them off.
import type { NotificationDelivery, StaffNotificationKind, StaffRole } from "../generated/prisma/client.js";

export const STAFF_NOTIFICATION_KINDS = [
  "NEW_CASE",
  "CASE_ASSIGNED",
  "APPLICANT_REPLY",
  "NEW_EVIDENCE",
  "DECISION_OVERDUE",
  "APPROVAL_NEEDED",
  "REGISTRATION_TOKEN_FAILED",
] as const satisfies readonly StaffNotificationKind[];

export const NOTIFICATION_DELIVERIES = [
  "IMMEDIATE",
  "DIGEST",
  "OFF",
] as const satisfies readonly NotificationDelivery[];

const AGENT_KINDS: readonly StaffNotificationKind[] = [
  "NEW_CASE",
  "CASE_ASSIGNED",
  "APPLICANT_REPLY",
  "NEW_EVIDENCE",
];

/**
 * The kinds a role can receive, so the profile page offers only those. Admins hear of new cases only while
 * there is no active agent; they decide cases, approve requests and issue tokens, so they get the rest.
 */
export function notificationKindsFor(role: StaffRole): readonly StaffNotificationKind[] {
  return role === "VETTING_AGENT" ? AGENT_KINDS : STAFF_NOTIFICATION_KINDS;
}

/**
 * The delivery a person gets without a choice of their own. Work that lands on one person (an assignment,
 * an answer, a request only they can approve, a token that failed) comes at once; what can wait a day
 * (more evidence, a case waiting long) comes in the digest. New cases follow NEW_CASE_NOTIFICATIONS, the
 * operator's setting from before the choice was per person, so nobody's delivery changed with it.
 */
export function defaultDelivery(
  kind: StaffNotificationKind,
  newCaseDefault: "immediate" | "digest" | "off",
): NotificationDelivery {
  switch (kind) {
    case "NEW_CASE":
      return newCaseDefault === "immediate" ? "IMMEDIATE" : newCaseDefault === "digest" ? "DIGEST" : "OFF";
    case "NEW_EVIDENCE":
    case "DECISION_OVERDUE":
      return "DIGEST";
    default:
      return "IMMEDIATE";
  }
}
