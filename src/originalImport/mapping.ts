// How the original system's values become the portal's: one table per vocabulary, so that a value the
// original never wrote is an error that names it, never a silent default.
import type {
  CaseState,
  Recommendation,
  RegistrationTokenState,
  StaffRole,
  ThemePreference,
  VerificationMethod,
} from "../generated/prisma/client.js";

/** The original's roles were cumulative in the same order as ours: one to one. */
export const ROLE_MAP: Record<string, StaffRole> = {
  superadmin: "SUPERADMIN",
  server_admin: "SERVER_ADMIN",
  inviting_admin: "INVITING_ADMIN",
  vetting_agent: "VETTING_AGENT",
};

/** Active accounts come in able to sign in; the others are kept disabled, and listed. */
export const STAFF_STATUSES = new Set(["active", "pending", "rejected"]);

/**
 * awaiting_token was the original's "approved, the token not yet made": here a case is approved and its
 * token is a separate thing an admin issues from the case page.
 */
export const FORM_STATE_MAP: Record<string, CaseState> = {
  draft: "DRAFT",
  submitted: "SUBMITTED",
  awaiting_token: "APPROVED",
  approved: "APPROVED",
  rejected: "REJECTED",
};

export const VERIFICATION_METHOD_MAP: Record<string, VerificationMethod> = {
  "in-person": "IN_PERSON",
  video: "VIDEO_CALL",
  "trusted-referral": "TRUSTED_REFERRAL",
};

export const RECOMMENDATION_MAP: Record<string, Recommendation> = {
  approve: "APPROVE",
  reject: "REJECT",
  "further-verification": "FURTHER_VERIFICATION",
};

/**
 * The original's last sight of a token: "submitted" meant the homeserver accepted it, "failed" that it
 * refused, "pending" that it was never confirmed. The live status (used, expired) is asked of the
 * homeserver, as for every token.
 */
export const TOKEN_STATE_MAP: Record<string, RegistrationTokenState> = {
  pending: "PENDING",
  submitted: "CREATED",
  failed: "FAILED",
};

export const THEME_MAP: Record<string, ThemePreference> = {
  light: "LIGHT",
  dark: "DARK",
  auto: "SYSTEM",
};

/** The original's tokens expired 30 days after they were made when nothing else is recorded. */
export const ORIGINAL_TOKEN_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * The case an original audit entry is about, when its free text names a vetting form ("vetting form 12",
 * "form_id=12", "Form #12"). The original recorded no subject, so this is the best that can be told.
 */
export function formIdMentioned(action: string, details: string | null): number | null {
  if (!details || !/form/i.test(`${action} ${details}`)) return null;
  const match = /form(?:[\s_]*id)?\s*[#:=]?\s*(\d+)/i.exec(details);
  return match?.[1] ? Number(match[1]) : null;
}
