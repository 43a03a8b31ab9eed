// Audit rows → what the audit page and the CSV export show.
import type { AuditAction } from "../audit.js";
import type { AuditEventRow } from "../queries/auditEvents.js";

/** Every declared action, in the order the filter offers them; the Record makes the compiler list them all. */
const AUDIT_ACTION_FLAGS: Record<AuditAction, true> = {
  "setup.link_issued": true,
  "staff.superadmin_created": true,
  "staff.signed_in": true,
  "staff.sign_in_failed": true,
  "staff.signed_out": true,
  "staff.account_blocked": true,
  "staff.session_ended": true,
  "staff.recovery_code_used": true,
  "staff.stepped_up": true,
  "staff.password_changed": true,
  "staff.password_rehashed": true,
  "staff.password_reset_requested": true,
  "staff.password_reset": true,
  "staff.totp_enrolled": true,
  "staff.totp_reset": true,
  "staff.recovery_codes_regenerated": true,
  "staff.passkey_added": true,
  "staff.passkey_removed": true,
  "staff.sso_linked": true,
  "staff.break_glass_sign_in": true,
  "staff.theme_changed": true,
  "staff.notification_preferences_changed": true,
  "staff.invited": true,
  "staff.invitation_approved": true,
  "staff.invitation_rejected": true,
  "staff.invitation_resent": true,
  "staff.invitation_revoked": true,
  "staff.invitation_accepted": true,
  "staff.role_changed": true,
  "staff.disabled": true,
  "staff.enabled": true,
  "staff.role_change_requested": true,
  "staff.role_change_approved": true,
  "staff.role_change_rejected": true,
  "staff.role_change_cancelled": true,
  "staff.contact_details_changed": true,
  "case.created": true,
  "case.opened_by_staff": true,
  "case.email_confirmed": true,
  "case.applicant_signed_in": true,
  "case.details_updated": true,
  "case.language_changed": true,
  "case.submitted": true,
  "case.review_started": true,
  "case.assigned": true,
  "case.vetting_recorded": true,
  "case.comment_added": true,
  "case.more_information_requested": true,
  "case.resubmitted": true,
  "case.approved": true,
  "case.rejected": true,
  "case.withdrawn": true,
  "case.invitation_sent": true,
  "case.reference_requested": true,
  "case.reference_answered": true,
  "case.reference_request_sent": true,
  "case.reference_request_failed": true,
  "case.closed": true,
  "case.reopened": true,
  "case.applicant_replied": true,
  "case.details_corrected": true,
  "case.email_change_confirmed": true,
  "case.duplicate_flagged": true,
  "case.matrix_id_proof_requested": true,
  "case.matrix_id_proof_sent": true,
  "case.matrix_id_proof_failed": true,
  "case.matrix_id_verified": true,
  "case.matrix_id_proof_refused": true,
  "case.matrix_id_verification_cleared": true,
  "case.conflict_declared": true,
  "case.conflict_withdrawn": true,
  "case.exported": true,
  "case.erased": true,
  "case.purged": true,
  "evidence.uploaded": true,
  "evidence.deleted": true,
  "evidence.viewed": true,
  "evidence.downloaded": true,
  "evidence.integrity_failed": true,
  "evidence.malware_refused": true,
  "evidence.orphans_removed": true,
  "keys.rotated": true,
  "mail.retried": true,
  "mail.cancelled": true,
  "mail.test_sent": true,
  "audit.exported": true,
  "import.staff_imported": true,
  "import.case_imported": true,
  "import.evidence_imported": true,
  "import.matrix_token_imported": true,
  "import.original_event": true,
  "import.completed": true,
  "matrix_token.requested": true,
  "matrix_token.created": true,
  "matrix_token.failed": true,
  "matrix_token.revealed": true,
  "matrix_token.reveal_link_sent": true,
  "matrix_token.revoked": true,
  "matrix_token.reissued": true,
  "matrix_token.purged": true,
  "matrix_token.request_submitted": true,
  "matrix_token.request_approved": true,
  "matrix_token.request_rejected": true,
  "matrix_token.request_cancelled": true,
  "matrix_token.request_purged": true,
};

export const AUDIT_ACTIONS = Object.keys(AUDIT_ACTION_FLAGS) as [AuditAction, ...AuditAction[]];

/** "2026-11-23 19:02:31 UTC" */
export function formatUtcTimestamp(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

export interface AuditEventView {
  id: string;
  occurredAtIso: string;
  occurredAtLabel: string;
  /** The person's name, or the label of who acted without an account ("setup link", "system"). */
  actorName: string;
  isActorAccount: boolean;
  action: string;
  target: string | null;
  details: string;
  ipAddress: string;
  userAgent: string;
}

export function presentAuditEvent(row: AuditEventRow): AuditEventView {
  return {
    id: row.id.toString(),
    occurredAtIso: row.occurredAt.toISOString(),
    occurredAtLabel: formatUtcTimestamp(row.occurredAt),
    actorName: row.actor?.name ?? row.actorLabel,
    isActorAccount: row.actor !== null,
    action: row.action,
    target: row.subjectType ? `${row.subjectType} ${row.subjectId ?? ""}`.trim() : null,
    details: detailsText(row.details),
    ipAddress: row.ipAddress ?? "",
    userAgent: row.userAgent ?? "",
  };
}

function detailsText(details: unknown): string {
  if (details === null || details === undefined) return "";
  if (typeof details === "object" && Object.keys(details).length === 0) return "";
  return JSON.stringify(details);
}

export const AUDIT_CSV_HEADER = [
  "id",
  "occurred_at",
  "actor_id",
  "actor",
  "action",
  "target_type",
  "target_id",
  "details",
  "ip_address",
  "user_agent",
  "request_id",
];

export function auditEventCsvCells(row: AuditEventRow): string[] {
  return [
    row.id.toString(),
    row.occurredAt.toISOString(),
    row.actorId ?? "",
    row.actor?.name ?? row.actorLabel,
    row.action,
    row.subjectType ?? "",
    row.subjectId ?? "",
    JSON.stringify(row.details ?? {}),
    row.ipAddress ?? "",
    row.userAgent ?? "",
    row.requestId ?? "",
  ];
}

// A spreadsheet treats a cell starting with one of these as a formula (OWASP "CSV injection"); a
// leading apostrophe makes it text.
const FORMULA_START = /^[=+\-@\t\r]/;

/** One RFC 4180 line (CRLF-terminated), every cell formula-safe. */
export function csvLine(cells: string[]): string {
  return `${cells.map(csvCell).join(",")}\r\n`;
}

function csvCell(value: string): string {
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
