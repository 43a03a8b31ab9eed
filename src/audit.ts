// recordAudit() is called inside the transaction of every command, so a state change and its audit
// row commit or roll back together.

import type { Context } from "koa";
import type { Transaction } from "./db.js";
import type { Prisma } from "./generated/prisma/client.js";
import type { SignedInStaff } from "./sessions.js";

export type AuditAction =
  | "setup.link_issued"
  | "staff.superadmin_created"
  // sign-in and sessions
  | "staff.signed_in"
  | "staff.sign_in_failed"
  | "staff.signed_out"
  | "staff.account_blocked"
  | "staff.session_ended"
  | "staff.recovery_code_used"
  // the second factor given again before a sensitive action (STEP_UP_MINUTES)
  | "staff.stepped_up"
  // credentials
  | "staff.password_changed"
  // an imported Werkzeug hash replaced by argon2id at its first sign-in (the kind of hash only)
  | "staff.password_rehashed"
  | "staff.password_reset_requested"
  | "staff.password_reset"
  | "staff.totp_enrolled"
  | "staff.totp_reset"
  | "staff.recovery_codes_regenerated"
  | "staff.passkey_added"
  | "staff.passkey_removed"
  // a single sign-on identity (the provider's issuer and subject) linked to the account
  | "staff.sso_linked"
  // a superadmin signed in with password and recovery code while only single sign-on is on
  | "staff.break_glass_sign_in"
  | "staff.theme_changed"
  | "staff.notification_preferences_changed"
  // accounts and invitations
  | "staff.invited"
  | "staff.invitation_approved"
  | "staff.invitation_rejected"
  | "staff.invitation_resent"
  | "staff.invitation_revoked"
  | "staff.invitation_accepted"
  | "staff.role_changed"
  | "staff.disabled"
  | "staff.enabled"
  // four eyes on promotions: ids and roles only (a decision's note lives on its staff_role_changes row)
  | "staff.role_change_requested"
  | "staff.role_change_approved"
  | "staff.role_change_rejected"
  | "staff.role_change_cancelled"
  // the person's own Matrix ID and phone: the names of the fields changed, never their values
  | "staff.contact_details_changed"
  // vetting cases. Details hold ids, states and flags only, never personal data: erasing a case
  // blanks its rows, and the append-only audit log must then hold nothing about the person.
  | "case.created"
  | "case.opened_by_staff"
  | "case.email_confirmed"
  | "case.applicant_signed_in"
  | "case.details_updated"
  | "case.language_changed"
  | "case.submitted"
  | "case.review_started"
  | "case.assigned"
  | "case.vetting_recorded"
  | "case.comment_added"
  | "case.more_information_requested"
  | "case.resubmitted"
  | "case.approved"
  | "case.rejected"
  | "case.withdrawn"
  | "case.invitation_sent"
  // referees: the reference's id and who asked or what was answered, never the referee's address
  | "case.reference_requested"
  | "case.reference_answered"
  | "case.reference_request_sent"
  | "case.reference_request_failed"
  | "case.closed"
  | "case.reopened"
  | "case.applicant_replied"
  | "case.details_corrected"
  | "case.email_change_confirmed"
  | "case.duplicate_flagged"
  | "case.matrix_id_proof_requested"
  | "case.matrix_id_proof_sent"
  | "case.matrix_id_proof_failed"
  | "case.matrix_id_verified"
  | "case.matrix_id_proof_refused"
  | "case.matrix_id_verification_cleared"
  | "case.conflict_declared"
  | "case.conflict_withdrawn"
  | "case.exported"
  | "case.erased"
  | "case.purged"
  // evidence files: ids, type and size only (never the file's name, note or hash)
  | "evidence.uploaded"
  | "evidence.deleted"
  | "evidence.viewed"
  | "evidence.downloaded"
  | "evidence.integrity_failed"
  // the virus scanner found malware in an upload, which was refused: the signature names only
  | "evidence.malware_refused"
  // the uploads sweep removed stored files no row referred to: how many, nothing else (actor "system")
  | "evidence.orphans_removed"
  // rotate-keys re-wrapped data keys and re-sealed secrets under the current keys: counts only
  | "keys.rotated"
  // Matrix registration tokens: ids, states and the homeserver's error text only (never the token)
  | "matrix_token.requested"
  | "matrix_token.created"
  | "matrix_token.failed"
  | "matrix_token.revealed"
  | "matrix_token.reveal_link_sent"
  | "matrix_token.revoked"
  | "matrix_token.reissued"
  | "matrix_token.purged"
  // standalone token requests (four eyes): ids only, never the person's name, email or the notes
  | "matrix_token.request_submitted"
  | "matrix_token.request_approved"
  | "matrix_token.request_rejected"
  | "matrix_token.request_cancelled"
  | "matrix_token.request_purged"
  // mail and records
  | "mail.retried"
  | "mail.cancelled"
  | "mail.test_sent"
  | "audit.exported"
  // npm run import:original: what was moved in from the original system (ids and counts; an original
  // entry's free text stays in imported_records), written with the original's time where it has one
  | "import.staff_imported"
  | "import.case_imported"
  | "import.evidence_imported"
  | "import.matrix_token_imported"
  | "import.original_event"
  | "import.completed";

