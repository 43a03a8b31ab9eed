// To staff, once a day at NEW_CASE_DIGEST_HOUR: every notice they chose to receive in the digest since the
// last one (jobs/sendStaffDigests.ts). One per person per day; the notices are display data only.
import { z } from "zod";
import { defineMessageKind, ZDisplayName } from "./kind.js";
import { ZStaffNotice } from "./staffNotice.js";

/** The most notices one digest lists; the rest are counted (the pages show them all). */
export const MAX_NOTICES_PER_DIGEST = 200;

export const staffDigest = defineMessageKind({
  name: "staff_digest",
  audience: "staff",
  payloadSchema: z.strictObject({
    recipientName: ZDisplayName,
    /** The UTC day the digest is for, "2026-03-04". */
    day: z.iso.date(),
    notices: z.array(ZStaffNotice).min(1).max(MAX_NOTICES_PER_DIGEST),
    /** Notices past the limit, not listed. */
    notListedCount: z.int().min(0),
  }),
  subject: (payload, context) =>
    context.t("emails.staffDigest.subject", { count: payload.notices.length + payload.notListedCount }),
  template: "staff-digest",
});