export interface AuditActor {
  /** The staff account acting, when there is one. */
  staffUserId?: string;
  /** Who acted when there is no account: "setup link", "terminal", "system". */
  label: string;
  requestId?: string;
  ipAddress?: string;
  userAgent?: string;
}

/**
 * Who acts in this request, for the audit row: the signed-in staff member, or, when there is none
 * (sign-in forms, emailed links), a label such as "sign-in form". IP and user agent come with it.
 */
export function auditActorFor(ctx: Context, staff: SignedInStaff | null, label = "anonymous"): AuditActor {
  return {
    ...(staff ? { staffUserId: staff.id } : {}),
    label: staff?.email ?? label,
    requestId: ctx.state.requestId,
    ipAddress: ctx.ip,
    userAgent: ctx.get("user-agent") || undefined,
  };
}

/**
 * The applicant, for the audit row: only the request id. Their IP address and browser are personal
 * data that erasure could not remove from the append-only log, so they are never written there.
 */
export function applicantAuditActor(ctx: Context): AuditActor {
  return { label: "applicant", requestId: ctx.state.requestId };
}

/**
 * The columns of an audit row, for the commands that write theirs in SQL on the pg pool, in one
 * statement with the change it reports (startApplication, moveCaseInOneStatement). Values come from
 * auditRowValues (or auditActorValues for the last five), in this order, so that a row written that way
 * is the row recordAudit writes.
 */
export const AUDIT_ROW_COLUMNS =
  'action, "subjectType", "subjectId", details, "actorId", "actorLabel", "requestId", "ipAddress", "userAgent"';

/** The actor's five columns of AUDIT_ROW_COLUMNS, in its order. */
export function auditActorValues(actor: AuditActor): (string | null)[] {
  return [
    actor.staffUserId ?? null,
    actor.label,
    actor.requestId ?? null,
    actor.ipAddress ?? null,
    actor.userAgent?.slice(0, 512) ?? null,
  ];
}

/** An audit row's values in AUDIT_ROW_COLUMNS' order; details as JSON text (cast with ::jsonb). */
export function auditRowValues(
  actor: AuditActor,
  action: AuditAction,
  subject: { type: string; id: string } | null,
  details: Prisma.InputJsonObject = {},
): (string | null)[] {
  return [
    action,
    subject?.type ?? null,
    subject?.id ?? null,
    JSON.stringify(details),
    ...auditActorValues(actor),
  ];
}

export async function recordAudit(
  tx: Transaction,
  actor: AuditActor,
  action: AuditAction,
  subject: { type: string; id: string } | null,
  details: Prisma.InputJsonObject = {},
  /** When it happened, where that is not now: an imported entry keeps the original's time. */
  occurredAt?: Date,
): Promise<void> {
  await tx.auditEvent.create({
    data: {
      ...(occurredAt ? { occurredAt } : {}),
      actorId: actor.staffUserId ?? null,
      actorLabel: actor.label,
      action,
      subjectType: subject?.type ?? null,
      subjectId: subject?.id ?? null,
      details,
      requestId: actor.requestId ?? null,
      ipAddress: actor.ipAddress ?? null,
      userAgent: actor.userAgent?.slice(0, 512) ?? null,
    },
  });
}
